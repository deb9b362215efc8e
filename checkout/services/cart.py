"""The online cart (CHK-2): the visitor's OPEN order, its lines, their checks and their prices.

- An anonymous visitor's order is found through the session (`request.session["checkout_order"]`
  holds its token); a signed-in client's is their latest OPEN order. On the first request after
  signing in (or signing up) the anonymous order is attached to the client, merged into the OPEN
  order they already had (duplicates collapsed: a product's quantities add up, anything else is
  kept once) and what the client cannot buy any more (a class they are already booked in) leaves.
- Every change locks the order row, refuses an order that is no longer OPEN (pay froze it), and
  reprices (`order_reprice`). A cart holds at most `MAX_LINES` lines, a product line at most
  `MAX_QUANTITY` units.
- Lines are checked when added, per kind (`order_line_add`); paying holds and checks again under
  the right locks (checkout.services.fulfilment), so what changed in between is refused there.
- Routing (PAY-3 rules 2–4): every line is routed as an online purchase; one order is paid to one
  account, so the lines routed elsewhere than the first line are listed (`order_route_conflicts`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from checkout.models import Order, OrderLine, OrderLineKind, OrderStatus
from memberships.models import Plan
from memberships.selectors.penalties import amounts_owed_for
from memberships.selectors.plans import plans_for_sale
from memberships.services.sales import sale_purchase_kind, sale_subtotal
from payments.services.routing import Channel, ItemKind, Purchase, Route, route_payment
from pos.models import Product
from pos.selectors.products import products_for_location
from pos.services import pricing
from scheduling.models import AppointmentCalendar, AppointmentService, ClassSession
from scheduling.selectors import appointment_slots, bookings_by_session, calendars_offering, session_detail
from studio.models import Client, Location, Studio

SESSION_KEY = "checkout_order"
MAX_LINES = 50
MAX_QUANTITY = 99

# payments' ItemKind codes the lines are taxed and routed by (PAY-9, PAY-3).
DROP_IN_KIND = ItemKind.CLASS_BOOKING
APPOINTMENT_KIND = ItemKind.APPOINTMENT
OWED_KINDS = {"penalty": ItemKind.PENALTY, "renewal": ItemKind.RENEWAL}

_TOTAL_FIELDS = ("subtotal", "tax_total", "tax_lines", "total")
_LINE_TOTAL_FIELDS = ("line_subtotal", "tax_total", "tax_lines", "line_total")


def _refuse(message: str, code: str, field: str | None = None) -> None:
    error = ValidationError(message, code=code)
    raise ValidationError({field: error}) if field else error


def _same_studio(studio: Studio, *objects) -> None:
    """Another studio's row is refused as if it did not exist (never a hint that it does)."""
    for obj in objects:
        if obj is not None and getattr(obj, "studio_id", studio.pk) != studio.pk:
            _refuse(_("This item is not available."), "not_found")


def _quantity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        _refuse(
            _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY}, "quantity", field="quantity"
        )
    return value


def order_new_token() -> str:
    """A fresh public id for an order: 32 URL-safe characters (the column's length)."""
    return secrets.token_urlsafe(24)


def order_create(*, studio: Studio, client: Client | None = None) -> Order:
    """A new, empty OPEN order of `studio` (for `client`, or anonymous)."""
    _same_studio(studio, client)
    return Order.objects.create(
        studio=studio, client=client, token=order_new_token(), currency=studio.currency
    )


# --- finding the visitor's order ------------------------------------------------------------------


def _open_orders(studio: Studio):
    return Order.objects.filter(studio=studio, status=OrderStatus.OPEN)


