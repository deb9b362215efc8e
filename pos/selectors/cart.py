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

from memberships.models import Plan
from memberships.selectors.penalties import AmountOwed, amounts_owed_for
from memberships.selectors.plans import plans_for_sale
from memberships.services.sales import sale_subtotal
from pos.models import LineKind, Product, Sale, SaleLine
from pos.selectors.products import products_for_location
from scheduling.models import ClassSession
from scheduling.selectors import kiosk_sessions
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


def pos_catalogue(
    *, studio: Studio, location: Location, query: str = "", now: dt.datetime | None = None
) -> Catalogue:
    """The catalogue at `location`, filtered by `query` (names; SKU or barcode for products):
    products not archived with their stock here, plans for sale here, today's classes here that
    are not over, have a drop-in price and a free place. Three queries, whatever the counts."""
    query = _clean(query)
    now = now or timezone.now()
    products = list(products_for_location(studio=studio, location=location, query=query))
    plans_qs = plans_for_sale(studio=studio, location=location)
    for word in query.split():
        plans_qs = plans_qs.filter(name__icontains=word)
    plans = list(plans_qs)
    for plan in plans:
        plan.pos_amount = sale_subtotal(plan)
    return Catalogue(
        products=products, plans=plans, sessions=_todays_classes(location, query, now), query=query
    )


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
