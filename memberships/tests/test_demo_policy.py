"""The cancellation policy's demo (issue 16): a saved policy, two rules, and a month of late
cancels and no-shows with fees charged, failed (owed) and waived — seeded once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from memberships.models import Penalty, PenaltyRule, PenaltyStatus, PolicySettings
from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Studio

pytestmark = pytest.mark.django_db


def _counts():
    return PenaltyRule.objects.count(), Penalty.objects.count(), PolicySettings.objects.count()


def test_the_policy_demo_has_rules_and_fees_in_every_state_and_seeds_once():
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            first = _counts()
        call_command("seed_demo")
    with scopes_disabled():
        assert _counts() == first
        demo = Studio.objects.get(slug="demo")
        policy = PolicySettings.objects.get(studio=demo)
        assert policy.saved_at is not None
        assert (policy.class_credit_return, policy.class_cutoff_hours, policy.appointment_credit_return) == (
            "before_cutoff",
            24,
            "always",
        )
        rules = list(PenaltyRule.objects.filter(studio=demo).order_by("position"))
        assert [
            (r.trigger, r.frequency, r.count, r.window_unit, r.fee_amount, r.all_plans) for r in rules
        ] == [
            ("no_show", "every", 2, "renewal_period", 1000, False),
            ("late_cancel", "at_least", 3, "days", 500, True),
        ]
        fees = Penalty.objects.filter(studio=demo)
        states = set(fees.values_list("status", flat=True))
        assert {PenaltyStatus.CHARGED, PenaltyStatus.FAILED, PenaltyStatus.WAIVED} <= states
        assert fees.filter(rule=rules[0], status=PenaltyStatus.CHARGED).exists()  # Camille's 2nd no-show
        waived = fees.get(status=PenaltyStatus.WAIVED)
        assert waived.waive_reason and waived.payment_id is None  # forgiven before any charge
        # The second studio has no policy demo: nothing of it leaks there.
        assert not Penalty.objects.filter(studio__slug="autre").exists()
