"""Reads of the online cart (CHK-2)."""

from __future__ import annotations

from django.http import Http404

from checkout.models import Order, OrderLine, OrderStatus
from studio.compiled_sql import compiled_instance, compiled_rows, model_columns
from studio.models import Client, Location, Studio


def order_lines_queryset():
    """An order's lines with what the cart, the review page and the receipt show of them (a
    line's own `location` is where it happens: its session's or calendar's is not read again)."""
    return OrderLine.objects.select_related(*(path for path, _model, _parent in _line_relations())).order_by(
        "position", "id"
    )


def _line_relations() -> tuple[tuple[str, type, str | None], ...]:
    """What `order_lines_queryset` reads with a line: (path, model, the parent path it hangs on)."""
    from memberships.models import Plan
    from pos.models import Product
    from scheduling.models import AppointmentCalendar, AppointmentService, ClassSession, ClassTemplate
    from studio.models import StaffMember

    return (
        ("plan", Plan, None),
        ("session", ClassSession, None),
        ("session__template", ClassTemplate, "session"),
        ("product", Product, None),
        ("appointment_service", AppointmentService, None),
        ("appointment_calendar", AppointmentCalendar, None),
        ("appointment_calendar__teacher", StaffMember, "appointment_calendar"),
        ("location", Location, None),
    )


def _columns(path: str, model) -> list[str]:
    return [f"{path}__{column}" for column in model_columns(model)]


def _lines_query(*, studio_id: int, order_id: int):
    columns = list(model_columns(OrderLine))
    for path, model, _parent in _line_relations():
        columns += _columns(path, model)
    return OrderLine.objects.filter(order_id=order_id).order_by("position", "id").values_list(*columns)


def order_lines_of(order: Order) -> list[OrderLine]:
    """`order`'s lines as `order_lines_queryset()` reads them (the same rows and related objects),
    from SQL the ORM compiled once per process: the cart and review pages read them on every
    request, and building that eight-table join cost the ORM more than PostgreSQL takes to run it."""
    relations = _line_relations()
    lines = []
    for row in compiled_rows("checkout-order-lines", _lines_query, order_id=order.pk):
        line, end = compiled_instance(OrderLine, row)
        found: dict[str, object] = {}
        for path, model, parent in relations:
            obj, end = compiled_instance(model, row, end)
            if obj.pk is None:  # no such relation on this line (the join found nothing)
                continue
            found[path] = obj
            name = path.rsplit("__", 1)[-1]
            owner = found.get(parent) if parent else line
            if owner is not None:
                setattr(owner, name, obj)
        line.order = order
        lines.append(line)
    return lines


def _order_query(*, studio_id: int, token: str, open_only: bool):
    found = Order.objects.filter(token=token)
    if open_only:
        found = found.filter(status=OrderStatus.OPEN)
    return found.values_list(
        *model_columns(Order), *_columns("client", Client), *_columns("client__home_location", Location)
    )[:1]


def order_by_token(*, studio: Studio, token: str, open_only: bool = False) -> Order | None:
    """The order of `studio` (the active scope's) whose token is `token`, with its client and
    their home location, as `Order.objects.select_related("client__home_location")` reads it;
    None if there is none (only an OPEN one when `open_only`). Compiled once per process."""
    rows = compiled_rows(
        ("checkout-order", open_only),
        lambda **values: _order_query(open_only=open_only, **values),
        token=token,
    )
    if not rows:
        return None
    order, end = compiled_instance(Order, rows[0])
    client, end = compiled_instance(Client, rows[0], end)
    location, end = compiled_instance(Location, rows[0], end)
    if order.client_id is not None:
        if client.home_location_id is not None:
            client.home_location = location
        order.client = client
    order.studio = studio
    return order


def order_for_page(*, studio: Studio, token: str) -> Order:
    """The order of `studio` whose public token is `token`, its client (and home location) and
    its lines prefetched: two queries, whatever the number of lines. Raises Http404 for a wrong
    token or another studio's (never a hint that it exists). Whose it is stays the caller's
    check (`checkout.services.cart.order_for_request` or the order's client)."""
    if not isinstance(token, str) or not token or len(token) > 43 or "\x00" in token:
        raise Http404
    order = order_by_token(studio=studio, token=token)
    if order is None:
        raise Http404
    return order_with_lines(order)


def order_with_lines(order: Order) -> Order:
    """`order` with its lines read (`order_lines_queryset`) as `order.lines.all()` answers them
    from then on: what `prefetch_related` would do, without its machinery (a fifth of the cart
    page's time went to it)."""
    lines = order_lines_of(order)
    order._prefetched_objects_cache = {**getattr(order, "_prefetched_objects_cache", {}), "lines": lines}
    return order
