"""Reads of the online cart (CHK-2)."""

from __future__ import annotations

from django.http import Http404

from checkout.models import Order, OrderLine
from studio.models import Studio


def order_lines_queryset():
    """An order's lines with what the cart, the review page and the receipt show of them (a
    line's own `location` is where it happens: its session's or calendar's is not read again)."""
    return OrderLine.objects.select_related(
        "plan",
        "session__template",
        "product",
        "appointment_service",
        "appointment_calendar__teacher",
        "location",
    ).order_by("position", "id")


def order_for_page(*, studio: Studio, token: str) -> Order:
    """The order of `studio` whose public token is `token`, its client (and home location) and
    its lines prefetched: two queries, whatever the number of lines. Raises Http404 for a wrong
    token or another studio's (never a hint that it exists). Whose it is stays the caller's
    check (`checkout.services.cart.order_for_request` or the order's client)."""
    if not isinstance(token, str) or not token or len(token) > 43 or "\x00" in token:
        raise Http404
    found = Order.objects.filter(studio=studio, token=token).select_related("client__home_location")
    order = next(iter(found[:1]), None)  # the token is unique: no ORDER BY to build
    if order is None:
        raise Http404
    order.studio = studio
    return order_with_lines(order)


def order_with_lines(order: Order) -> Order:
    """`order` with its lines read (`order_lines_queryset`) as `order.lines.all()` answers them
    from then on: what `prefetch_related` would do, without its machinery (a fifth of the cart
    page's time went to it)."""
    lines = list(order_lines_queryset().filter(order=order))
    for line in lines:
        line.order = order
    order._prefetched_objects_cache = {**getattr(order, "_prefetched_objects_cache", {}), "lines": lines}
    return order
