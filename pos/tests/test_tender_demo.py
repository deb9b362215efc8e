"""The demo's day of sales (tender): at each home location whose account can take payments, a cash
sale with change due, a saved card charged on that location's account and a sale on the simulated
reader with a tip — all completed through the services, and seeding twice sells nothing more."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from payments import gateway
from pos.models import Sale, SaleStatus, SaleTender
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Studio

pytestmark = pytest.mark.django_db


def test_the_demo_sells_a_day_at_each_home_location_once():
    sandbox = Sandbox(seed=5)
    with gateway.use_http_client(SandboxHTTPClient(sandbox)):
        call_command("seed_demo")
        with scopes_disabled():
            first = sorted(Sale.objects.values_list("pk", flat=True))
        call_command("seed_demo")
    with scopes_disabled():
        assert sorted(Sale.objects.values_list("pk", flat=True)) == first
        demo = Studio.objects.get(slug="demo")
        sales = list(
            Sale.objects.filter(studio=demo, token__startswith="demo-sale-").select_related("location")
        )
        detail = [
            (
                s.token,
                s.status,
                [
                    (t.kind, t.status, t.payment.status, t.payment.failure_code, t.payment.failure_message)
                    for t in s.tenders.select_related("payment")
                ],
            )
            for s in sales
        ]
        assert sales and {s.status for s in sales} == {SaleStatus.COMPLETED}, detail
        tenders = list(SaleTender.objects.filter(sale__in=sales).select_related("payment", "sale__location"))
        kinds = {(t.sale.location.name, t.kind) for t in tenders}
        for where in ("Montréal", "Laval"):
            assert (where, "cash") in kinds and (where, "reader") in kinds, kinds
        assert any(t.change_due > 0 for t in tenders if t.kind == "cash")
        assert all(t.tip_amount > 0 for t in tenders if t.kind == "reader")
        # Every card tender on its own location's account (PAY-3 rule 1).
        for tender in tenders:
            assert tender.payment.routing_rule == "pos_location"
            assert tender.sale.location.name in tender.payment.account.display_name
        assert not Sale.objects.exclude(studio=demo).exists()