def order_for_request(request, *, create: bool = False, for_page: bool = False) -> Order | None:
    """The current visitor's OPEN order (None without one, unless `create`).

    The order whose token is in the session, or the signed-in client's latest OPEN one. An
    anonymous order seen for the first time after signing in is attached to the client (merged
    into their own OPEN order when they have one). The session then keeps the token of the order
    returned, so a later request finds it in one query. `for_page`: read with what the cart and
    review pages show (its client and home location, its lines: `order_for_page`) in that same
    read, two queries in all."""
    studio = request.studio
    client: Client | None = getattr(request, "client_profile", None)
    token = request.session.get(SESSION_KEY)
    orders = _open_orders(studio)
    if for_page:
        orders = orders.select_related("client__home_location")
    order = None
    if isinstance(token, str) and token:
        if for_page:
            from checkout.selectors.cart import order_by_token

            order = order_by_token(studio=studio, token=token[:32], open_only=True)
        else:  # the token is unique: no ORDER BY (`first()` would sort every selected column's way)
            order = next(iter(orders.filter(token=token[:32])[:1]), None)
        # A cart is its owner's only: an order of a client is never shown to anyone else.
        if (
            order is not None
            and order.client_id is not None
            and order.client_id != getattr(client, "pk", None)
        ):
            order = None
    if client is not None and (order is None or order.client_id is None):
        own = orders.filter(client=client).order_by("-created_at", "-id").first()
        if order is None:
            order = own
        else:
            # First sight of an anonymous cart after signing in: it becomes (or joins) theirs.
            try:
                order = order_attach(studio=studio, order=order, client=client, into=own)
            except ValidationError:
                # Their own cart was frozen for payment in between: keep it, the other waits.
                order = own
            if for_page and order is not None:
                order = Order.objects.select_related("client__home_location").get(pk=order.pk)
    if order is None and create:
        order = order_create(studio=studio, client=client)
    if order is not None:
        order.studio = studio  # read under it: its settings and routing need no query of their own
        if for_page:
            from checkout.selectors.cart import order_with_lines

            order_with_lines(order)
    if order is not None and request.session.get(SESSION_KEY) != order.token:
        request.session[SESSION_KEY] = order.token
    elif order is None and token is not None:
        request.session.pop(SESSION_KEY, None)
    return order


def _locked(studio: Studio, order_id: int) -> Order:
    order = Order.objects.select_for_update().get(studio=studio, pk=order_id)
    if order.status != OrderStatus.OPEN:
        _refuse(_("This order is being paid: its lines can no longer change."), "frozen")
    return order


def order_attach(*, studio: Studio, order: Order, client: Client, into: Order | None = None) -> Order:
    """Give the anonymous `order` to `client` who just signed in. With `into` (their own OPEN
    order) the lines move there, duplicates collapsed, and `order` is cancelled; lines the client
    cannot buy (a class they are booked in, already in their cart) are dropped. Returns the order
    that now holds the cart."""
    _same_studio(studio, order, client, into)
    now = timezone.now()
    with transaction.atomic():
        source = _locked(studio, order.pk)
        if source.client_id is not None:
            return source
        target = _locked(studio, into.pk) if into is not None and into.pk != source.pk else source
        target.client = client
        lines = list(
            OrderLine.objects.filter(studio=studio, order=source).select_related("session", "product")
        )
        if target is not source:
            source.status = OrderStatus.CANCELED
            source.canceled_at = now
            source.save(update_fields=["status", "canceled_at", "updated_at"])
        kept = list(
            OrderLine.objects.filter(studio=studio, order=target).exclude(pk__in=[line.pk for line in lines])
        )
        position = max((line.position for line in kept), default=0)
        for line in lines:
            twin = next((k for k in kept if _same_item(k, line)), None)
            if twin is not None:
                if line.kind == OrderLineKind.PRODUCT:
                    twin.quantity = min(twin.quantity + line.quantity, MAX_QUANTITY)
                    twin.save(update_fields=["quantity"])
                line.delete()
                continue
            if len(kept) >= MAX_LINES or not _still_buyable(studio, line, client):
                line.delete()
                continue
            position += 1
            line.order = target
            line.position = position
            line.save(update_fields=["order", "position"])
            kept.append(line)
        target.save(update_fields=["client", "updated_at"])
        _reprice(studio, target)
    return target


def _same_item(a: OrderLine, b: OrderLine) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == OrderLineKind.PLAN:
        return a.plan_id == b.plan_id
    if a.kind == OrderLineKind.DROP_IN:
        return a.session_id == b.session_id
    if a.kind == OrderLineKind.PRODUCT:
        return a.product_id == b.product_id and a.location_id == b.location_id
    if a.kind == OrderLineKind.APPOINTMENT:
        return a.appointment_calendar_id == b.appointment_calendar_id and a.starts_at == b.starts_at
    return a.owed_kind == b.owed_kind and a.owed_id == b.owed_id


def _still_buyable(studio: Studio, line: OrderLine, client: Client) -> bool:
    """What an anonymous cart could hold but this client cannot buy: a class they are booked in."""
    if line.kind == OrderLineKind.DROP_IN:
        return not bookings_by_session(clients=[client], session_ids=[line.session_id]).get(line.session_id)
    # An amount owed is only ever added by its (signed-in) debtor: never in an anonymous cart.
    return line.kind != OrderLineKind.OWED


