"""Wall-clock time at a location, and back. Everything is stored in UTC."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.utils import formats, timezone

from studio import formats as typography  # French dates: "1er décembre"


def local_datetime(day: date, at: time, tz: str) -> datetime:
    """The instant (UTC) at which a location's clocks show `day` `at`.

    Expanding per date is what keeps a 9:00 class at 9:00 on both sides of a DST change. A
    wall time that does not exist that night (skipped by the spring change) lands one hour
    later; an ambiguous one (repeated in autumn) is its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(tz)).astimezone(UTC)


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(tz)).date()


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC instants of a local day's start and of the next day's start (23 or 25 hours apart on DST days)."""
    return local_datetime(day, time(0), tz), local_datetime(day + timedelta(days=1), time(0), tz)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_date_label(day: date) -> str:
    """A date as the reader's language writes it ("1er décembre 2026", "December 1, 2026"), never ISO."""
    return typography.date_format(day, "DATE_FORMAT")


def local_when_label(moment: datetime, tz: str) -> str:
    """An instant at a location, as the reader's language writes its date and time."""
    local = moment.astimezone(zoneinfo.ZoneInfo(tz))
    return f"{typography.date_format(local, 'DATE_FORMAT')} {formats.time_format(local, 'TIME_FORMAT')}"


def weekday_label(weekday: int, *, short: bool = False) -> str:
    """Monday = 0 as a sentence writes it: "Tuesday"/"mardi", or "Tue"/"mar." when `short`.
    The weekday choices' labels are capitalised in French ("Mardi", right on a checkbox, wrong
    in "celle du Mardi")."""
    a_monday = date(2024, 1, 1)
    return typography.date_format(a_monday + timedelta(days=weekday), "D" if short else "l")
