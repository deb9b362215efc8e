"""Proration of a cancellation now (MEM-4): the rounding table, then the cap at what was paid.

Day-based: the unused days of the current period over its days, of what was paid for it,
rounded half up to the minor unit.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope, scopes_disabled

from memberships.models import MembershipPeriod, Proration
from memberships.periods import prorated_unused
from memberships.services.lifecycle import cancel_proration
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.tests.helpers import cash_payment

D = dt.date

# (amount, period start, period end (exclusive), cancelled on, expected)
TABLE = [
    # 0 days left: cancelled on the last day's end (the renewal date) or later
    (3000, D(2026, 11, 1), D(2026, 12, 1), D(2026, 12, 1), 0),
    (3000, D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 15), 0),
    # the whole period: cancelled on its first day, or before it started
    (3000, D(2026, 11, 1), D(2026, 12, 1), D(2026, 11, 1), 3000),
    (3000, D(2026, 11, 1), D(2026, 12, 1), D(2026, 10, 20), 3000),
    # a 30-day period (November): 10 of 30 days left
    (3000, D(2026, 11, 1), D(2026, 12, 1), D(2026, 11, 21), 1000),
    # a 31-day period (December): 10 of 31 days of 3000 = 967.74… → 968
    (3000, D(2026, 12, 1), D(2027, 1, 1), D(2026, 12, 22), 968),
    # a 28-day February: 14 of 28 days of 2999 = 1499.5 → half up → 1500
    (2999, D(2027, 2, 1), D(2027, 3, 1), D(2027, 2, 15), 1500),
    # a 29-day February (leap year): 1 of 29 days of 100 = 3.448… → 3
    (100, D(2028, 2, 1), D(2028, 3, 1), D(2028, 2, 29), 3),
    # half up, never banker's rounding: 1 of 2 days of 1 = 0.5 → 1; 3 = 1.5 → 2; 5 = 2.5 → 3
    (1, D(2026, 1, 1), D(2026, 1, 3), D(2026, 1, 2), 1),
    (3, D(2026, 1, 1), D(2026, 1, 3), D(2026, 1, 2), 2),
    (5, D(2026, 1, 1), D(2026, 1, 3), D(2026, 1, 2), 3),
    # amount 0 gives back 0, whatever the days
    (0, D(2026, 11, 1), D(2026, 12, 1), D(2026, 11, 2), 0),
    # a period with no days gives back nothing (never a division by zero)
    (3000, D(2026, 11, 1), D(2026, 11, 1), D(2026, 11, 1), 0),
]


@pytest.mark.parametrize("amount,start,end,on,expected", TABLE)
def test_the_proration_table(amount, start, end, on, expected):
    assert prorated_unused(amount=amount, period_start=start, period_end=end, on=on) == expected


def test_proration_is_never_more_than_the_amount_and_never_negative():
    start, end = D(2026, 1, 31), D(2026, 2, 28)
    for offset in range(-5, 40):
        value = prorated_unused(
            amount=4999, period_start=start, period_end=end, on=start + dt.timedelta(offset)
        )
        assert 0 <= value <= 4999


# --- the cap: what the period's payment still has to refund -------------------------------------


@pytest.fixture
def membership_paid(studio, other_studio, a_client):
    """A 30-day November period paid 3000 in cash (taxes off), its payment on the period."""
    plan = PlanFactory(studio=studio, price_amount=3000)
    membership = MembershipFactory(
        client=a_client,
        plan=plan,
        started_on=D(2026, 11, 1),
        current_period_start=D(2026, 11, 1),
        current_period_end=D(2026, 12, 1),
        next_renewal_on=D(2026, 12, 1),
    )
    payment = cash_payment(studio, a_client, amount=3000)
    with scopes_disabled():
        MembershipPeriod.objects.create(
            studio=studio,
            membership=membership,
            kind="purchase",
            starts_on=D(2026, 11, 1),
            ends_on=D(2026, 12, 1),
            payment=payment,
        )
    return membership, payment


@pytest.mark.django_db
def test_the_refund_is_capped_at_what_is_left_refundable_on_the_periods_payment(studio, membership_paid):
    membership, payment = membership_paid
    with scope(studio=studio):
        money = cancel_proration(membership=membership, mode=Proration.REFUND, today=D(2026, 11, 1))
        assert (money.amount, money.days_left, money.days_total) == (payment.amount, 30, 30)
        with scopes_disabled():
            type(payment).objects.filter(pk=payment.pk).update(amount_refunded=payment.amount - 500)
        payment.refresh_from_db()
        capped = cancel_proration(membership=membership, mode=Proration.REFUND, today=D(2026, 11, 1))
        assert capped.amount == 500 and capped.note
        with scopes_disabled():
            type(payment).objects.filter(pk=payment.pk).update(amount_refunded=payment.amount)
        nothing = cancel_proration(membership=membership, mode=Proration.CREDIT, today=D(2026, 11, 16))
        assert nothing.amount == 0 and nothing.mode == Proration.NONE


@pytest.mark.django_db
def test_a_sign_up_fee_in_the_first_payment_is_not_prorated(studio, a_client):
    plan = PlanFactory(studio=studio, price_amount=3000, signup_fee_amount=1000)
    membership = MembershipFactory(
        client=a_client,
        plan=plan,
        started_on=D(2026, 11, 1),
        current_period_start=D(2026, 11, 1),
        current_period_end=D(2026, 12, 1),
    )
    payment = cash_payment(studio, a_client, amount=4000)  # price + fee, one payment
    with scopes_disabled():
        MembershipPeriod.objects.create(
            studio=studio, membership=membership, kind="purchase", starts_on=D(2026, 11, 1), payment=payment
        )
    with scope(studio=studio):
        money = cancel_proration(membership=membership, mode=Proration.REFUND, today=D(2026, 11, 16))
    # 15 of 30 days of the price's share of what was paid (3000/4000 of the total, taxes included).
    share = payment.amount * 3000 / 4000
    assert money.amount == prorated_unused(
        amount=round(share), period_start=D(2026, 11, 1), period_end=D(2026, 12, 1), on=D(2026, 11, 16)
    )
    assert money.amount < payment.amount // 2


@pytest.mark.django_db
def test_no_payment_on_the_period_prorates_nothing(studio, a_client):
    membership = MembershipFactory(client=a_client)
    with scope(studio=studio):
        money = cancel_proration(
            membership=membership, mode=Proration.REFUND, today=membership.current_period_start
        )
    assert money.amount == 0 and money.mode == Proration.NONE and money.note
