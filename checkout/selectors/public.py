"""Reads of the studio's public pages (CHK-1): the home page, the plans and the shop.

Each section is read in a fixed number of queries, whatever the number of classes, plans or
products: the home page costs the same for a studio with 5 classes a week as for one with 300
(issue #15's query budget). Rows are read through the owning apps' selectors; what a page shows
of them (a plan's terms, a product's pickup places) is put together here, in the reader's
language, at display time.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_scopes import scope

from memberships.models import MembershipStatus, PassStart, Plan, PlanKind
from memberships.selectors import memberships as membership_selectors
from memberships.selectors import plans as plan_selectors
from payments import selectors as payment_selectors
from pos.models import Product
from pos.selectors import products as pos_selectors
from scheduling import selectors as scheduling_selectors
from scheduling.models import AppointmentService
from studio.compiled_sql import compiled_models
from studio.formats import date_format
from studio.models import Client, Location, Studio
from studio.money import format_money, format_rate

WEEK_DAYS = 7
# A day of the home page lists this many classes at most; the full schedule lists them all. A
# phone screen reads a dozen rows, not sixty (and the page keeps its size on a busy week).
HOME_SESSIONS_PER_DAY = 8


def _language() -> str:
    return get_language() or "fr"


def money_label(*, amount: int, currency: str) -> str:
    """An amount as the reader's language writes it ("15,00 $" / "$15.00")."""
    return format_money(amount, currency, language=_language())


# --- the week ---------------------------------------------------------------------------------


@dataclass(slots=True)
class HomeSession:
    """A class of the home page's week, as plain values (no model instances: a busy week has
    hundreds of classes, and the page reads a few columns of each)."""

    pk: int
    starts_at: datetime
    ends_at: datetime
    start_label: str  # the local start time as the reader's language writes it
    zone: str  # the zone's city when the location keeps another zone than the studio's, else ""
    name: str
    colour: str
    teacher: str
    place: str
    capacity: int
    booked: int
    drop_in_price: int
    price_label: str = ""

    @property
    def spots_left(self) -> int:
        return max(self.capacity - self.booked, 0)


@dataclass
class HomeDay:
    date: date
    sessions: list[HomeSession] = field(default_factory=list)
    more: int = 0  # classes of the day the home page leaves to the full schedule


def _place(location: str, room: str, online_url: str) -> str:
    if location and room:
        return f"{location} · {room}"
    if location or room:
        return location or room
    return _("Online") if online_url else ""


def public_week(*, studio: Studio, now: datetime) -> list[HomeDay]:
    """The next seven days' classes (each dated in its location's zone), grouped by day, not
    cancelled and not over, at most HOME_SESSIONS_PER_DAY a day (`more` counts the rest), each
    with its spots left and drop-in price. Two queries, however many classes: the week's starts
    (three columns a class), then the details and booking counts of the classes shown only."""
    studio_zone = zoneinfo.ZoneInfo(studio.time_zone)
    first = now.astimezone(studio_zone).date()
    last = first + timedelta(days=WEEK_DAYS - 1)
    # A local day lies within ±14 h of the same UTC day: trim precisely below, in Python.
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC) + timedelta(hours=14)
    starts = scheduling_selectors.public_session_starts(studio=studio, before=end, now=now)
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    days = {first + timedelta(days=i): HomeDay(first + timedelta(days=i)) for i in range(WEEK_DAYS)}
    chosen: dict[int, tuple[HomeDay, datetime, str]] = {}
    shown: dict[date, int] = {}
    for pk, starts_at, tz in starts:
        tz = tz or studio.time_zone
        zone = zones.get(tz) or zones.setdefault(tz, zoneinfo.ZoneInfo(tz))
        local = starts_at.astimezone(zone)
        day = days.get(local.date())
        if day is None:
            continue
        if shown.get(day.date, 0) >= HOME_SESSIONS_PER_DAY:
            day.more += 1
            continue
        shown[day.date] = shown.get(day.date, 0) + 1
        chosen[pk] = (day, local, tz)
    if not chosen:
        return list(days.values())
    details = scheduling_selectors.public_session_rows(studio=studio, ids=list(chosen))
    by_id = {row[0]: row for row in details}
    labels: dict[time, str] = {}
    for pk, (day, local, tz) in chosen.items():  # `chosen` keeps the time order
        row = by_id.get(pk)
        if row is None:  # deleted between the two queries
            continue
        (
            _pk,
            starts_at,
            ends_at,
            capacity,
            booked,
            name,
            colour,
            price,
            shown_name,
            email,
            where,
            room,
            online,
        ) = row
        at = local.time()
        label = labels.get(at) or labels.setdefault(at, formats.time_format(at, "TIME_FORMAT"))
        day.sessions.append(
            HomeSession(
                pk=pk,
                starts_at=starts_at,
                ends_at=ends_at,
                start_label=label,
                zone="" if tz == studio.time_zone else tz.rsplit("/", 1)[-1].replace("_", " "),
                name=name,
                colour=colour,
                teacher=shown_name or email or "",
                place=_place(where or "", room or "", online),
                capacity=capacity,
                booked=booked,
                drop_in_price=price or 0,
                price_label=money_label(amount=price, currency=studio.currency) if price else "",
            )
        )
    return list(days.values())


