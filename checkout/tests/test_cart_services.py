"""The online cart's services (checkout.services.cart): every kind added with its location and
price, every refusal with its sentence, quantities, the cart's limits, the visitor's order
through the session and its merge into a client's own cart on sign-in, and another studio's
ids refused."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderLine, OrderStatus
from checkout.services import cart
from checkout.tests.factories import order, order_line, order_with_lines
from memberships.tests.factories import PlanFactory
from memberships.tests.penalty_helpers import failed_penalty
from payments.models import TaxRate
from pos.tests.factories import product as make_product
from scheduling.models import SessionStatus
from scheduling.selectors import appointment_slots
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    BookingFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from studio.models import Location
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def taxes(studio):
    kinds = ["product", "membership", "class_booking", "appointment", "penalty"]
    with scopes_disabled():
        TaxRate.objects.create(studio=studio, name="GST", rate=Decimal("5.000"), item_kinds=kinds, position=0)
        TaxRate.objects.create(studio=studio, name="QST", rate=Decimal("9.975"), item_kinds=kinds, position=1)


@pytest.fixture
def cart_order(studio, taxes):
    return order(studio)


def add(studio, the_order, **kw):
    with scope(studio=studio):
        return cart.order_line_add(studio=studio, order=the_order, **kw)


def refusal(studio, the_order, **kw) -> str:
    with pytest.raises(ValidationError) as caught:
        add(studio, the_order, **kw)
    return " ".join(caught.value.messages)


def drop_in_session(studio, location, *, price=1800, **kw):
    template = ClassTemplateFactory(studio=studio, drop_in_price=price)
    return ClassSessionFactory(template=template, location=location, **kw)


# --- plans ----------------------------------------------------------------------------------------


def test_plan_line_is_priced_and_taxed_as_a_membership(studio, location, cart_order):
    plan = PlanFactory(studio=studio, name="Monthly", price_amount=2000, signup_fee_amount=500)
    line = add(studio, cart_order, kind="plan", plan=plan)
    assert (line.kind, line.unit_amount, line.tax_kind, line.quantity) == ("plan", 2500, "membership", 1)
    assert line.description == "Monthly"
    assert line.line_total == 2500 + 125 + 249  # GST 5 % and QST 9.975 % of 25,00, each rounded
    with scopes_disabled():
        cart_order.refresh_from_db()
    assert (cart_order.subtotal, cart_order.tax_total, cart_order.total) == (2500, 374, 2874)
    assert [t["name"] for t in cart_order.tax_lines] == ["GST", "QST"]


def test_payment_plan_line_is_held_at_its_location(studio, location, cart_order):
    plan = PlanFactory(studio=studio, payment_plan=True, location=location)
    line = add(studio, cart_order, kind="plan", plan=plan)
    assert line.location_id == location.pk
    assert line.tax_kind == "payment_plan"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"archived_at": timezone.now()}, "no longer sold"),
        ({"price_amount": 0}, "free"),
        ({"currency": "EUR"}, "another currency"),
    ],
)
def test_plan_refusals(studio, cart_order, change, words):
    plan = PlanFactory(studio=studio, **change)
    assert words in refusal(studio, cart_order, kind="plan", plan=plan)


def test_plan_once_per_cart(studio, cart_order):
    plan = PlanFactory(studio=studio)
    add(studio, cart_order, kind="plan", plan=plan)
    assert "already in your cart" in refusal(studio, cart_order, kind="plan", plan=plan)


# --- drop-ins -------------------------------------------------------------------------------------


def test_drop_in_line(studio, location, cart_order):
    session = drop_in_session(studio, location)
    line = add(studio, cart_order, kind="drop_in", session=session)
    assert (line.unit_amount, line.tax_kind, line.location_id) == (1800, "class_booking", location.pk)
    # The name and the start are kept; the date is written when shown, in the reader's language
    # and the class's zone (a line added in French reads in English on an English receipt).
    assert (line.description, line.starts_at) == (session.template.name, session.starts_at)
    local = session.starts_at.astimezone(zoneinfo.ZoneInfo(location.time_zone or studio.time_zone))
    with translation.override("en"):
        english = line.label
    with translation.override("fr"):
        french = line.label
    assert english.startswith(f"{session.template.name} · ") and french.startswith(
        f"{session.template.name} · "
    )
    assert local.strftime("%I:%M").lstrip("0") in english or local.strftime("%H:%M") in english
    assert english != french and local.strftime("%H") in french


def test_drop_in_refusals(studio, location, cart_order, a_client):
    cancelled = drop_in_session(studio, location, status=SessionStatus.CANCELLED)
    assert "cancelled" in refusal(studio, cart_order, kind="drop_in", session=cancelled)
    started = drop_in_session(studio, location, starts_in=dt.timedelta(minutes=-5))
    assert "has started" in refusal(studio, cart_order, kind="drop_in", session=started)
    free = drop_in_session(studio, location, price=0)
    assert "free" in refusal(studio, cart_order, kind="drop_in", session=free)
    full = drop_in_session(studio, location)
    with scopes_disabled():
        full.capacity = 1
        full.save()
    BookingFactory(session=full)
    assert "full" in refusal(studio, cart_order, kind="drop_in", session=full)
    booked = drop_in_session(studio, location)
    BookingFactory(session=booked, client=a_client)
    assert "already booked" in refusal(studio, cart_order, kind="drop_in", session=booked, client=a_client)
    fine = drop_in_session(studio, location)
    add(studio, cart_order, kind="drop_in", session=fine)
    assert "already in your cart" in refusal(studio, cart_order, kind="drop_in", session=fine)


# --- appointments ---------------------------------------------------------------------------------


def _bookable_slot(studio, location):
    service = AppointmentServiceFactory(studio=studio, name="Massage", price_amount=9000)
    calendar = AppointmentCalendarFactory(location=location)
    offer(calendar, service)
    day = timezone.now().astimezone(ZONE).date() + dt.timedelta(days=3)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday())
    with scope(studio=studio):
        slots = appointment_slots(calendar=calendar, service=service, day=day)
    return service, calendar, slots


def test_appointment_line(studio, location, cart_order):
    service, calendar, slots = _bookable_slot(studio, location)
    line = add(
        studio,
        cart_order,
        kind="appointment",
        appointment_service=service,
        appointment_calendar=calendar,
        starts_at=slots[0],
    )
    assert (line.unit_amount, line.tax_kind, line.location_id) == (9000, "appointment", location.pk)
    assert line.starts_at == slots[0]
    assert "already in your cart" in refusal(
        studio,
        cart_order,
        kind="appointment",
        appointment_service=service,
        appointment_calendar=calendar,
        starts_at=slots[0],
    )


def test_appointment_refusals(studio, location, cart_order):
    service, calendar, slots = _bookable_slot(studio, location)
    odd = slots[0] + dt.timedelta(minutes=7)
    kw = {"kind": "appointment", "appointment_service": service, "appointment_calendar": calendar}
    assert "no longer available" in refusal(studio, cart_order, starts_at=odd, **kw)
    assert "Choose a time" in refusal(studio, cart_order, starts_at=None, **kw)
    elsewhere = AppointmentCalendarFactory(location=location)
    assert "not offered" in refusal(
        studio,
        cart_order,
        kind="appointment",
        appointment_service=service,
        appointment_calendar=elsewhere,
        starts_at=slots[0],
    )
    with scopes_disabled():
        service.price_amount = 0
        service.save()
    assert "free" in refusal(studio, cart_order, starts_at=slots[0], **kw)


# --- products -------------------------------------------------------------------------------------


def test_product_lines_add_up_within_the_stock(studio, location, cart_order):
    mat = make_product(studio, name="Mat", price_amount=4000, stock={location: 5})
    line = add(studio, cart_order, kind="product", product=mat, location=location, quantity=2)
    again = add(studio, cart_order, kind="product", product=mat, location=location, quantity=3)
    assert again.pk == line.pk and again.quantity == 5
    assert again.location_id == location.pk and again.tax_kind == "product"
    assert "Only 5 left at Plateau" in refusal(
        studio, cart_order, kind="product", product=mat, location=location, quantity=1
    )
    with scopes_disabled():
        assert OrderLine.objects.filter(order=cart_order).count() == 1
        cart_order.refresh_from_db()
    assert cart_order.subtotal == 20000


def test_product_refusals(studio, location, cart_order):
    other_place = LocationFactory(studio=studio, name="Laval")
    mat = make_product(studio, name="Mat", stock={location: 2})
    assert "out of stock at Laval" in refusal(
        studio, cart_order, kind="product", product=mat, location=other_place, quantity=1
    )
    gone = make_product(studio, stock={location: 2}, archived_at=timezone.now())
    assert "no longer sold" in refusal(studio, cart_order, kind="product", product=gone, location=location)
    assert "Choose where" in refusal(studio, cart_order, kind="product", product=mat, location=None)
    for bad in (0, -1, 100, 10**20, True, "2"):
        assert "quantity from 1 to 99" in refusal(
            studio, cart_order, kind="product", product=mat, location=location, quantity=bad
        )


def test_untracked_product_needs_no_stock(studio, location, cart_order):
    card = make_product(studio, name="Gift card", track_stock=False)
    line = add(studio, cart_order, kind="product", product=card, location=location, quantity=99)
    assert line.quantity == 99


# --- amounts owed ---------------------------------------------------------------------------------


def test_owed_line_is_the_clients_own_unpaid_fee(studio, location, a_client, taxes):
    fee = failed_penalty(a_client, amount=1500)
    mine = order(studio, client=a_client)
    line = add(studio, mine, kind="owed", owed_kind="penalty", owed_id=fee.pk, client=a_client)
    assert (line.unit_amount, line.tax_kind, line.owed_id) == (1500, "penalty", fee.pk)
    assert "already in your cart" in refusal(
        studio, mine, kind="owed", owed_kind="penalty", owed_id=fee.pk, client=a_client
    )
    stranger = ClientFactory(studio=studio, home_location=location)
    theirs = order(studio, client=stranger)
    assert "do not owe" in refusal(
        studio, theirs, kind="owed", owed_kind="penalty", owed_id=fee.pk, client=stranger
    )
    anonymous = order(studio)
    assert "Sign in" in refusal(studio, anonymous, kind="owed", owed_kind="penalty", owed_id=fee.pk)
    assert "do not owe" in refusal(
        studio, mine, kind="owed", owed_kind="bogus", owed_id=fee.pk, client=a_client
    )


# --- quantities, removal, limits, frozen orders ----------------------------------------------------


def test_set_quantity_and_remove_reprice(studio, location, cart_order):
    mat = make_product(studio, price_amount=1000, stock={location: 10})
    line = add(studio, cart_order, kind="product", product=mat, location=location, quantity=1)
    with scope(studio=studio):
        cart.order_line_set_quantity(order=cart_order, line=line, quantity=4)
        assert Order.objects.get(pk=cart_order.pk).subtotal == 4000
        with pytest.raises(ValidationError, match="Only 10 left"):
            cart.order_line_set_quantity(order=cart_order, line=line, quantity=11)
        with pytest.raises(ValidationError, match="quantity from 1 to 99"):
            cart.order_line_set_quantity(order=cart_order, line=line, quantity=0)
        cart.order_line_remove(order=cart_order, line=line)
        fresh = Order.objects.get(pk=cart_order.pk)
    assert (fresh.subtotal, fresh.total, fresh.tax_lines) == (0, 0, [])
    assert cart_order.total == 0  # the caller's instance follows


def test_only_a_products_quantity_changes(studio, cart_order):
    line = add(studio, cart_order, kind="plan", plan=PlanFactory(studio=studio))
    with scope(studio=studio), pytest.raises(ValidationError, match="Only a product"):
        cart.order_line_set_quantity(order=cart_order, line=line, quantity=3)


def test_a_cart_holds_at_most_fifty_lines(studio, location, cart_order):
    for _n in range(cart.MAX_LINES):
        order_line(cart_order)
    plan = PlanFactory(studio=studio)
    assert "at most 50" in refusal(studio, cart_order, kind="plan", plan=plan)


def test_a_frozen_order_refuses_changes(studio, location, taxes):
    paying = order(studio, status=OrderStatus.PAYING)
    assert "being paid" in refusal(studio, paying, kind="plan", plan=PlanFactory(studio=studio))


def test_unknown_kind_refused(studio, cart_order):
    assert "Choose what to add" in refusal(studio, cart_order, kind="gift")


# --- isolation --------------------------------------------------------------------------------------


def test_another_studios_items_are_refused(studio, other_studio, location, cart_order):
    with scopes_disabled():
        their_location = Location.objects.get(studio=other_studio)
    their_plan = PlanFactory(studio=other_studio)
    their_session = drop_in_session(other_studio, their_location)
    their_product = make_product(other_studio, stock={their_location: 5})
    assert "not available" in refusal(studio, cart_order, kind="plan", plan=their_plan)
    assert "not available" in refusal(studio, cart_order, kind="drop_in", session=their_session)
    assert "not available" in refusal(
        studio, cart_order, kind="product", product=their_product, location=their_location
    )
    mine = make_product(studio, stock={location: 5})
    assert "not available" in refusal(
        studio, cart_order, kind="product", product=mine, location=their_location
    )
    with scopes_disabled():
        assert not OrderLine.objects.filter(order=cart_order).exists()


# --- the visitor's order ----------------------------------------------------------------------------


def visitor(studio, client=None, session=None):
    return SimpleNamespace(studio=studio, client_profile=client, session={} if session is None else session)


def test_anonymous_order_lives_in_the_session(studio):
    request = visitor(studio)
    with scope(studio=studio):
        assert cart.order_for_request(request) is None
        made = cart.order_for_request(request, create=True)
        assert request.session[cart.SESSION_KEY] == made.token
        assert cart.order_for_request(request).pk == made.pk
        assert cart.order_for_request(visitor(studio)) is None  # another visitor: no cart


def test_a_clients_order_is_never_anyone_elses(studio, a_client):
    theirs = order(studio, client=a_client)
    with scope(studio=studio):
        assert cart.order_for_request(visitor(studio, session={cart.SESSION_KEY: theirs.token})) is None
        stranger = ClientFactory(studio=studio)
        found = cart.order_for_request(visitor(studio, stranger, {cart.SESSION_KEY: theirs.token}))
        assert found is None
        assert cart.order_for_request(visitor(studio, a_client)).pk == theirs.pk


def test_another_studios_token_is_not_found(studio, other_studio):
    theirs = order(other_studio)
    with scope(studio=studio):
        assert cart.order_for_request(visitor(studio, session={cart.SESSION_KEY: theirs.token})) is None


def test_sign_in_attaches_the_anonymous_cart(studio, location, a_client, taxes):
    plan = PlanFactory(studio=studio)
    anonymous = order_with_lines(studio, {"kind": "plan", "plan": plan, "unit_amount": 2000})
    request = visitor(studio, a_client, {cart.SESSION_KEY: anonymous.token})
    with scope(studio=studio):
        found = cart.order_for_request(request)
    assert found.pk == anonymous.pk and found.client_id == a_client.pk


def test_sign_in_merges_into_the_clients_open_cart(studio, location, a_client, taxes):
    mat = make_product(studio, stock={location: 10}, price_amount=1000)
    plan = PlanFactory(studio=studio)
    booked = drop_in_session(studio, location)
    BookingFactory(session=booked, client=a_client)
    own = order_with_lines(
        studio,
        {"kind": "product", "product": mat, "location": location, "quantity": 2, "tax_kind": "product"},
        {"kind": "plan", "plan": plan, "unit_amount": 2000, "tax_kind": "membership"},
        client=a_client,
    )
    anonymous = order_with_lines(
        studio,
        {"kind": "product", "product": mat, "location": location, "quantity": 3, "tax_kind": "product"},
        {"kind": "plan", "plan": plan, "unit_amount": 2000, "tax_kind": "membership"},
        {"kind": "drop_in", "session": booked, "unit_amount": 1800, "location": location},
    )
    request = visitor(studio, a_client, {cart.SESSION_KEY: anonymous.token})
    with scope(studio=studio):
        found = cart.order_for_request(request)
        lines = list(found.lines.order_by("position"))
        gone = Order.objects.get(pk=anonymous.pk)
    assert found.pk == own.pk
    assert request.session[cart.SESSION_KEY] == own.token
    assert [(line.kind, line.quantity) for line in lines] == [("product", 5), ("plan", 1)]
    assert gone.status == OrderStatus.CANCELED
    with scopes_disabled():
        assert Order.objects.get(pk=anonymous.pk).status == OrderStatus.CANCELED
        assert not OrderLine.objects.filter(order_id=anonymous.pk).exists()
    assert found.subtotal == 5000 + 2000


# --- routing (PAY-3 rules 2-4) ------------------------------------------------------------------------


@pytest.fixture
def accounts(studio, location):
    from payments.models import ConnectedAccount, ConnectedAccountLocation

    laval = LocationFactory(studio=studio, name="Laval")
    with scopes_disabled():
        main = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Plateau",
            creation_key="k1",
            stripe_account_id="acct_p",
            charges_enabled=True,
            is_default=True,
            state=ConnectedAccount.State.READY,
        )
        other = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Laval",
            creation_key="k2",
            stripe_account_id="acct_l",
            charges_enabled=True,
            state=ConnectedAccount.State.READY,
        )
        ConnectedAccountLocation.objects.create(studio=studio, account=main, location=location)
        ConnectedAccountLocation.objects.create(studio=studio, account=other, location=laval)
    return SimpleNamespace(main=main, laval_account=other, laval=laval)


def route_of(studio, the_order):
    with scope(studio=studio):
        fresh = Order.objects.select_related("client__home_location").get(pk=the_order.pk)
        return cart.order_route(order=fresh), cart.order_route_conflicts(order=fresh)


@pytest.mark.parametrize(
    ("kind", "at_laval", "rule", "account"),
    [
        ("drop_in", True, "item_location", "laval_account"),  # rule 2: the class's location
        ("product", True, "item_location", "laval_account"),  # rule 2: the pickup location
        ("appointment", True, "item_location", "laval_account"),  # rule 2: the calendar's location
        ("plan", False, "client_home_location", "laval_account"),  # rule 3: the client's home (Laval)
        ("owed", False, "client_home_location", "laval_account"),  # rule 3, like an automatic charge
    ],
)
def test_each_kind_routes_by_pay3(studio, location, accounts, kind, at_laval, rule, account):
    client = ClientFactory(studio=studio, home_location=accounts.laval)
    where = accounts.laval if at_laval else None
    fields = {"kind": kind, "location": where}
    if kind == "owed":
        fields.update(owed_kind="penalty", owed_id=1, tax_kind="penalty")
    the_order = order_with_lines(studio, fields, client=client)
    route, conflicts = route_of(studio, the_order)
    assert route.rule == rule and route.account == getattr(accounts, account)
    assert "Laval" in route.reason
    assert conflicts == []


def test_payment_plan_routes_to_where_it_is_held(studio, location, accounts):
    client = ClientFactory(studio=studio, home_location=location)
    the_order = order_with_lines(
        studio, {"kind": "plan", "location": accounts.laval, "tax_kind": "payment_plan"}, client=client
    )
    route, _conflicts = route_of(studio, the_order)
    assert (route.rule, route.account) == ("item_location", accounts.laval_account)


def test_anonymous_plan_falls_back_to_the_default_account(studio, location, accounts):
    the_order = order_with_lines(studio, {"kind": "plan"})
    route, _conflicts = route_of(studio, the_order)
    assert (route.rule, route.account) == ("default", accounts.main)


def test_lines_for_another_account_are_conflicts(studio, location, accounts):
    client = ClientFactory(studio=studio, home_location=location)
    the_order = order_with_lines(
        studio,
        {"kind": "drop_in", "location": location},
        {"kind": "product", "location": location},
        {"kind": "product", "location": accounts.laval, "description": "Laval mat"},
        client=client,
    )
    route, conflicts = route_of(studio, the_order)
    assert route.account == accounts.main
    assert [line.description for line in conflicts] == ["Laval mat"]


# --- the page selector ----------------------------------------------------------------------------


def test_order_for_page_reads_a_fixed_number_of_queries(studio, other_studio, location):
    from django.db import connection
    from django.http import Http404
    from django.test.utils import CaptureQueriesContext

    from checkout.selectors.cart import order_for_page

    def queries(lines: int) -> int:
        made = order_with_lines(studio, *[{"location": location} for _n in range(lines)], reprice=False)
        with scope(studio=studio), CaptureQueriesContext(connection) as captured:
            found = order_for_page(studio=studio, token=made.token)
            assert [line.location.name for line in found.lines.all()] == ["Plateau"] * lines
        return len(captured)

    assert queries(1) == queries(20) == 2
    theirs = order(other_studio)
    with scope(studio=studio):
        for token in (theirs.token, "nope", "", "x" * 44, "a\x00b"):
            with pytest.raises(Http404):
                order_for_page(studio=studio, token=token)


def test_a_frozen_own_cart_does_not_swallow_the_anonymous_one(studio, a_client, taxes):
    own = order(studio, client=a_client, status=OrderStatus.PAYING)
    anonymous = order_with_lines(studio, {"unit_amount": 500})
    with scope(studio=studio):
        found = cart.order_for_request(visitor(studio, a_client, {cart.SESSION_KEY: anonymous.token}))
    assert found.pk == anonymous.pk and found.client_id == a_client.pk
    with scopes_disabled():
        own.refresh_from_db()
    assert own.status == OrderStatus.PAYING


def test_archived_places_services_and_clients_are_refused(studio, location, cart_order, a_client):
    closed = LocationFactory(studio=studio, name="Old place")
    session = drop_in_session(studio, closed)
    mat = make_product(studio, stock={closed: 3})
    service, calendar, slots = _bookable_slot(studio, location)
    with scopes_disabled():
        type(closed).objects.filter(pk=closed.pk).update(archived_at=timezone.now())
        session.location.refresh_from_db()
        closed.refresh_from_db()
        type(service).objects.filter(pk=service.pk).update(archived_at=timezone.now())
        service.refresh_from_db()
        type(a_client).objects.filter(pk=a_client.pk).update(archived_at=timezone.now())
        a_client.refresh_from_db()
    assert "not open for booking" in refusal(studio, cart_order, kind="drop_in", session=session)
    assert "location is closed" in refusal(studio, cart_order, kind="product", product=mat, location=closed)
    assert "no longer offered" in refusal(
        studio,
        cart_order,
        kind="appointment",
        appointment_service=service,
        appointment_calendar=calendar,
        starts_at=slots[0],
    )
    plan = PlanFactory(studio=studio)
    assert "archived" in refusal(studio, cart_order, kind="plan", plan=plan, client=a_client)


# --- the cart's compiled reads ---------------------------------------------------------------------


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_compiled_reads_are_the_orms_rows_for_the_active_studio_only(
    studio, other_studio, location, a_client, cart_order
):
    """`order_by_token` and `order_lines_of` (SQL compiled once per process) read exactly what
    `select_related` reads: every field of the order, its client and home location, every line and
    each related object of every kind of line; another studio's token reads nothing."""
    from checkout.selectors.cart import _line_relations, order_by_token, order_lines_of, order_lines_queryset

    with scopes_disabled():
        a_client.home_location = location
        a_client.save(update_fields=["home_location"])
        cart_order.client = a_client
        cart_order.save(update_fields=["client"])
    service, calendar, slots = _bookable_slot(studio, location)
    add(studio, cart_order, kind="plan", plan=PlanFactory(studio=studio))
    add(studio, cart_order, kind="drop_in", session=drop_in_session(studio, location))
    add(
        studio,
        cart_order,
        kind="appointment",
        appointment_service=service,
        appointment_calendar=calendar,
        starts_at=slots[0],
    )
    add(
        studio,
        cart_order,
        kind="product",
        product=make_product(studio, stock={location: 3}),
        location=location,
    )
    theirs = order(other_studio)
    with scope(studio=studio):
        read = order_by_token(studio=studio, token=cart_order.token, open_only=True)
        expected = Order.objects.select_related("client__home_location").get(pk=cart_order.pk)
        assert _fields(read) == _fields(expected)
        assert _fields(read.client) == _fields(expected.client)
        assert _fields(read.client.home_location) == _fields(expected.client.home_location)
        assert order_by_token(studio=studio, token=theirs.token) is None
        compiled, orm = order_lines_of(read), list(order_lines_queryset().filter(order=cart_order))
        assert [line.kind for line in compiled] == ["plan", "drop_in", "appointment", "product"]
        assert [_fields(line) for line in compiled] == [_fields(line) for line in orm]
        for mine, theirs_line in zip(compiled, orm, strict=True):
            for path, _model, _parent in _line_relations():
                a, b = mine, theirs_line
                for name in path.split("__"):
                    a, b = getattr(a, name, None), getattr(b, name, None)
                assert (a is None) == (b is None), path
                if a is not None:
                    assert _fields(a) == _fields(b), path
    with scope(studio=other_studio):
        assert order_by_token(studio=other_studio, token=cart_order.token) is None
