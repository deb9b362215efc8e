"""Late cancels and no-shows read from scheduling with their membership (POL-3, POL-5): which
membership an event belongs to, the query budget, the rules that fire, and the preview equal to
what charging would do on the same events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from memberships.models import CreditUse, MembershipPeriod, PolicySettings
from memberships.policy_engine import RuleTerms
from memberships.selectors.policy import (
    occurrence_for_event,
    occurrences_for,
    rule_preview,
    rules_firing,
)
from memberships.tests.factories import MembershipFactory, PenaltyRuleFactory, PlanFactory
from scheduling.models import AppointmentStatus, BookingStatus, SessionStatus
from scheduling.tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
)
from tests.factories import ClientFactory

NOW = timezone.now().replace(microsecond=0)


def session_at(studio, when, template=None):
    template = template or ClassTemplateFactory(studio=studio)
    return ClassSessionFactory(template=template, starts_at=when, occurrence_date=when.date())


def with_period(membership, start: dt.date, end: dt.date):
    with scopes_disabled():
        MembershipPeriod.objects.create(
            studio=membership.studio, membership=membership, kind="purchase", starts_on=start, ends_on=end
        )
    return membership


def credit(booking, membership, kind="class"):
    with scopes_disabled():
        CreditUse.objects.create(
            studio=membership.studio,
            membership=membership,
            booking_kind=kind,
            booking_id=booking.pk,
            used_at=NOW,
        )


@pytest.fixture
def member(studio, location):
    client = ClientFactory(studio=studio, first_name="Ana", last_name="Member")
    today = timezone.localdate()
    membership = MembershipFactory(client=client, started_on=today - dt.timedelta(days=60))
    with_period(membership, today - dt.timedelta(days=60), today + dt.timedelta(days=30))
    return membership


def test_occurrences_carry_their_membership(studio, other_studio, member):
    template = ClassTemplateFactory(studio=studio)
    pack = MembershipFactory(client=member.client, plan=PlanFactory(studio=studio, pack=True))
    with_period(
        pack, timezone.localdate() - dt.timedelta(days=90), timezone.localdate() + dt.timedelta(days=90)
    )
    paid_by_pack = BookingFactory(
        session=session_at(studio, NOW - dt.timedelta(days=3), template),
        client=member.client,
        status=BookingStatus.LATE_CANCELLED,
    )
    credit(paid_by_pack, pack)
    covered = BookingFactory(
        session=session_at(studio, NOW - dt.timedelta(days=2), template),
        client=member.client,
        status=BookingStatus.NO_SHOW,
    )
    drop_in = BookingFactory(
        session=session_at(studio, NOW - dt.timedelta(days=1), template), status=BookingStatus.NO_SHOW
    )
    BookingFactory(
        session=session_at(studio, NOW - dt.timedelta(days=1), template), status=BookingStatus.BOOKED
    )
    cancelled_class = session_at(studio, NOW - dt.timedelta(days=1), template)
    BookingFactory(session=cancelled_class, status=BookingStatus.LATE_CANCELLED)
    with scopes_disabled():
        cancelled_class.status = SessionStatus.CANCELLED
        cancelled_class.save()
    appointment = AppointmentFactory(
        calendar__location__studio=studio,
        client=member.client,
        starts_at=NOW - dt.timedelta(hours=5),
        status=AppointmentStatus.NO_SHOW,
    )
    BookingFactory(  # the other studio's no-show never shows here
        session=session_at(other_studio, NOW - dt.timedelta(days=2)), status=BookingStatus.NO_SHOW
    )
    with scope(studio=studio):
        found = occurrences_for(studio=studio, since=NOW - dt.timedelta(days=10), until=NOW)
    assert [(o.event_kind, o.event_id) for o in found] == [
        ("class", paid_by_pack.pk),
        ("class", covered.pk),
        ("class", drop_in.pk),
        ("appointment", appointment.pk),
    ]
    by_id = {o.event_id: o for o in found if o.event_kind == "class"}
    assert by_id[paid_by_pack.pk].trigger == "late_cancel"
    assert by_id[paid_by_pack.pk].membership_id == pack.pk
    assert by_id[covered.pk].trigger == "no_show"
    assert by_id[covered.pk].membership_id == member.pk
    assert by_id[covered.pk].plan_id == member.plan_id
    assert by_id[covered.pk].period_start == timezone.localdate() - dt.timedelta(days=60)
    assert by_id[drop_in.pk].membership_id is None and by_id[drop_in.pk].period_start is None
    assert found[-1].membership_id == member.pk
    assert found[0].occurred_at.utcoffset() is not None
    with scope(studio=studio):
        assert (
            occurrence_for_event(studio=studio, event_kind="class", event_id=covered.pk) == by_id[covered.pk]
        )
        assert occurrence_for_event(studio=other_studio, event_kind="class", event_id=covered.pk) is None
        assert occurrence_for_event(studio=studio, event_kind="appointment", event_id=appointment.pk)
        assert occurrence_for_event(studio=studio, event_kind="nonsense", event_id=covered.pk) is None
    with scopes_disabled():
        covered.status = BookingStatus.CHECKED_IN  # attendance corrected
        covered.save()
    with scope(studio=studio):
        assert occurrence_for_event(studio=studio, event_kind="class", event_id=covered.pk) is None


def _no_shows(studio, n: int):
    template = ClassTemplateFactory(studio=studio)
    today = timezone.localdate()
    for i in range(n):
        membership = MembershipFactory(
            client=ClientFactory(studio=studio), started_on=today - dt.timedelta(days=40)
        )
        with_period(membership, today - dt.timedelta(days=40), today + dt.timedelta(days=20))
        booking = BookingFactory(
            session=session_at(studio, NOW - dt.timedelta(hours=i + 1), template),
            client=membership.client,
            status=BookingStatus.NO_SHOW,
        )
        if i % 2:
            credit(booking, membership)


def test_occurrences_query_count_is_the_same_at_1_and_200(studio, other_studio):
    counts = []
    for n in (1, 200):
        _no_shows(studio, n)
        with scope(studio=studio), CaptureQueriesContext(connection) as captured:
            found = occurrences_for(studio=studio, since=NOW - dt.timedelta(days=30), until=NOW)
        counts.append(len(captured))
        assert all(o.membership_id for o in found)
    assert counts[0] == counts[1] <= 5


def test_rules_firing_order_and_first_match(studio, other_studio, member):
    template = ClassTemplateFactory(studio=studio)
    other_plan = PlanFactory(studio=studio)
    second = PenaltyRuleFactory(studio=studio, position=2, fee_amount=500)
    first = PenaltyRuleFactory(studio=studio, position=1, fee_amount=1500, plans=[member.plan])
    PenaltyRuleFactory(studio=studio, position=0, plans=[other_plan])  # not this member's plan
    PenaltyRuleFactory(studio=studio, position=0, archived_at=NOW)
    PenaltyRuleFactory(studio=studio, position=0, trigger="late_cancel")
    PenaltyRuleFactory(studio=other_studio, position=0)
    booking = BookingFactory(
        session=session_at(studio, NOW - dt.timedelta(days=1), template),
        client=member.client,
        status=BookingStatus.NO_SHOW,
    )
    with scope(studio=studio):
        event = occurrence_for_event(studio=studio, event_kind="class", event_id=booking.pk)
        assert rules_firing(studio=studio, event=event) == [first]  # no policy saved: first match
        PolicySettings.objects.create(studio=studio, rules_match="all")
        assert rules_firing(studio=studio, event=event) == [first, second]


def test_rules_firing_counts_earlier_events_read_from_the_database(studio, other_studio, member):
    template = ClassTemplateFactory(studio=studio)
    rule = PenaltyRuleFactory(studio=studio, frequency="every", count=2, window_unit="days", window_length=30)
    events = []
    for days_ago in (20, 10, 5):
        events.append(
            BookingFactory(
                session=session_at(studio, NOW - dt.timedelta(days=days_ago), template),
                client=member.client,
                status=BookingStatus.NO_SHOW,
            )
        )
    with scope(studio=studio):
        fired = [
            bool(
                rules_firing(
                    studio=studio,
                    event=occurrence_for_event(studio=studio, event_kind="class", event_id=b.pk),
                )
            )
            for b in events
        ]
    assert fired == [False, True, False]
    assert rule.pk


@pytest.mark.parametrize(
    ("frequency", "count", "unit", "length"),
    [
        ("every", 2, "days", 30),
        ("at_least", 2, "weeks", 2),
        ("exactly", 3, "months", 1),
        ("every", 2, "renewal_period", 1),
    ],
)
def test_preview_equals_what_charging_would_do(studio, other_studio, member, frequency, count, unit, length):
    template = ClassTemplateFactory(studio=studio)
    drop_in_client = ClientFactory(studio=studio, first_name="Dee", last_name="Dropin")
    # Some events before the 90 days too: they count towards the first ones inside.
    for days_ago in (100, 95, 88, 80, 61, 47, 40, 33, 20, 12, 6, 2):
        BookingFactory(
            session=session_at(studio, NOW - dt.timedelta(days=days_ago), template),
            client=member.client,
            status=BookingStatus.NO_SHOW,
        )
    for days_ago in (92, 70, 69, 15):
        BookingFactory(
            session=session_at(studio, NOW - dt.timedelta(days=days_ago), template),
            client=drop_in_client,
            status=BookingStatus.NO_SHOW,
        )
    rule = PenaltyRuleFactory(
        studio=studio,
        frequency=frequency,
        count=count,
        window_unit=unit,
        window_length=length,
        fee_amount=1000,
    )
    with scope(studio=studio):
        preview = rule_preview(studio=studio, terms=RuleTerms.of(rule, []), now=NOW)
        replayed = [
            o
            for o in occurrences_for(studio=studio, since=NOW - dt.timedelta(days=90), until=NOW)
            if rules_firing(studio=studio, event=o) == [rule]
        ]
    assert [row.occurrence for row in preview.rows] == replayed
    assert preview.count == len(replayed)
    assert preview.total == 1000 * len(replayed)
    assert all(row.client_name in ("Ana Member", "Dee Dropin") for row in preview.rows)
    if unit == "renewal_period":  # drop-ins have no period: never charged by such a rule
        assert {row.client_name for row in preview.rows} == {"Ana Member"}
    assert preview.count > 0