def client_has_current_plan(*, client: Client | None) -> bool:
    """Whether the signed-in client holds a membership that can pay for classes now (one query;
    the class page then says which one pays, or why none does)."""
    if client is None:
        return False
    return any(
        m.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
        for m in membership_selectors.memberships_for_client(client=client)
    )


# --- plans ------------------------------------------------------------------------------------


@dataclass
class PlanCard:
    plan: Plan
    kind_label: str
    price_label: str  # "20,00 $ every month", "150,00 $"
    facts: list[str]  # what it gives: credits, validity, renewal, commitment, sign-up fee
    taxes_note: str


def _kind_label(kind: str) -> str:
    return {
        PlanKind.SUBSCRIPTION: _("Subscription"),
        PlanKind.PASS: _("Pass"),
        PlanKind.PACK: _("Class pack"),
        PlanKind.PAYMENT_PLAN: _("Payment plan"),
    }.get(kind, kind)


def _credits(plan: Plan) -> str:
    if plan.kind == PlanKind.PACK:
        credits = plan.pack_credits or 0
        return ngettext("%(count)s class", "%(count)s classes", credits) % {"count": credits}
    if plan.credits_per_period is None:
        return _("Unlimited classes")
    credits = plan.credits_per_period
    if plan.kind == PlanKind.SUBSCRIPTION:
        return ngettext("%(count)s class per period", "%(count)s classes per period", credits) % {
            "count": credits
        }
    return ngettext("%(count)s class", "%(count)s classes", credits) % {"count": credits}


def _validity(plan: Plan) -> str:
    if plan.kind == PlanKind.PACK:
        days = plan.pack_expires_after_days
        if not days:
            return _("Never expires")
        return ngettext("Valid %(count)s day after purchase", "Valid %(count)s days after purchase", days) % {
            "count": days
        }
    if plan.kind == PlanKind.PASS:
        if plan.pass_starts_on and plan.pass_ends_on:
            return _("Valid from %(start)s to %(end)s") % {
                "start": date_format(plan.pass_starts_on, "DATE_FORMAT"),
                "end": date_format(plan.pass_ends_on, "DATE_FORMAT"),
            }
        duration = plan_selectors.duration_phrase(unit=plan.interval_unit, count=plan.interval_count)
        if plan.pass_start == PassStart.FIRST_USE:
            return _("Valid %(duration)s from the first class") % {"duration": duration}
        return _("Valid %(duration)s from the purchase") % {"duration": duration}
    return ""


