"""A membership's paid periods: the one place that opens a period and sets credits and dates.

The sale (first period) and the renewal engine (every later one) both end here, inside their
own transaction, with the membership row locked by the caller.
"""

from __future__ import annotations

import datetime as dt

from memberships.models import Membership, MembershipPeriod, MembershipStatus, Plan, PlanKind
from memberships.periods import add_interval


def plan_credits_per_period(plan: Plan) -> int | None:
    """Credits a new period grants (None: unlimited)."""
    if plan.kind == PlanKind.PACK:
        return plan.pack_credits
    return plan.credits_per_period


def first_period_bounds(*, plan: Plan, on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Start and exclusive end of the first period of `plan` bought (or first used) on `on`.

    A pass from its first use has no period until then: (None, None). A pack that never
    expires has no end. A fixed-dates pass bought before it starts begins on its first day.
    """
    if plan.kind == PlanKind.PACK:
        if plan.pack_expires_after_days:
            return on, on + dt.timedelta(days=plan.pack_expires_after_days)
        return on, None
    if plan.kind == PlanKind.PASS and plan.pass_starts_on and plan.pass_ends_on:
        start = max(on, plan.pass_starts_on)
        return start, plan.pass_ends_on + dt.timedelta(days=1)
    return on, add_interval(on, unit=plan.interval_unit, count=plan.interval_count, anchor_day=on.day)


def period_open(
    *,
    membership: Membership,
    starts_on: dt.date,
    ends_on: dt.date | None,
    kind: str,
    payment_id: int | None = None,
) -> MembershipPeriod:
    """Open the period `starts_on`..`ends_on` on the locked `membership`: credits reset, dates
    moved, status active, and the next renewal set for plans that renew. Idempotent per start
    date (the unique constraint names one period per start): a second call returns the first."""
    existing = MembershipPeriod.objects.filter(membership=membership, starts_on=starts_on).first()
    if existing is not None:
        return existing
    plan = membership.plan
    credits = plan_credits_per_period(plan)
    period = MembershipPeriod.objects.create(
        studio_id=membership.studio_id,
        membership=membership,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        credits_granted=credits,
        payment_id=payment_id,
    )
    if membership.started_on is None:
        membership.started_on = starts_on
        membership.anchor_day = starts_on.day
    membership.current_period_start = starts_on
    membership.current_period_end = ends_on
    membership.credits_remaining = credits
    membership.periods_paid += 1
    membership.status = MembershipStatus.ACTIVE
    membership.next_renewal_on = _next_renewal(membership, ends_on)
    membership.save()
    return period


def _next_renewal(membership: Membership, ends_on: dt.date | None) -> dt.date | None:
    plan = membership.plan
    if not plan.renews or ends_on is None:
        return None
    if plan.kind == PlanKind.PAYMENT_PLAN and membership.periods_paid >= (plan.instalment_count or 0):
        return None  # paid off: the course runs to the end of this period
    if membership.cancel_at_period_end:
        return None
    return ends_on


def next_period_end(*, membership: Membership, starts_on: dt.date) -> dt.date:
    """The exclusive end of the renewing period that starts on `starts_on`, keeping the anchor day."""
    plan = membership.plan
    return add_interval(
        starts_on, unit=plan.interval_unit, count=plan.interval_count, anchor_day=membership.anchor_day
    )
