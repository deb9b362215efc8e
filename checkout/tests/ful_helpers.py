"""Test data for what a paid order becomes (ful): orders built with the cart's real services,
frozen and held as pay freezes them, and paid with a succeeded payment row (no Stripe)."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess

from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

_numbers = itertools.count(1)


def drop_in_session(
    studio, location, *, price=2000, capacity=10, starts_in=dt.timedelta(days=2), name="Flow"
):
    from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory

    template = ClassTemplateFactory(studio=studio, name=name, drop_in_price=price, capacity=capacity)
    return ClassSessionFactory(template=template, location=location, starts_in=starts_in, capacity=capacity)


def appointment_slot(studio, location, *, price=9000):
    """A service offered on a calendar of `location` with availability all week; returns
    (service, calendar, starts_at of the first bookable slot)."""
    from scheduling.selectors import appointment_slots
    from scheduling.tests.factories import (
        AppointmentCalendarFactory,
        AppointmentServiceFactory,
        AvailabilityFactory,
        offer,
    )

    service = AppointmentServiceFactory(studio=studio, price_amount=price)
    calendar = AppointmentCalendarFactory(location=location)
    offer(calendar, service)
    for weekday in range(7):
        AvailabilityFactory(
            calendar=calendar, weekday=weekday, start_time=dt.time(0, 0), end_time=dt.time(23, 59)
        )
    with scope(studio=studio):
        day = timezone.localdate() + dt.timedelta(days=2)
        slots = appointment_slots(calendar=calendar, service=service, day=day, now=timezone.now())
    return service, calendar, slots[0]


def open_order(studio, client, *lines: dict):
    """An OPEN order of `client` with `lines` (keyword arguments of `order_line_add`)."""
    from checkout.services.cart import order_create, order_line_add

    with scope(studio=studio):
        order = order_create(studio=studio, client=client)
        for line in lines:
            order_line_add(studio=studio, order=order, client=client, **line)
        order.refresh_from_db()
    return order


def freeze(studio, order, *, now=None):
    """What pay does on "Pay": lock the order, hold its lines (`order_hold`), PAYING."""
    from checkout.models import Order, OrderStatus
    from checkout.services.fulfilment import order_hold

    now = now or timezone.now()
    with scope(studio=studio), transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("client").get(pk=order.pk)
        order_hold(studio=studio, order=locked, now=now)
        locked.status = OrderStatus.PAYING
        locked.frozen_at = now
        locked.save(update_fields=["status", "frozen_at", "updated_at"])
    return locked


def card_payment(studio, order, *, amount=None, brand="visa", last4="4242", account=None, fee=0, **kw):
    """A SUCCEEDED card payment for `order`'s card part, written to the row, set on the order."""
    from checkout.models import Order
    from payments.models import Payment

    amount = order.total + fee if amount is None else amount
    with scopes_disabled():
        payment = Payment.objects.create(
            studio=studio,
            client=order.client,
            amount=amount,
            currency=order.currency,
            subtotal=order.subtotal,
            card_fee_amount=fee,
            card_brand=brand,
            card_last4=last4,
            account=account,
            routing_rule="default",
            channel="online",
            item_kind="product",
            description=f"Order {order.pk}",
            method=Payment.Method.CARD,
            idempotency_key=f"checkout_order:{order.pk}:test{next(_numbers)}",
            status=Payment.Status.SUCCEEDED,
            stripe_payment_intent_id=f"pi_test_{order.pk}",
            stripe_charge_id=f"ch_test_{order.pk}",
            **kw,
        )
        Order.objects.filter(pk=order.pk).update(payment=payment, card_fee=fee, amount_due=amount)
    order.refresh_from_db()
    return payment


def paid_order(studio, client, *lines: dict, account=None, now=None):
    """An order of `lines` frozen, paid by card and marked paid (the receipt task enqueued)."""
    from checkout.services.fulfilment import order_mark_paid

    order = freeze(studio, open_order(studio, client, *lines), now=now)
    card_payment(studio, order, account=account)
    with scope(studio=studio):
        return order_mark_paid(studio=studio, order=order, now=now or timezone.now())


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    run = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return run.stdout.decode().replace("\xa0", " ").replace("\u202f", " ")