# --- checking a line, per kind --------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """What a line is, once checked: the fields of its OrderLine."""

    fields: dict


def _plan_item(studio: Studio, plan: Plan | None, client: Client | None) -> _Item:
    if plan is None:
        _refuse(_("Choose a membership, pack or pass."), "required", field="plan")
    _same_studio(studio, plan)
    if plan.is_archived or not plans_for_sale(studio=studio).filter(pk=plan.pk).exists():
        _refuse(_("“%(plan)s” is no longer sold.") % {"plan": plan.name}, "archived")
    if plan.currency != studio.currency:
        _refuse(_("This plan is priced in another currency than the studio's."), "currency")
    amount = sale_subtotal(plan)
    if amount <= 0:
        _refuse(_("This plan is free: ask the studio to give it to you."), "free")
    if client is not None and client.archived_at is not None:
        _refuse(_("Your account is archived: contact the studio."), "client")
    tax_kind, _item_location = sale_purchase_kind(plan)
    return _Item(
        {
            "kind": OrderLineKind.PLAN,
            "plan": plan,
            "location": plan.location,  # "held at": a course's location routes it (rule 2)
            "description": plan.name[:200],
            "unit_amount": amount,
            "tax_kind": tax_kind,
        }
    )


def _drop_in_item(
    studio: Studio, session: ClassSession | None, client: Client | None, now: dt.datetime
) -> _Item:
    if session is None:
        _refuse(_("Choose a class."), "required", field="session")
    _same_studio(studio, session)
    try:
        found = session_detail(session_id=session.pk)
    except ClassSession.DoesNotExist:
        _refuse(_("This item is not available."), "not_found")
    if found.is_cancelled:
        _refuse(_("This class is cancelled."), "cancelled")
    if found.starts_at <= now:
        _refuse(_("This class has started: it can no longer be booked online."), "started")
    if found.location_id is not None and found.location.archived_at is not None:
        _refuse(_("This class is not open for booking."), "closed")
    price = found.template.drop_in_price
    if price <= 0:
        _refuse(_("This class is free: book it from the schedule, there is nothing to pay."), "free")
    if found.booked_count >= found.capacity:
        _refuse(_("This class is full."), "full")
    if client is not None and bookings_by_session(clients=[client], session_ids=[found.pk]).get(found.pk):
        _refuse(_("You are already booked in this class."), "booked")
    return _Item(
        {
            "kind": OrderLineKind.DROP_IN,
            "session": found,
            "location": found.location,
            "description": found.template.name[:200],
            "starts_at": found.starts_at,
            "unit_amount": price,
            "tax_kind": DROP_IN_KIND,
        }
    )


def _appointment_item(
    studio: Studio,
    service: AppointmentService | None,
    calendar: AppointmentCalendar | None,
    starts_at: dt.datetime | None,
    now: dt.datetime,
) -> _Item:
    if service is None or calendar is None:
        _refuse(_("Choose a service and with whom."), "required", field="service")
    _same_studio(studio, service, calendar)
    if starts_at is None or starts_at.tzinfo is None:
        _refuse(_("Choose a time."), "required", field="starts_at")
    if service.archived_at is not None:
        _refuse(_("This service is no longer offered."), "archived")
    calendar = calendars_offering(service=service).filter(pk=calendar.pk).first()
    if calendar is None:
        _refuse(_("This service is not offered on this calendar."), "not_offered")
    if service.price_amount <= 0:
        _refuse(_("This appointment is free: book it from the appointments page."), "free")
    zone = calendar.location.time_zone or studio.time_zone
    local_day = starts_at.astimezone(zoneinfo.ZoneInfo(zone or "UTC")).date()
    if starts_at not in appointment_slots(calendar=calendar, service=service, day=local_day, now=now):
        _refuse(_("This time is no longer available; choose another."), "slot")
    return _Item(
        {
            "kind": OrderLineKind.APPOINTMENT,
            "appointment_service": service,
            "appointment_calendar": calendar,
            "starts_at": starts_at,
            "location": calendar.location,
            "description": service.name[:200],
            "unit_amount": service.price_amount,
            "tax_kind": APPOINTMENT_KIND,
        }
    )