def _taxes_note(plan_tax_kind: str, rates: list) -> str:
    names = [
        f"{rate.name} {format_rate(rate.rate, language=_language())}"
        for rate in rates
        if rate.archived_at is None and plan_tax_kind in (rate.item_kinds or [])
    ]
    if not names:
        return _("No taxes")
    return _("Plus taxes: %(taxes)s") % {"taxes": ", ".join(names)}


def _plan_card(plan: Plan, *, currency: str, rates: list) -> PlanCard:
    price = money_label(amount=plan.price_amount, currency=currency)
    facts = [_credits(plan)]
    if plan.kind == PlanKind.SUBSCRIPTION:
        price_label = _("%(price)s, %(interval)s") % {
            "price": price,
            "interval": plan_selectors.interval_phrase(unit=plan.interval_unit, count=plan.interval_count),
        }
        facts.append(
            _("Renews automatically %(interval)s")
            % {"interval": plan_selectors.interval_phrase(unit=plan.interval_unit, count=plan.interval_count)}
        )
        if plan.commitment_periods:
            facts.append(
                ngettext(
                    "Minimum commitment: %(count)s period",
                    "Minimum commitment: %(count)s periods",
                    plan.commitment_periods,
                )
                % {"count": plan.commitment_periods}
            )
    elif plan.kind == PlanKind.PAYMENT_PLAN:
        count = plan.instalment_count or 0
        price_label = ngettext("%(count)s payment of %(price)s", "%(count)s payments of %(price)s", count) % {
            "count": count,
            "price": price,
        }
        facts.append(
            _("Charged %(interval)s")
            % {"interval": plan_selectors.interval_phrase(unit=plan.interval_unit, count=plan.interval_count)}
        )
        if plan.location_id:
            facts.append(_("Held at %(place)s") % {"place": plan.location.name})
    else:
        price_label = price
        facts.append(_validity(plan))
    if plan.signup_fee_amount:
        facts.append(
            _("Sign-up fee: %(fee)s") % {"fee": money_label(amount=plan.signup_fee_amount, currency=currency)}
        )
    return PlanCard(
        plan=plan,
        kind_label=_kind_label(plan.kind),
        price_label=price_label,
        facts=[f for f in facts if f],
        taxes_note=_taxes_note(plan.tax_kind, rates),
    )


def public_plans(*, studio: Studio, limit: int | None = None, rates: list | None = None) -> list[PlanCard]:
    """Every plan sold online (not archived), featured first then by name, in words.
    Two queries (the plans, the tax rates), however many plans; `rates` saves the second."""
    plans = plan_selectors.plans_on_sale(studio=studio, limit=limit)
    if rates is None:
        rates = payment_selectors.tax_rate_list(studio=studio)
    return [_plan_card(plan, currency=studio.currency, rates=rates) for plan in plans]


# --- products ---------------------------------------------------------------------------------


@dataclass
class Pickup:
    location: Location
    quantity: int | None  # None: the product does not count its stock


@dataclass
class ProductCard:
    product: Product
    price_label: str
    taxes_note: str
    pickups: list[Pickup]

    @property
    def max_quantity(self) -> int:
        counts = [p.quantity for p in self.pickups if p.quantity is not None]
        if len(counts) < len(self.pickups) or not counts:
            return 99
        return min(max(counts), 99)


def public_products(
    *, studio: Studio, locations: list[Location], limit: int | None = None, rates: list | None = None
) -> list[ProductCard]:
    """Products on sale that some of `locations` (the home locations: where a client picks up)
    has in stock, each with those places; by name. Two queries (products, their stock rows)
    plus the tax rates unless given."""
    products = pos_selectors.product_list(studio=studio, locations=locations)
    if rates is None:
        rates = payment_selectors.tax_rate_list(studio=studio)
    out = []
    for product in products.order_by("name", "id"):
        cells = pos_selectors.product_stock_table(product=product, locations=locations)
        if product.track_stock:
            pickups = [Pickup(c.location, c.quantity) for c in cells if c.quantity > 0]
        else:
            pickups = [Pickup(c.location, None) for c in cells]
        if not pickups:
            continue
        out.append(
            ProductCard(
                product=product,
                price_label=money_label(amount=product.price_amount, currency=studio.currency),
                taxes_note=_taxes_note(product.tax_kind, rates),
                pickups=pickups,
            )
        )
        if limit is not None and len(out) >= limit:
            break
    return out


