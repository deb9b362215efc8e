"""Reads of the POS screen: the sale with its cart, the catalogue at the selling location, clients.

Each costs a fixed number of queries whatever the number of rows (the screen's budget: the same
count with 1 and 30 lines, 1 and 200 products)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django_scopes import scope

from memberships.models import Plan
from memberships.selectors.penalties import AmountOwed, amounts_owed_for
from memberships.selectors.plans import plans_for_sale
from memberships.services.sales import sale_subtotal
from pos.models import LineKind, Product, Sale, SaleLine
from pos.selectors.products import products_for_location
from scheduling.models import ClassSession
from scheduling.selectors import kiosk_sessions
from studio.compiled_sql import compiled_instance, compiled_joined, compiled_models, compiled_rows
from studio.inputs import has_nul
from studio.models import Client, Location, Studio

QUERY_MAX_LENGTH = 100
CLIENT_SEARCH_MAX = 50


@dataclass
class Catalogue:
    """What can go in the cart at a location: products with `stock_here` and `low_stock`, plans
    for sale there with `pos_amount` (what the cart charges: price and sign-up fee), and today's
    classes there still to come with free places (`places_left`)."""

    products: list[Product] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    sessions: list[ClassSession] = field(default_factory=list)
    query: str = ""


def _clean(query: str) -> str:
    query = (query or "").strip() if isinstance(query, str) else ""
    if has_nul(query):
        return ""
    return query[:QUERY_MAX_LENGTH]


def sale_for_screen(*, studio: Studio, pk: int) -> Sale:
    """The sale with its client, location and till and its lines (with what they are): two
    queries, whatever the number of lines. Raises Sale.DoesNotExist for another studio's sale (the
    view answers 404). Its tenders are not prefetched: the tender panel reads them itself, with
    their payments (`pos.views.tender.panel_context`), so a prefetch here was a query for nothing."""
    lines = SaleLine.objects.filter(studio=studio).select_related("product", "plan", "session__template")
    return (
        Sale.objects.filter(studio=studio)
        .select_related("client", "location", "cash_session")
        .prefetch_related(Prefetch("lines", queryset=lines.order_by("position", "id")))
        .get(pk=pk)
    )


def _sale_query(*, studio_id: int, sale_id: int, lock: bool) -> QuerySet[Sale]:
    found = Sale.objects.filter(pk=sale_id).select_related("location", "client")
    return found.select_for_update(of=("self",)) if lock else found


def sale_with_parties(*, studio: Studio, pk: int, lock: bool = False) -> Sale | None:
    """The sale `pk` of `studio` with its location and client, as
    `Sale.objects.select_related("location", "client")` reads it (None: no such sale here).
    `lock`: its row locked until the end of the caller's transaction (`FOR UPDATE OF` the sale
    alone: the location and the client are read, not locked).

    Every cart change reads it twice (the view, then the service under the lock): the SQL is
    compiled once per process (`studio.compiled_sql`), which spares the ORM's building of the join
    on each tap; `pos/tests/test_cart_selectors.py` holds it to the ORM's own read."""
    with scope(studio=studio):
        rows = compiled_rows(
            ("pos-sale-parties", lock), lambda **values: _sale_query(lock=lock, **values), sale_id=pk
        )
    if not rows:
        return None
    sale, end = compiled_instance(Sale, rows[0])
    _location, end = compiled_joined(sale, "location", rows[0], end)
    compiled_joined(sale, "client", rows[0], end)
    return sale


def _line_query(*, studio_id: int, sale_id: int, line_id: int) -> QuerySet[SaleLine]:
    return SaleLine.objects.filter(sale_id=sale_id, pk=line_id)


def sale_line_of(*, sale: Sale, pk: int) -> SaleLine | None:
    """The line `pk` of `sale` (its own columns, `line.sale` is `sale`), as `sale.lines.get(pk=)`
    reads it, or None. Compiled once per process, as `sale_with_parties`."""
    with scope(studio=sale.studio_id):
        found = compiled_models("pos-sale-line", _line_query, model=SaleLine, sale_id=sale.pk, line_id=pk)
    if not found:
        return None
    found[0].sale = sale
    return found[0]


def _lines_query(*, studio_id: int, sale_id: int) -> QuerySet[SaleLine]:
    return SaleLine.objects.filter(sale_id=sale_id).order_by("position", "id")


def cart_lines(*, studio: Studio, sale_id: int) -> list[SaleLine]:
    """The lines of the sale `sale_id` in cart order (their own columns), as
    `SaleLine.objects.filter(sale_id=).order_by("position", "id")` reads them; compiled once."""
    with scope(studio=studio):
        return compiled_models("pos-cart-lines", _lines_query, model=SaleLine, sale_id=sale_id)


def studio_row(*, model, pk: int):
    """The row `pk` of `model` in the active studio's scope (its own columns), as
    `model.objects.filter(pk=pk).first()` reads it, or None: what a cart button names (a product,
    a plan, a class). Compiled once per model (`studio.compiled_sql`)."""
    found = compiled_models(
        ("pos-studio-row", model._meta.label),
        lambda *, studio_id, item_id: model.objects.filter(pk=item_id),
        model=model,
        item_id=pk,
    )
    return found[0] if found else None


