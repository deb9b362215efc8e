"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py). Each
checkout helper adds its URLs in its own section."""

from __future__ import annotations

CASES: dict = {}

# --- the cart (cart) ---


def _cart_line(studio):
    from django_scopes import scopes_disabled

    from checkout.tests.factories import order_with_lines

    made = order_with_lines(studio, {"unit_amount": 1000}, reprice=False)
    with scopes_disabled():
        return {"line_pk": made.lines.get().pk}


CASES["checkout-cart-line"] = _cart_line

# --- what a paid order becomes (ful); pay's token pages too (each case is an order of `studio`) ---


def _paid_order(studio):
    from django.db.models import Max
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from checkout.models import Order, OrderStatus
    from checkout.tests.factories import order_with_lines
    from tests.factories import ClientFactory

    with scopes_disabled():  # several cases make orders in one studio: each its own number
        number = (Order.objects.filter(studio=studio).aggregate(n=Max("number"))["n"] or 0) + 1
    return order_with_lines(
        studio,
        {"unit_amount": 1000, "description": "Isolation line", "fulfilment_ref": "stock:untracked"},
        client=ClientFactory(studio=studio),
        status=OrderStatus.PAID,
        number=number,
        paid_at=timezone.now(),
    )


def _order_token(studio):
    return {"token": _paid_order(studio).token}


def _order_pk(studio):
    return {"pk": _paid_order(studio).pk}


CASES["checkout-order-done"] = _order_token
CASES["account-order-receipt"] = _order_token
CASES["order-detail"] = _order_pk
for _name in ("checkout-card", "checkout-return", "checkout-status", "checkout-abandon"):
    CASES.setdefault(_name, _order_token)
