"""Memberships factories. Like tests/factories.py, tenant rows are created with scopes disabled.

Studio-aware: pass `studio=` (a plan) or `client=` (a membership; its studio follows the
client's, and the plan is built in that studio unless given). Currency follows the studio.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.utils import timezone

from memberships.models import Membership, MembershipStatus, Plan, PlanKind
from memberships.services.periods import first_period_bounds, plan_credits_per_period
from tests.factories import ClientFactory, UnscopedFactory


class PlanFactory(UnscopedFactory):
    """A monthly subscription by default (20,00 a month, unlimited, every class, sold everywhere).

    Traits: `PlanFactory(studio=s, pack=True)` (10 credits, never expiring),
    `pass_=True` (30-day pass from purchase), `payment_plan=True` (6 monthly instalments;
    give `location=` a home location).
    """

    class Meta:
        model = Plan

    class Params:
        pack = factory.Trait(kind=PlanKind.PACK, pack_credits=10, price_amount=15000)
        pass_ = factory.Trait(kind=PlanKind.PASS, interval_unit="day", interval_count=30)
        payment_plan = factory.Trait(kind=PlanKind.PAYMENT_PLAN, instalment_count=6, price_amount=10000)

    name = factory.Sequence(lambda n: f"Plan {n}")
    kind = PlanKind.SUBSCRIPTION
    price_amount = 2000
    currency = factory.LazyAttribute(lambda o: o.studio.currency)
    tax_kind = "membership"
    interval_unit = "month"
    interval_count = 1


def _studio_today(studio) -> dt.date:
    """The studio's day, as the product dates a membership (just after midnight UTC it is still
    yesterday in Montréal: a test run then must not see a pack that starts tomorrow)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(studio.time_zone or "UTC"))


class MembershipFactory(UnscopedFactory):
    """An active membership of `plan` for `client`, its current period starting today.

    The period ends where the plan's first period would (memberships.services.periods);
    credits follow the plan. A pass of fixed dates starts on `started_on` here regardless.
    """

    class Meta:
        model = Membership

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    plan = factory.SubFactory(PlanFactory, studio=factory.SelfAttribute("..client.studio"))
    status = MembershipStatus.ACTIVE
    price_amount = factory.SelfAttribute("plan.price_amount")
    currency = factory.SelfAttribute("plan.currency")
    started_on = factory.LazyAttribute(lambda o: _studio_today(o.client.studio))
    anchor_day = factory.LazyAttribute(lambda o: o.started_on.day)
    current_period_start = factory.SelfAttribute("started_on")
    current_period_end = factory.LazyAttribute(lambda o: first_period_bounds(plan=o.plan, on=o.started_on)[1])
    next_renewal_on = factory.LazyAttribute(lambda o: o.current_period_end if o.plan.renews else None)
    credits_remaining = factory.LazyAttribute(lambda o: plan_credits_per_period(o.plan))
    periods_paid = 1


# --- policy (prule) --------------------------------------------------------------------------


class PenaltyRuleFactory(UnscopedFactory):
    """A rule charging 10,00 at every no-show within the last month, for everyone, by default.

    Give `plans=[plan, …]` to limit it to those plans (all_plans becomes False).
    """

    class Meta:
        model = "memberships.PenaltyRule"
        skip_postgeneration_save = True

    trigger = "no_show"
    all_plans = True
    frequency = "every"
    count = 1
    window_unit = "months"
    window_length = 1
    fee_amount = 1000
    currency = factory.LazyAttribute(lambda o: o.studio.currency)
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def plans(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        from django_scopes import scopes_disabled

        from memberships.models import PenaltyRulePlan

        with scopes_disabled():
            self.all_plans = False
            self.save(update_fields=["all_plans"])
            for plan in extracted:
                PenaltyRulePlan.objects.create(studio=self.studio, rule=self, plan=plan)
