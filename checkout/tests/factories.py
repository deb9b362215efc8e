"""Test data for checkout, shared by every checkout helper's tests. Rows are made directly with
scopes disabled (like tests/factories.py); `order_with_lines` prices them as the cart does."""

from __future__ import annotations

from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderLine, OrderLineKind, OrderStatus
from checkout.services.cart import order_new_token


def order(studio, *, client=None, status=OrderStatus.OPEN, **kw) -> Order:
    """An empty order of `studio` (OPEN, anonymous unless `client`); `kw` sets any other field."""
    with scopes_disabled():
        return Order.objects.create(
            studio=studio,
            client=client,
            status=status,
            token=kw.pop("token", None) or order_new_token(),
            currency=studio.currency,
            **kw,
        )


def order_line(order_: Order, *, kind=OrderLineKind.PRODUCT, unit_amount=1000, quantity=1, tax_kind="", **kw):
    """One line on `order_`, made directly (no checks, no repricing). `kw`: plan=, session=,
    product=, location=, appointment_service=, appointment_calendar=, starts_at=, owed_kind=,
    owed_id=, description=…"""
    with scopes_disabled():
        position = OrderLine.objects.filter(order=order_).count() + 1
        return OrderLine.objects.create(
            studio_id=order_.studio_id,
            order=order_,
            position=position,
            kind=kind,
            unit_amount=unit_amount,
            quantity=quantity,
            tax_kind=tax_kind,
            description=kw.pop("description", None) or f"Line {position}",
            **kw,
        )


def order_with_lines(studio, *lines, client=None, reprice=True, **kw) -> Order:
    """An order of `studio` with `lines` (dicts of `order_line` arguments, or OrderLine-shaped
    shortcuts: `{"kind": "plan", "plan": plan, "unit_amount": 2000, "tax_kind": "membership"}`),
    priced by `order_reprice` unless `reprice=False`. The order comes back with fresh totals.

        order_with_lines(studio, {"product": p, "location": loc, "quantity": 2, "unit_amount": 1000,
                                   "tax_kind": "product"}, client=a_client)
    """
    made = order(studio, client=client, **kw)
    for line in lines:
        order_line(made, **line)
    if reprice and made.status == OrderStatus.OPEN:
        from checkout.services.cart import order_reprice

        with scope(studio=studio):
            order_reprice(order=made)
    with scopes_disabled():
        made.refresh_from_db()
    return made
