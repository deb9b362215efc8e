"""Rule semantics (POL-3): every / at least / exactly × days / months × renewal period, the reset
at renewal, the window boundary, one booking counted once. Pure: no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from memberships.policy_engine import Occurrence, RuleTerms, occurrence_count, rule_fires

MTL = ZoneInfo("America/Montreal")


def terms(**overrides) -> RuleTerms:
    values = dict(
        trigger="no_show",
        all_plans=True,
        plan_ids=frozenset(),
        frequency="every",
        count=2,
        window_unit="days",
        window_length=30,
        fee_amount=1000,
        currency="CAD",
    )
    values.update(overrides)
    return RuleTerms(**values)


def occ(day: dt.date | str, event_id: int, *, trigger="no_show", client=1, kind="class", plan=7, period=None):
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    start, end = period or (None, None)
    return Occurrence(
        client_id=client,
        trigger=trigger,
        event_kind=kind,
        event_id=event_id,
        occurred_at=dt.datetime.combine(day, dt.time(18, 0), MTL),
        membership_id=50 if plan else None,
        plan_id=plan,
        period_start=start,
        period_end=end,
    )


def fired(rule: RuleTerms, events: list[Occurrence]) -> list[int]:
    """Replays `events` in time order: the ids of the events the rule fires on."""
    return [e.event_id for e in events if rule_fires(rule=rule, event=e, history=events)]


# Five no-shows, one a week: 1, 8, 15, 22 and 29 March.
WEEKLY = [occ(dt.date(2026, 3, 1) + dt.timedelta(weeks=i), i + 1) for i in range(5)]


@pytest.mark.parametrize(
    ("frequency", "count", "unit", "length", "expected"),
    [
        ("every", 1, "days", 30, [1, 2, 3, 4, 5]),
        ("every", 2, "days", 30, [2, 4]),
        ("every", 3, "days", 30, [3]),
        ("at_least", 3, "days", 30, [3, 4, 5]),
        ("exactly", 3, "days", 30, [3]),
        ("exactly", 6, "days", 30, []),
        # A 10-day window holds at most two weekly no-shows.
        ("every", 2, "days", 10, [2, 3, 4, 5]),
        ("at_least", 3, "days", 10, []),
        ("exactly", 2, "days", 10, [2, 3, 4, 5]),
        # Weeks: "2 in the last week" — last week's same-time class is on the boundary, counted.
        ("exactly", 2, "weeks", 1, [2, 3, 4, 5]),
        ("every", 2, "months", 1, [2, 4]),
        ("at_least", 4, "months", 1, [4, 5]),
        ("exactly", 5, "months", 1, [5]),
    ],
)
def test_frequency_and_window_table(frequency, count, unit, length, expected):
    rule = terms(frequency=frequency, count=count, window_unit=unit, window_length=length)
    assert fired(rule, WEEKLY) == expected


def test_a_window_in_days_slides():
    # 1 March, 20 March, 5 April: a 30-day window at 5 April sees 20 March only.
    events = [occ("2026-03-01", 1), occ("2026-03-20", 2), occ("2026-04-05", 3)]
    rule = terms(frequency="at_least", count=2, window_unit="days", window_length=30)
    assert fired(rule, events) == [2, 3]
    assert occurrence_count(rule=rule, event=events[2], history=events) == 2
    assert fired(terms(frequency="exactly", count=3, window_length=30), events) == []
    assert fired(terms(frequency="exactly", count=3, window_length=40), events) == [3]


def test_the_boundary_instant_is_inside_the_window():
    first = occ("2026-03-01", 1)
    on_boundary = occ("2026-03-31", 2)  # exactly 30 days later, same time
    just_after = Occurrence(
        **{
            **on_boundary.__dict__,
            "event_id": 3,
            "occurred_at": on_boundary.occurred_at + dt.timedelta(minutes=1),
        }
    )
    rule = terms(frequency="exactly", count=2, window_unit="days", window_length=30)
    assert rule_fires(rule=rule, event=on_boundary, history=[first, on_boundary])
    assert not rule_fires(rule=rule, event=just_after, history=[first, just_after])


def test_calendar_months_follow_the_month_arithmetic():
    # 31 January + 1 month is 28 February: an event on 28 February 18:00 is on the boundary.
    jan31 = occ("2026-01-31", 1)
    rule = terms(frequency="exactly", count=2, window_unit="months", window_length=1)
    assert rule_fires(rule=rule, event=occ("2026-02-28", 2), history=[jan31])
    assert not rule_fires(rule=rule, event=occ("2026-03-01", 3), history=[jan31])
    # 15 January → 15 March is two months: inside a 2-month window, not a 1-month one.
    assert rule_fires(
        rule=terms(frequency="exactly", count=2, window_unit="months", window_length=2),
        event=occ("2026-03-15", 4),
        history=[occ("2026-01-15", 5)],
    )
    assert not rule_fires(rule=rule, event=occ("2026-03-15", 4), history=[occ("2026-01-15", 5)])


def test_months_keep_the_wall_clock_across_a_change_of_clocks():
    # 8 March 2026 is DST day in Montreal: a month later at the same local time is the boundary.
    rule = terms(frequency="exactly", count=2, window_unit="months", window_length=1)
    feb = occ("2026-02-10", 1)
    assert rule_fires(rule=rule, event=occ("2026-03-10", 2), history=[feb])


MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 5, 1))
RENEWING = [
    occ("2026-03-05", 1, period=MARCH),
    occ("2026-03-12", 2, period=MARCH),
    occ("2026-03-19", 3, period=MARCH),
    occ("2026-03-31", 4, period=MARCH),
    occ("2026-04-01", 5, period=APRIL),  # the renewal: the count starts again
    occ("2026-04-09", 6, period=APRIL),
]


@pytest.mark.parametrize(
    ("frequency", "count", "expected"),
    [
        ("every", 1, [1, 2, 3, 4, 5, 6]),
        ("every", 2, [2, 4, 6]),
        ("at_least", 2, [2, 3, 4, 6]),
        ("at_least", 3, [3, 4]),
        ("exactly", 2, [2, 6]),
        ("exactly", 4, [4]),
    ],
)
def test_renewal_period_table_resets_at_renewal(frequency, count, expected):
    rule = terms(frequency=frequency, count=count, window_unit="renewal_period", window_length=1)
    assert fired(rule, RENEWING) == expected


def test_renewal_period_never_fires_without_a_period():
    rule = terms(frequency="every", count=1, window_unit="renewal_period")
    drop_in = occ("2026-03-05", 1, plan=None)
    assert not rule_fires(rule=rule, event=drop_in, history=[drop_in])


def test_a_booking_counts_once_late_cancel_then_no_show():
    late = occ("2026-03-05", 1, trigger="late_cancel")
    no_show_same = occ("2026-03-05", 1, trigger="no_show")
    other = occ("2026-03-12", 2, trigger="no_show")
    rule = terms(frequency="exactly", count=2, window_unit="days", window_length=30)
    # The same booking twice in the history, and the event repeated: still two occurrences.
    history = [late, no_show_same, no_show_same, other, other]
    assert occurrence_count(rule=rule, event=other, history=history) == 2
    assert rule_fires(rule=rule, event=other, history=history)
    late_rule = terms(trigger="late_cancel", frequency="every", count=1)
    # Judged as a no-show, that booking is no late cancel any more.
    assert occurrence_count(rule=late_rule, event=late, history=[no_show_same]) == 1
    assert not rule_fires(rule=late_rule, event=no_show_same, history=[late])
    # A class booking and an appointment with the same id are different events.
    appointment = occ("2026-03-05", 1, kind="appointment")
    assert occurrence_count(rule=rule, event=other, history=[no_show_same, appointment]) == 3


def test_trigger_plans_and_clients_filter():
    rule = terms(all_plans=False, plan_ids=frozenset({7}), frequency="exactly", count=2, window_length=30)
    history = [
        occ("2026-03-01", 1, plan=8),  # another plan: not counted
        occ("2026-03-02", 2, client=2),  # another client
        occ("2026-03-03", 3, trigger="late_cancel"),  # another trigger
        occ("2026-03-04", 4, plan=None),  # a drop-in
        occ("2026-03-05", 5),
    ]
    event = occ("2026-03-06", 6)
    assert rule_fires(rule=rule, event=event, history=history)
    assert not rule_fires(rule=rule, event=occ("2026-03-06", 7, plan=8), history=history)
    assert not rule_fires(rule=rule, event=occ("2026-03-06", 8, trigger="late_cancel"), history=history)
    # Everyone: the drop-in and the other plan count too.
    assert occurrence_count(rule=terms(window_length=30), event=event, history=history) == 4


def test_later_occurrences_do_not_count_and_order_breaks_ties():
    rule = terms(frequency="exactly", count=1)
    a = occ("2026-03-05", 2)
    b = occ("2026-03-05", 1)  # same start, lower id: first
    assert rule_fires(rule=rule, event=b, history=[a, b])
    assert not rule_fires(rule=rule, event=a, history=[a, b])
    appointment = occ("2026-03-05", 9, kind="appointment")  # "appointment" < "class"
    assert occurrence_count(rule=terms(), event=b, history=[appointment]) == 2


@pytest.mark.parametrize("count", [0, -1])
def test_nonsense_counts_never_fire(count):
    event = occ("2026-03-05", 1)
    assert not rule_fires(rule=terms(count=count), event=event, history=[event])
    assert not rule_fires(rule=terms(window_length=0), event=event, history=[event])


def test_rule_terms_of_a_model_rule():
    from memberships.models import PenaltyRule

    rule = PenaltyRule(
        trigger="late_cancel",
        all_plans=False,
        frequency="at_least",
        count=3,
        window_unit="weeks",
        window_length=2,
        fee_amount=500,
        currency="CAD",
    )
    assert RuleTerms.of(rule, [3, "4"]).plan_ids == frozenset({3, 4})
    rule.all_plans = True
    assert RuleTerms.of(rule, [3]).plan_ids == frozenset()
