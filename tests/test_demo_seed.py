"""The demo seed `make run` loads: complete, idempotent, and two studios apart."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.demo_logins import DEMO_LOGINS
from studio.models import Client, Location, StaffMember, Studio, User


@pytest.mark.django_db
def test_seed_demo_twice_is_idempotent_and_logins_work():
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            counts = (
                Studio.objects.count(),
                Location.objects.count(),
                Client.objects.count(),
                StaffMember.objects.count(),
            )
        call_command("seed_demo")
    with scopes_disabled():
        assert counts == (
            Studio.objects.count(),
            Location.objects.count(),
            Client.objects.count(),
            StaffMember.objects.count(),
        )
        from payments.models import ConnectedAccount

        accounts = ConnectedAccount.objects.filter(studio__slug="demo")
        assert accounts.count() == 2 and all(a.charges_enabled for a in accounts)
        from payments.models import SavedPaymentMethod

        camille = SavedPaymentMethod.objects.filter(client__email="client@demo.atelier.test")
        assert {m.kind for m in camille} == {"card", "acss_debit"}
        assert SavedPaymentMethod.objects.filter(studio__slug="demo").count() >= 6
        from payments.models import CreditEntry, Payment, Refund

        demo_payments = Payment.objects.filter(studio__slug="demo")
        # payments' own four; memberships' demo sells its plans and charges penalty fees on top
        # (memberships/tests/test_demo.py), the POS demo its day of sales (pos/tests/test_tender_demo.py)
        # and checkout's demo an online order paid by credit (checkout/tests/test_orders_demo.py)
        own = demo_payments.exclude(
            source_type__in=("membership_sale", "penalty", "pos_tender", "checkout_order", "invoice")
        )
        assert own.filter(status="succeeded").count() == 4
        assert {p.account.display_name for p in demo_payments} == {
            "Atelier Demo — Montréal",
            "Atelier Demo — Laval",
        }
        assert Refund.objects.filter(payment__studio__slug="demo", status="succeeded").count() == 2
        # payments' own two, and checkout's demo order: the credit given, then spent at checkout
        assert CreditEntry.objects.filter(studio__slug="demo").count() == 2 + 2
        escrow = Payment.objects.exclude(source_type="membership_sale").get(studio__slug="autre")
        assert escrow.is_escrow and escrow.status == "succeeded"
    for email, _what in DEMO_LOGINS:
        assert User.objects.get(email=email).check_password("atelier-demo")
