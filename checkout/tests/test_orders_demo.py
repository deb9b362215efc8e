"""Checkout's demo (ful): the demo client has one paid online order, made by the real services,
and seeding twice adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from checkout.models import Order, OrderStatus
from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Studio

pytestmark = pytest.mark.django_db


def test_the_demo_client_has_one_paid_online_order_and_reseeding_adds_none():
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        call_command("seed_demo")
    with scopes_disabled():
        demo = Studio.objects.get(slug="demo")
        mine = Order.objects.filter(studio=demo, client__email="client@demo.atelier.test")
        orders = list(mine.filter(status=OrderStatus.PAID))
        assert len(orders) == 1, list(mine.values_list("status", "number", "created_at"))
        order = orders[0]
        assert order.status == OrderStatus.PAID and order.number == 1
        lines = list(order.lines.all())
        assert lines and all(line.fulfilment_ref for line in lines)
        assert order.credit_payment is not None and order.credit_payment.status == "succeeded"
