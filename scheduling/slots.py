"""Bookable appointment slots: availability minus what is already taken (SCH-3). Pure functions.

The rules, in one place:

- A calendar is open during its weekly availability for that weekday, plus dated extra hours,
  minus dated time off (a whole day, or between two times). All in the location's wall time.
- An appointment itself (its service's duration) must fit inside an open window. Its buffers
  (preparation before, clean-up after) need not: they keep distance from other commitments.
- The blocked time of an appointment is [start - buffer before, end + buffer after]. A new
  appointment's blocked time must not overlap the blocked time of any existing appointment,
  nor any class the teacher teaches (classes have no buffers).
- Candidate starts step from each window's opening by `step` (15 minutes by default);
  starts before `not_before` (now, plus any notice) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduling.timeutils import local_datetime


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Opening:
    """A weekly availability range (weekday 0 = Monday)."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Change:
    """A dated exception: time off (`available=False`) or extra hours; no times = the whole day."""

    date: date
    start: time | None = None
    end: time | None = None
    available: bool = False


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for interval in sorted(intervals):
        if out and interval.start <= out[-1].end:
            out[-1] = Interval(out[-1].start, max(out[-1].end, interval.end))
        else:
            out.append(interval)
    return out


def _subtract(windows: list[Interval], hole: Interval) -> list[Interval]:
    out = []
    for window in windows:
        if not window.overlaps(hole):
            out.append(window)
            continue
        if window.start < hole.start:
            out.append(Interval(window.start, hole.start))
        if hole.end < window.end:
            out.append(Interval(hole.end, window.end))
    return out


def open_windows(
    *, day: date, tz: str, openings: Iterable[Opening], changes: Iterable[Change]
) -> list[Interval]:
    """The calendar's open time on `day`, as UTC intervals."""

    def span(start: time | None, end: time | None) -> Interval:
        first = local_datetime(day, start or time(0), tz)
        last = local_datetime(day, end, tz) if end else local_datetime(day + timedelta(days=1), time(0), tz)
        return Interval(first, last)

    todays = [c for c in changes if c.date == day]
    windows = [span(o.start, o.end) for o in openings if o.weekday == day.weekday()]
    windows += [span(c.start, c.end) for c in todays if c.available]
    windows = _merge(windows)
    for change in todays:
        if not change.available:
            windows = _subtract(windows, span(change.start, change.end))
    return windows


def bookable_slots(
    *,
    windows: list[Interval],
    busy: Iterable[Interval],
    duration: timedelta,
    buffer_before: timedelta = timedelta(0),
    buffer_after: timedelta = timedelta(0),
    step: timedelta = timedelta(minutes=15),
    not_before: datetime | None = None,
) -> list[datetime]:
    """Start times at which an appointment of `duration` (with its buffers) can be booked.

    `busy` intervals are already widened by their own buffers.
    """
    taken = _merge(busy)
    out = []
    for window in windows:
        start = window.start
        while start + duration <= window.end:
            if not_before is None or start >= not_before:
                blocked = Interval(start - buffer_before, start + duration + buffer_after)
                if not any(blocked.overlaps(t) for t in taken):
                    out.append(start)
            start += step
    return out