def _product_item(
    studio: Studio, product: Product | None, location: Location | None, quantity: int, in_cart: int
) -> _Item:
    if product is None:
        _refuse(_("Choose a product."), "required", field="product")
    if location is None:
        _refuse(_("Choose where you pick it up."), "required", field="location")
    _same_studio(studio, product, location)
    if location.archived_at is not None:
        _refuse(_("This location is closed."), "location")
    found = products_for_location(studio=studio, location=location).filter(pk=product.pk).first()
    if found is None:
        _refuse(_("“%(product)s” is no longer sold.") % {"product": product.name}, "archived")
    if found.currency != studio.currency:
        _refuse(_("This product is priced in another currency than the studio's."), "currency")
    if in_cart + quantity > MAX_QUANTITY:
        _refuse(
            _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY}, "quantity", field="quantity"
        )
    if found.track_stock and found.stock_here < in_cart + quantity:
        if found.stock_here <= 0:
            _refuse(
                _("“%(product)s” is out of stock at %(location)s.")
                % {"product": found.name, "location": location.name},
                "stock",
            )
        _refuse(
            _("Only %(count)s left at %(location)s.")
            % {"count": found.stock_here, "location": location.name},
            "stock",
            field="quantity",
        )
    return _Item(
        {
            "kind": OrderLineKind.PRODUCT,
            "product": found,
            "location": location,
            "description": found.name[:200],
            "unit_amount": found.price_amount,
            "tax_kind": found.tax_kind,
        }
    )


def _owed_item(studio: Studio, client: Client | None, owed_kind: str, owed_id) -> _Item:
    if client is None:
        _refuse(_("Sign in to pay what you owe."), "sign_in")
    _same_studio(studio, client)
    owed = next(
        (
            item
            for item in amounts_owed_for(client=client)
            if item.kind == owed_kind and item.id == owed_id and owed_kind in OWED_KINDS
        ),
        None,
    )
    if owed is None:
        _refuse(_("You do not owe this (or it was paid meanwhile)."), "not_owed")
    if owed.currency != studio.currency:
        _refuse(_("This amount is owed in another currency than the studio's."), "currency")
    return _Item(
        {
            "kind": OrderLineKind.OWED,
            "owed_kind": owed.kind,
            "owed_id": owed.id,
            "location": None,
            "description": str(owed.label)[:200],
            "unit_amount": owed.amount,
            # Its own kind, as when it is charged automatically: the studio decides its taxes.
            "tax_kind": OWED_KINDS[owed.kind],
        }
    )


