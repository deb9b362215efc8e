"""Checkout's Celery tasks: the paid order's receipt email, enqueued by name
(`checkout.order_receipt_email`) when `order_mark_paid` commits, and the beat's sweep of orders
left paying."""

from __future__ import annotations

from celery import shared_task

from checkout.models import Order
from checkout.services.payment import orders_paying_expire
from checkout.services.receipts import order_receipt_auto_email
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="checkout.order_receipt_email")
def order_receipt_email(studio_id: int, order_id: int) -> int:
    """Email the receipt of order `order_id` to its client (or their guardians) with the PDF
    attached, once; returns the messages recorded."""
    order = Order.objects.select_related("client", "payment__account").filter(pk=order_id).first()
    if order is None:
        return 0
    studio = Studio.objects.get(pk=studio_id)
    order.studio = studio
    return order_receipt_auto_email(studio=studio, order=order)


@shared_task(name="checkout.sweep_paying_orders_all_studios")
def sweep_paying_orders_all_studios() -> int:
    """Fan out (beat): each studio's orders left paying (a 3-D Secure step, a card page or Stripe
    Checkout abandoned) are settled or given back, so their places, stock and credit are not held."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        expire_paying_orders.delay(studio_id)
    return len(ids)


@studio_task(name="checkout.expire_paying_orders")
def expire_paying_orders(studio_id: int) -> int:
    return orders_paying_expire(studio=Studio.objects.get(pk=studio_id))
