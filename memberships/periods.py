"""Period arithmetic (MEM-1, MEM-4): pure functions on calendar dates, no queries.

A period runs from its start to the day before its end; the end is the next renewal date.
Monthly and yearly periods keep the day of the month of the first purchase (`anchor_day`):
bought on the 31st, the next renewals fall on 30 April, 31 May, 28 or 29 February, then back to
the 31st. Days and weeks are plain counts of days. Dates are the studio's calendar dates, so a
change of clocks (DST) never moves a renewal: the night's run turns "today" into a date in the
studio's zone before comparing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from memberships.models.plans import IntervalUnit


def studio_today(studio, now: dt.datetime | None = None) -> dt.date:
    """`now` (default: now) as a date of the studio's calendar, the calendar periods are kept in:
    a date, not a time, so a change of clocks never moves it."""
    return timezone.localtime(now or timezone.now(), ZoneInfo(studio.time_zone or "UTC")).date()


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_interval(start: dt.date, *, unit: str, count: int, anchor_day: int | None = None) -> dt.date:
    """`start` moved forward by `count` `unit`s; months and years land on `anchor_day` (default:
    `start`'s day), or the month's last day when it is shorter."""
    if count < 0:
        raise ValueError("count must not be negative")
    if unit == IntervalUnit.DAY:
        return start + dt.timedelta(days=count)
    if unit == IntervalUnit.WEEK:
        return start + dt.timedelta(weeks=count)
    months = count if unit == IntervalUnit.MONTH else count * 12
    if unit not in (IntervalUnit.MONTH, IntervalUnit.YEAR):
        raise ValueError(f"unknown interval unit {unit!r}")
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(anchor_day or start.day, _days_in_month(year, month))
    return dt.date(year, month, day)


def period_end(start: dt.date, *, unit: str, count: int, anchor_day: int | None = None) -> dt.date:
    """The exclusive end of the period that starts on `start` (the next renewal date)."""
    return add_interval(start, unit=unit, count=count, anchor_day=anchor_day)


def shift_by_pause(renewal_on: dt.date, *, paused_from: dt.date, paused_until: dt.date) -> dt.date:
    """The renewal date after a pause from `paused_from` to `paused_until` (exclusive): moved by
    the days of the pause that fall before it."""
    if paused_until <= paused_from:
        return renewal_on
    if paused_from >= renewal_on:
        return renewal_on
    return renewal_on + (paused_until - paused_from)


def prorated_unused(*, amount: int, period_start: dt.date, period_end: dt.date, on: dt.date) -> int:
    """The part of `amount` (minor units) for the days of the period not yet used on `on`.

    Day-based: a period of 30 days cancelled with 10 days left returns 10/30 of the price,
    rounded half up to the minor unit; nothing before the start of the period is counted twice
    and nothing is returned once it is over.
    """
    total = (period_end - period_start).days
    if total <= 0 or amount <= 0:
        return 0
    unused = (period_end - max(on, period_start)).days
    unused = max(0, min(unused, total))
    value = Decimal(amount) * Decimal(unused) / Decimal(total)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