def drop_in_template_ids(*, lines: list[SaleLine]) -> list[int]:
    """The class templates of the cart's drop-ins (what their waivers hang on): from the sessions
    the lines came with (`sale_for_screen`), else one query for them all, whatever their number."""
    drop_ins = [line for line in lines if line.kind == LineKind.DROP_IN and line.session_id]
    if all("session" in line._state.fields_cache for line in drop_ins):
        return [line.session.template_id for line in drop_ins]
    by_session = dict(
        ClassSession.objects.filter(pk__in={line.session_id for line in drop_ins}).values_list(
            "pk", "template_id"
        )
    )
    return [by_session[line.session_id] for line in drop_ins if line.session_id in by_session]


def cart_waivers_missing(*, studio: Studio, sale: Sale, lines: list[SaleLine]) -> list:
    """The waivers this cart needs that its client has not signed (WAI-5): a membership, a pack or
    a pass bought asks the purchase's waivers; a drop-in asks the class's (a child's: a guardian's).
    The screen offers them to sign; the freeze refuses the sale until they are (`WaiverRequired`)."""
    if sale.client is None:
        return []
    plan_ids = [line.plan_id for line in lines if line.kind == LineKind.PLAN and line.plan_id]
    template_ids = drop_in_template_ids(lines=lines)
    if not plan_ids and not template_ids:
        return []
    from waivers.selectors.status import waivers_missing

    return waivers_missing(
        studio=studio,
        client=sale.client,
        plan_ids=plan_ids,
        class_template_ids=template_ids,
        purchase=bool(plan_ids),
        booking=bool(template_ids),
    )


def _todays_classes(location: Location, query: str, now: dt.datetime) -> list[ClassSession]:
    today = now.astimezone(zoneinfo.ZoneInfo(location.time_zone)).date()
    words = query.casefold().split()
    out = []
    for session in kiosk_sessions(location=location, day=today):
        places_left = max(session.capacity - session.booked_count, 0)
        if session.ends_at <= now or places_left == 0 or session.template.drop_in_price <= 0:
            continue
        if words and not all(word in session.template.name.casefold() for word in words):
            continue
        session.places_left = places_left
        session.drop_in_price = session.template.drop_in_price
        out.append(session)
    return out


CATALOGUE_SECTIONS = frozenset({"products", "plans", "classes"})


def pos_catalogue(
    *,
    studio: Studio,
    location: Location,
    query: str = "",
    now: dt.datetime | None = None,
    sections: set[str] | frozenset[str] = CATALOGUE_SECTIONS,
) -> Catalogue:
    """The catalogue at `location`, filtered by `query` (names; SKU or barcode for products):
    products not archived with their stock here, plans for sale here, today's classes here that
    are not over, have a drop-in price and a free place. One query per section read, whatever the
    counts; `sections` names those read ("products", "plans", "classes": the screen shows one tab,
    so it reads one), the others are left empty."""
    query = _clean(query)
    now = now or timezone.now()
    catalogue = Catalogue(query=query)
    if "products" in sections:
        catalogue.products = list(products_for_location(studio=studio, location=location, query=query))
    if "plans" in sections:
        plans_qs = plans_for_sale(studio=studio, location=location)
        for word in query.split():
            plans_qs = plans_qs.filter(name__icontains=word)
        catalogue.plans = list(plans_qs)
        for plan in catalogue.plans:
            plan.pos_amount = sale_subtotal(plan)
    if "classes" in sections:
        catalogue.sessions = _todays_classes(location, query, now)
    return catalogue


def _phone_pattern(digits: str) -> str:
    """A regex finding `digits` in a phone number however it is written ("514 555-0101")."""
    return r"\D*".join(re.escape(d) for d in digits)


def client_search(*, studio: Studio, query: str, limit: int = 10) -> QuerySet[Client]:
    """Clients (not archived) whose name, email or phone matches every word of `query`, by
    name, at most `limit` (≤ 50), with their home location. A phone matches whatever its spaces
    and dashes. One query."""
    query = _clean(query)
    qs = Client.objects.filter(studio=studio, archived_at__isnull=True)
    if not query:
        return qs.none()
    for word in query.split():
        match = Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        digits = re.sub(r"\D", "", word)
        if len(digits) >= 3 and len(digits) >= len(word) - 3:
            match |= Q(phone__regex=_phone_pattern(digits))
        qs = qs.filter(match)
    limit = max(1, min(int(limit), CLIENT_SEARCH_MAX))
    # Their home location comes with them (one query still): the clerk tells two Tremblays apart
    # and sees whose saved cards this location's account can use (SPM-4).
    return qs.select_related("home_location").order_by("last_name", "first_name", "id")[:limit]


def owed_for_client(*, client: Client) -> list[AmountOwed]:
    """What `client` owes that the cart can collect (memberships' list, oldest first)."""
    return amounts_owed_for(client=client)