def order_line_add(
    *,
    studio: Studio,
    order: Order,
    kind: str,
    plan: Plan | None = None,
    session: ClassSession | None = None,
    product: Product | None = None,
    location: Location | None = None,
    quantity: int = 1,
    appointment_service: AppointmentService | None = None,
    appointment_calendar: AppointmentCalendar | None = None,
    starts_at: dt.datetime | None = None,
    owed_kind: str = "",
    owed_id: int | None = None,
    client: Client | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Add one item to the OPEN `order`, checked per kind, then reprice the order.

    - plan: on sale (not archived), priced, in the studio's currency; one line per plan;
    - drop_in: class not cancelled, not started, priced, not full, `client` not booked in it,
      not already in the cart;
    - appointment: the service offered on the calendar, priced, `starts_at` one of its bookable
      slots; one line per slot;
    - product: on sale, stock at `location` covers what the cart holds with `quantity`; the same
      product at the same location adds to its line;
    - owed: something `client` owes (memberships' `amounts_owed_for`), once.
    `client` is the signed-in client (None: anonymous). Raises ValidationError with a sentence.
    """
    now = now or timezone.now()
    _same_studio(studio, order, client)
    if kind not in OrderLineKind.values:
        _refuse(_("Choose what to add."), "kind")
    quantity = _quantity(quantity) if kind == OrderLineKind.PRODUCT else 1
    client = client or order.client
    with transaction.atomic():
        locked = _locked(studio, order.pk)
        lines = list(OrderLine.objects.filter(studio=studio, order=locked))
        twin = None
        if kind == OrderLineKind.PLAN:
            item = _plan_item(studio, plan, client)
            twin = next((line for line in lines if line.kind == kind and line.plan_id == plan.pk), None)
            if twin is not None:
                _refuse(_("This plan is already in your cart."), "duplicate")
        elif kind == OrderLineKind.DROP_IN:
            item = _drop_in_item(studio, session, client, now)
            if any(line.kind == kind and line.session_id == session.pk for line in lines):
                _refuse(_("This class is already in your cart."), "duplicate")
        elif kind == OrderLineKind.APPOINTMENT:
            item = _appointment_item(studio, appointment_service, appointment_calendar, starts_at, now)
            if any(
                line.kind == kind
                and line.appointment_calendar_id == item.fields["appointment_calendar"].pk
                and line.starts_at == starts_at
                for line in lines
            ):
                _refuse(_("This appointment is already in your cart."), "duplicate")
        elif kind == OrderLineKind.PRODUCT:
            twin = next(
                (
                    line
                    for line in lines
                    if line.kind == kind
                    and line.product_id == getattr(product, "pk", None)
                    and line.location_id == getattr(location, "pk", None)
                ),
                None,
            )
            item = _product_item(studio, product, location, quantity, twin.quantity if twin else 0)
        else:
            item = _owed_item(studio, client, owed_kind, owed_id)
            if any(
                line.kind == kind and line.owed_kind == owed_kind and line.owed_id == owed_id
                for line in lines
            ):
                _refuse(_("This amount owed is already in your cart."), "duplicate")
        if twin is not None:
            twin.quantity += quantity
            twin.save(update_fields=["quantity"])
            line = twin
        else:
            if len(lines) >= MAX_LINES:
                _refuse(
                    _("Your cart holds at most %(max)s items: pay for these first.") % {"max": MAX_LINES},
                    "too_many",
                )
            position = (OrderLine.objects.filter(order=locked).aggregate(m=Max("position"))["m"] or 0) + 1
            line = OrderLine.objects.create(
                studio=studio, order=locked, position=position, quantity=quantity, **item.fields
            )
        _reprice(studio, locked)
        _copy_totals(order, locked)
    line.refresh_from_db()
    return line


def order_line_set_quantity(*, order: Order, line: OrderLine, quantity: int) -> OrderLine:
    """Change a product line's quantity (1–99, within the stock at its location) and reprice.
    Other lines hold one of their item only."""
    studio = order.studio
    _same_studio(studio, line)
    quantity = _quantity(quantity)
    with transaction.atomic():
        locked = _locked(studio, order.pk)
        line = OrderLine.objects.select_related("product", "location").get(
            studio=studio, order=locked, pk=line.pk
        )
        if line.kind != OrderLineKind.PRODUCT:
            if quantity != 1:
                _refuse(_("Only a product's quantity can change."), "quantity", field="quantity")
            return line
        if quantity > line.quantity:
            _product_item(studio, line.product, line.location, quantity - line.quantity, line.quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        _reprice(studio, locked)
        _copy_totals(order, locked)
    line.refresh_from_db()
    return line


def order_line_remove(*, order: Order, line: OrderLine) -> None:
    """Take `line` out of the OPEN `order` and reprice."""
    studio = order.studio
    _same_studio(studio, line)
    with transaction.atomic():
        locked = _locked(studio, order.pk)
        OrderLine.objects.filter(studio=studio, order=locked, pk=line.pk).delete()
        _reprice(studio, locked)
        _copy_totals(order, locked)


# --- prices -----------------------------------------------------------------------------------------


def _reprice(studio: Studio, order: Order) -> pricing.CartPrice:
    lines = list(OrderLine.objects.filter(studio=studio, order=order).order_by("position", "id"))
    price = pricing.cart_price(
        lines=[
            pricing.LineInput(
                key=line.pk,
                unit_amount=line.unit_amount,
                quantity=line.quantity,
                tax_kind=line.tax_kind,
                # Money rather than goods: no discount ever applies to it (none online today).
                discountable=line.kind != OrderLineKind.OWED,
            )
            for line in lines
        ],
        rates_by_kind=pricing.rates_by_kind(studio=studio),
    )
    for line, priced in zip(lines, price.lines, strict=True):
        line.line_subtotal = priced.subtotal
        line.tax_total = priced.tax_total
        line.tax_lines = [tax.as_json() for tax in priced.tax_lines]
        line.line_total = priced.total
    if lines:
        OrderLine.objects.bulk_update(lines, _LINE_TOTAL_FIELDS)
    order.subtotal = price.subtotal
    order.tax_total = price.tax_total
    order.tax_lines = [tax.as_json() for tax in price.tax_lines]
    order.total = price.total
    order.save(update_fields=[*_TOTAL_FIELDS, "updated_at"])
    return price


def _copy_totals(target: Order, source: Order) -> None:
    if target is not source:
        for name in (*_TOTAL_FIELDS, "client_id", "updated_at"):
            setattr(target, name, getattr(source, name))


def order_reprice(*, order: Order) -> Order:
    """Recompute every line's and the order's subtotal, taxes (per line by its tax kind, with the
    POS's arithmetic: `pos.services.pricing`) and total. Card fee and credit depend on how the
    client pays: `checkout.services.pricing.order_quote`. Refuses an order that is not OPEN."""
    with transaction.atomic():
        locked = _locked(order.studio, order.pk)
        _reprice(order.studio, locked)
        _copy_totals(order, locked)
    return order


# --- routing (PAY-3 rules 2–4) ------------------------------------------------------------------------


def order_line_item_kind(line: OrderLine) -> str:
    """The payments ItemKind a line is routed as."""
    if line.kind == OrderLineKind.PLAN:
        # A payment plan is a course held at its location (rule 2); any other plan follows rule 3.
        return ItemKind.PAYMENT_PLAN if line.tax_kind == ItemKind.PAYMENT_PLAN else ItemKind.MEMBERSHIP
    if line.kind == OrderLineKind.DROP_IN:
        return ItemKind.CLASS_BOOKING
    if line.kind == OrderLineKind.APPOINTMENT:
        return ItemKind.APPOINTMENT
    if line.kind == OrderLineKind.PRODUCT:
        return ItemKind.PRODUCT
    return OWED_KINDS.get(line.owed_kind, ItemKind.OTHER)


def _home_location(order: Order) -> Location | None:
    if order.client_id is None:
        return None
    client = order.client
    return client.home_location if client.home_location_id else None


def _order_lines(order: Order) -> list[OrderLine]:
    cache = getattr(order, "_prefetched_objects_cache", {})
    if "lines" in cache:  # the cart page's selector read them already
        return list(cache["lines"])
    return list(OrderLine.objects.filter(studio_id=order.studio_id, order=order).select_related("location"))


def _line_routes(order: Order, lines: list[OrderLine] | None = None) -> list[tuple[OrderLine, Route]]:
    lines = _order_lines(order) if lines is None else lines
    if not lines:
        return []
    home = _home_location(order)
    routes: dict[Purchase, Route] = {}
    out = []
    for line in lines:
        purchase = Purchase(
            channel=Channel.ONLINE,
            item_kind=order_line_item_kind(line),
            item_location=line.location,
            client_home_location=home,
        )
        # Lines bought the same way at the same place route alike: one look-up each.
        if purchase not in routes:
            routes[purchase] = route_payment(studio=order.studio, purchase=purchase)
        out.append((line, routes[purchase]))
    return out


def order_route(*, order: Order) -> Route:
    """The account the order's card payment goes to: its first line's route (PAY-3 rules 2–4:
    a class, appointment, product or course → its location's account; any other plan or amount
    owed → the client's home location; else the studio's default). An empty order routes by
    the default rules."""
    routed = _line_routes(order)
    if routed:
        return routed[0][1]
    return route_payment(
        studio=order.studio,
        purchase=Purchase(
            channel=Channel.ONLINE, item_kind=ItemKind.OTHER, client_home_location=_home_location(order)
        ),
    )


def _account_id(route: Route) -> int | None:
    return route.account.pk if route.account is not None else None


def _conflicts(routed: list[tuple[OrderLine, Route]]) -> list[OrderLine]:
    if not routed:
        return []
    first = _account_id(routed[0][1])
    return [line for line, route in routed[1:] if _account_id(route) != first]


def order_route_conflicts(*, order: Order) -> list[OrderLine]:
    """The lines paid to another account than the first line's: one payment cannot pay them
    together (the cart page explains, paying refuses). A single line has none: no look-up."""
    lines = _order_lines(order)
    return _conflicts(_line_routes(order, lines)) if len(lines) > 1 else []


@dataclass(frozen=True)
class OrderRouting:
    route: Route  # where the order's card payment goes (`order_route`)
    conflicts: list[OrderLine]  # the lines it cannot pay (`order_route_conflicts`)


def order_routing(*, order: Order) -> OrderRouting:
    """`order_route` and `order_route_conflicts` from one routing of the lines (the review page
    shows both)."""
    routed = _line_routes(order)
    if not routed:
        return OrderRouting(route=order_route(order=order), conflicts=[])
    return OrderRouting(route=routed[0][1], conflicts=_conflicts(routed))