@dataclass(slots=True)
class ProductTeaser:
    """A product as the home page lists it (name, price, taxes): the shop has the rest."""

    pk: int
    name: str
    price_label: str
    taxes_note: str


def home_products(
    *, studio: Studio, locations: list[Location], limit: int, rates: list
) -> list[ProductTeaser]:
    """The first `limit` products by name that a client can pick up at one of `locations`
    (in stock there, or not counted); one query of `limit` rows, whatever the catalogue's size.
    The same rule as `public_products`, asked of the database (the shop pages all of them)."""
    if not locations:
        return []
    rows = pos_selectors.products_pickable(studio=studio, locations=locations, limit=limit)
    return [
        ProductTeaser(
            pk=pk,
            name=name,
            price_label=money_label(amount=price, currency=studio.currency),
            taxes_note=_taxes_note(tax_kind, rates),
        )
        for pk, name, price, tax_kind in rows
    ]


# --- appointments and places -------------------------------------------------------------------


@dataclass
class ServiceCard:
    service: AppointmentService
    price_label: str
    duration_label: str


def public_services(*, studio: Studio) -> list[ServiceCard]:
    """The appointment services clients can book (not archived), by name; one query."""
    out = []
    for service in scheduling_selectors.bookable_services(studio=studio):
        minutes = service.duration_minutes
        out.append(
            ServiceCard(
                service=service,
                price_label=money_label(amount=service.price_amount, currency=studio.currency)
                if service.price_amount
                else _("Free"),
                duration_label=ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes},
            )
        )
    return out


@dataclass
class PlaceCard:
    location: Location
    address: str
    zone: str  # the zone's city ("Vancouver") when it is not the studio's, else ""


def _places(*, studio_id: int):
    return Location.objects.filter(archived_at__isnull=True).order_by("name")


def public_places(*, studio: Studio) -> list[PlaceCard]:
    """The studio's places (not archived), by name, with their address and zone; one query."""
    out = []
    with scope(studio=studio):
        locations = compiled_models("public-places", _places, model=Location)
    for location in locations:
        parts = [location.address_line, location.city, location.region, location.postal_code]
        zone = location.time_zone or studio.time_zone
        out.append(
            PlaceCard(
                location=location,
                address=", ".join(p for p in parts if p),
                zone=zone.rsplit("/", 1)[-1].replace("_", " "),
            )
        )
    return out


def pickup_locations(*, places: list[PlaceCard]) -> list[Location]:
    """The places a client may pick a product up at: the home locations among `places` (no query)."""
    return [p.location for p in places if p.location.is_home_location]


@dataclass
class PublicHome:
    week: list[HomeDay]
    plans: list[PlanCard]
    products: list[ProductTeaser]
    services: list[ServiceCard]
    places: list[PlaceCard]
    has_plan: bool = False

    @property
    def has_week(self) -> bool:
        return any(day.sessions for day in self.week)


HOME_PLANS = 6
HOME_PRODUCTS = 6


def public_home(*, studio: Studio, now: datetime, client: Client | None = None) -> PublicHome:
    """Everything the studio's home page shows, one query per section (nine in all, ten for a
    signed-in client), whatever the number of classes, plans or products."""
    places = public_places(studio=studio)
    rates = payment_selectors.tax_rate_list(studio=studio)
    return PublicHome(
        week=public_week(studio=studio, now=now),
        plans=public_plans(studio=studio, limit=HOME_PLANS, rates=rates),
        products=home_products(
            studio=studio, locations=pickup_locations(places=places), limit=HOME_PRODUCTS, rates=rates
        ),
        services=public_services(studio=studio),
        places=places,
        has_plan=client_has_current_plan(client=client),
    )
