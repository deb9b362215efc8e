"""Demo online order for `make run`: the demo client (Camille) bought a class pack and a product
on the studio's hosted pages, so "My purchases", the confirmation page, the receipt and the staff
list of online orders have something to show.

Made with the real services: the cart's (`order_create`, `order_line_add`) and pay's `order_pay`
with studio credit covering it all (the seed cannot type a card on a 3-D Secure page; credit is
one of the ways checkout pays), which holds, records the credit tender and marks it paid (the
pack granted, the product out of stock, the order numbered). Idempotent: a studio
where the demo client already has a paid online order is left as it is.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from checkout.models import Order, OrderStatus
from studio.models import Client, Studio

logger = logging.getLogger(__name__)

DEMO_CLIENT_EMAIL = "client@demo.atelier.test"


def _lines(studio: Studio, client: Client) -> list[dict]:
    from memberships.models import PlanKind
    from memberships.selectors.plans import plans_for_sale
    from pos.selectors.products import products_for_location

    lines: list[dict] = []
    pack = plans_for_sale(studio=studio).filter(kind=PlanKind.PACK).first()
    if pack is not None:
        lines.append({"kind": "plan", "plan": pack})
    home = client.home_location
    if home is not None:
        product = next(
            (p for p in products_for_location(studio=studio, location=home) if p.stock_here > 0), None
        )
        if product is not None:
            lines.append({"kind": "product", "product": product, "location": home, "quantity": 1})
    return lines


def _seed_order(studio: Studio, client: Client) -> Order | None:
    from checkout.services.cart import order_create, order_line_add
    from checkout.services.payment import order_pay
    from payments.services.credit import credit_grant
    from studio.services import SYSTEM

    lines = _lines(studio, client)
    if not lines:
        return None
    now = timezone.now()
    order = order_create(studio=studio, client=client)
    for line in lines:
        order_line_add(studio=studio, order=order, client=client, now=now, **line)
    order.refresh_from_db()
    # The studio gave Camille the credit; she spent it at checkout (credit covers it all, so no
    # card step): the same `order_pay` a client's "Pay" button calls.
    credit_grant(studio=studio, actor=SYSTEM, client=client, amount=order.total, note="Demo")
    order_pay(
        studio=studio,
        client=client,
        order=order,
        pay_token=f"demo-seed-order-for-client-{client.pk:08d}",
        card="none",
        use_credit=True,
        waivers_accepted=_waivers_to_accept(studio, client, order),
        ip=None,
        user_agent="demo seed",
        now=now,
    )
    order.refresh_from_db()
    return order


def _waivers_to_accept(studio: Studio, client: Client, order: Order) -> list[int]:
    """The waivers the order asks for (the demo client ticks them, as on the review page)."""
    from checkout.services.payment import order_waivers_required

    return [waiver.pk for waiver in order_waivers_required(studio=studio, client=client, order=order)]


def seed(*, studio: Studio, second_studio: Studio) -> None:
    """One paid online order for the demo client of `studio` (the second studio has no demo
    client on its hosted pages)."""
    with scope(studio=studio):
        client = (
            Client.objects.filter(studio=studio, email=DEMO_CLIENT_EMAIL)
            .select_related("home_location")
            .first()
        )
        if client is None:
            return
        if Order.objects.filter(studio=studio, client=client, status=OrderStatus.PAID).exists():
            return
        try:
            with transaction.atomic():  # all or nothing: no stray cart left behind
                _seed_order(studio, client)
        except ValidationError as exc:  # the other demos changed (no pack, no stock): no demo order
            logger.warning("demo: no online order seeded: %s", exc)
