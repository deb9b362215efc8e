"""Period arithmetic (memberships/periods.py): month ends, leap years, weeks, days, pauses, DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from memberships.periods import add_interval, period_end, shift_by_pause

D = dt.date


@pytest.mark.parametrize(
    ("start", "unit", "count", "anchor", "expected"),
    [
        # Month ends: bought on the 31st → the last day of shorter months → back to the 31st.
        (D(2027, 1, 31), "month", 1, 31, D(2027, 2, 28)),
        (D(2027, 2, 28), "month", 1, 31, D(2027, 3, 31)),
        (D(2027, 3, 31), "month", 1, 31, D(2027, 4, 30)),
        (D(2027, 4, 30), "month", 1, 31, D(2027, 5, 31)),
        (D(2028, 1, 31), "month", 1, 31, D(2028, 2, 29)),  # leap year
        (D(2028, 2, 29), "month", 1, 31, D(2028, 3, 31)),
        (D(2027, 1, 30), "month", 1, 30, D(2027, 2, 28)),
        (D(2027, 2, 28), "month", 1, 30, D(2027, 3, 30)),
        (D(2027, 1, 29), "month", 1, 29, D(2027, 2, 28)),
        (D(2028, 1, 29), "month", 1, 29, D(2028, 2, 29)),
        (D(2027, 1, 15), "month", 1, None, D(2027, 2, 15)),
        (D(2027, 11, 30), "month", 3, 30, D(2028, 2, 29)),  # over a year end, into a leap February
        (D(2027, 12, 31), "month", 1, 31, D(2028, 1, 31)),
        (D(2027, 8, 31), "month", 6, 31, D(2028, 2, 29)),
        # Years: bought on 29 February → 28 February in common years, 29 in leap years.
        (D(2028, 2, 29), "year", 1, 29, D(2029, 2, 28)),
        (D(2029, 2, 28), "year", 3, 29, D(2032, 2, 29)),
        (D(2027, 3, 1), "year", 1, None, D(2028, 3, 1)),
        # Weeks and days: plain counts of days, across month and year ends.
        (D(2027, 12, 27), "week", 1, None, D(2028, 1, 3)),
        (D(2028, 2, 22), "week", 2, None, D(2028, 3, 7)),
        (D(2027, 2, 20), "day", 10, None, D(2027, 3, 2)),
        (D(2028, 2, 20), "day", 10, None, D(2028, 3, 1)),
        (D(2027, 1, 1), "day", 365, None, D(2028, 1, 1)),
        (D(2027, 1, 1), "day", 0, None, D(2027, 1, 1)),
    ],
)
def test_add_interval_table(start, unit, count, anchor, expected):
    assert add_interval(start, unit=unit, count=count, anchor_day=anchor) == expected
    assert period_end(start, unit=unit, count=count, anchor_day=anchor) == expected


def test_a_year_of_monthly_renewals_from_the_31st_keeps_coming_back():
    dates, current = [], D(2027, 1, 31)
    for _ in range(12):
        current = add_interval(current, unit="month", count=1, anchor_day=31)
        dates.append(current.day)
    assert dates == [28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31]


def test_refusals():
    with pytest.raises(ValueError):
        add_interval(D(2027, 1, 1), unit="month", count=-1)
    with pytest.raises(ValueError):
        add_interval(D(2027, 1, 1), unit="fortnight", count=1)


@pytest.mark.parametrize(
    ("renewal", "paused_from", "paused_until", "expected"),
    [
        (D(2027, 3, 1), D(2027, 2, 10), D(2027, 2, 20), D(2027, 3, 11)),  # 10 days before: moved 10
        (D(2027, 3, 1), D(2027, 2, 25), D(2027, 3, 10), D(2027, 3, 14)),  # spans the renewal date
        (D(2027, 3, 1), D(2027, 3, 1), D(2027, 3, 10), D(2027, 3, 1)),  # starts on it: after it
        (D(2027, 3, 1), D(2027, 3, 5), D(2027, 3, 10), D(2027, 3, 1)),  # later: nothing moves
        (D(2027, 3, 1), D(2027, 2, 10), D(2027, 2, 10), D(2027, 3, 1)),  # empty pause
        (D(2027, 3, 1), D(2027, 2, 20), D(2027, 2, 10), D(2027, 3, 1)),  # backwards: ignored
        (D(2028, 3, 1), D(2028, 2, 28), D(2028, 3, 1), D(2028, 3, 3)),  # 29 Feb counts
    ],
)
def test_shift_by_pause_table(renewal, paused_from, paused_until, expected):
    assert shift_by_pause(renewal, paused_from=paused_from, paused_until=paused_until) == expected


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # The night the clocks change in Toronto (spring forward on 14 March 2027, fall back on
        # 7 November 2027): the studio's date is what counts, and the renewal date stays put.
        (dt.datetime(2027, 3, 14, 4, 30, tzinfo=dt.UTC), D(2027, 3, 13)),  # 23:30 EST
        (dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC), D(2027, 3, 14)),  # 3:30 EDT
        (dt.datetime(2027, 11, 7, 3, 59, tzinfo=dt.UTC), D(2027, 11, 6)),  # 23:59 EDT
        (dt.datetime(2027, 11, 7, 6, 30, tzinfo=dt.UTC), D(2027, 11, 7)),  # 1:30 EST
    ],
)
def test_a_dst_change_does_not_move_the_date(utc, expected):
    from memberships.periods import studio_today

    class Studio:
        time_zone = "America/Toronto"

    assert studio_today(studio=Studio(), now=utc) == expected
    # Monthly periods are dates: a renewal on 14 March after 14 February, DST or not.
    assert add_interval(D(2027, 2, 14), unit="month", count=1, anchor_day=14) == D(2027, 3, 14)
    assert add_interval(D(2027, 10, 7), unit="month", count=1, anchor_day=7) == D(2027, 11, 7)
    assert ZoneInfo("America/Toronto").utcoffset(dt.datetime(2027, 3, 15)) != ZoneInfo(
        "America/Toronto"
    ).utcoffset(dt.datetime(2027, 3, 1))


def test_retry_times_keep_the_local_hour_over_a_dst_change():
    from memberships.services.renewals import _plus_days

    zone = ZoneInfo("America/Toronto")
    first = dt.datetime(2027, 3, 13, 3, 0, tzinfo=zone)  # EST, the night before the change
    later = _plus_days(first, 1, zone)
    assert later.hour == 3 and later.date() == D(2027, 3, 14)
    assert later.astimezone(dt.UTC) - first.astimezone(dt.UTC) == dt.timedelta(hours=23)  # shorter in UTC
