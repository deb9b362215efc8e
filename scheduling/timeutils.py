"""Wall-clock time at a location, and back. Everything is stored in UTC."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone


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
