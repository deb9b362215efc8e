"""The cart pages: add (plain POST and htmx, "Buy now"), the cart page, − / + / remove, hostile
input and another studio's ids, the anonymous cart kept through sign-up (home location asked)
and sign-in, the pay-separately note, and the cart page's query budget."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from checkout.models import Order, OrderLine, OrderStatus
from checkout.services.cart import SESSION_KEY
from checkout.tests.factories import order_line, order_with_lines
from memberships.tests.factories import PlanFactory
from payments.models import TaxRate
from pos.tests.factories import product as make_product
from studio.models import Client as StudioClient
from studio.models import Location
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxes(studio):
    with scopes_disabled():
        TaxRate.objects.create(
            studio=studio, name="GST", rate=Decimal("5"), item_kinds=["membership", "product"]
        )


@pytest.fixture
def plan(studio, taxes):
    return PlanFactory(studio=studio, name="10-class pack", pack=True, price_amount=15000)


def url(studio, name="cart", **kw):
    from django.urls import reverse

    names = {"cart": "checkout-cart", "add": "checkout-cart-add", "line": "checkout-cart-line"}
    return reverse(names[name], kwargs={"studio_slug": studio.slug, **kw})


def order_rows():
    with scopes_disabled():
        return Order.objects.count(), OrderLine.objects.count()


def the_order(client, studio):
    token = client.session.get(SESSION_KEY)
    with scopes_disabled():
        return Order.objects.get(studio=studio, token=token)


def test_empty_cart(client, studio):
    response = client.get(url(studio))
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()


def test_anonymous_add_then_cart_page(client, studio, plan):
    response = client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk})
    assert response.status_code == 302 and response["Location"] == url(studio)
    page = client.get(url(studio)).content.decode()
    assert "10-class pack" in page
    assert "$150.00" in page and "GST" in page and "$7.50" in page and "$157.50" in page
    assert re.search(r'id="cart-badge"[^>]*>Cart <span class="badge">1</span>', page)
    assert f"/{studio.slug}/account/login/?next=%2F{studio.slug}%2Fcheckout%2F" in page


def test_buy_now_goes_to_the_review_page_through_sign_in(client, studio, plan):
    response = client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk, "go": "checkout"})
    assert response["Location"] == f"/{studio.slug}/account/login/?next=%2F{studio.slug}%2Fcheckout%2F"


def test_buy_now_signed_in_goes_straight_to_review(client, studio, location, plan, login):
    from tests.factories import UserFactory

    user = UserFactory(email="cam@example.test")
    cam = ClientFactory(studio=studio, user=user, email="cam@example.test", home_location=location)
    login(user)
    response = client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk, "go": "checkout"})
    assert response["Location"] == f"/{studio.slug}/checkout/"
    with scopes_disabled():
        assert Order.objects.get(client=cam).lines.count() == 1


def test_htmx_add_answers_the_cart_fragment_and_the_badge(client, studio, plan):
    response = client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="cart"' in body
    assert 'id="cart-badge"' in body and 'hx-swap-oob="true"' in body


def test_a_refused_item_leaves_no_cart_behind(client, studio, taxes):
    free = PlanFactory(studio=studio, price_amount=0)
    before = order_rows()
    response = client.post(url(studio, "add"), {"kind": "plan", "plan": free.pk}, follow=True)
    assert "free" in response.content.decode()
    assert order_rows() == before
    assert SESSION_KEY not in client.session
    htmx = client.post(url(studio, "add"), {"kind": "plan", "plan": free.pk}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and 'role="alert"' in htmx.content.decode()
    assert order_rows() == before


def test_another_studios_ids_answer_404_and_save_nothing(client, studio, other_studio, location, taxes):
    their_plan = PlanFactory(studio=other_studio)
    with scopes_disabled():
        their_location = Location.objects.get(studio=other_studio)
    their_product = make_product(other_studio, stock={their_location: 3})
    mine = make_product(studio, stock={location: 3})
    before = order_rows()
    for data in (
        {"kind": "plan", "plan": their_plan.pk},
        {"kind": "product", "product": their_product.pk, "location": their_location.pk},
        {"kind": "product", "product": mine.pk, "location": their_location.pk},
        {"kind": "plan", "plan": 999_999_999},
    ):
        assert client.post(url(studio, "add"), data).status_code == 404, data
    assert order_rows() == before


@pytest.mark.parametrize("quantity", ["²", "-1", str(10**20), "0", "abc", "١٢", "100", "1\x00"])
def test_hostile_quantities_are_refused_cleanly(client, studio, location, taxes, quantity):
    mat = make_product(studio, stock={location: 5})
    before = order_rows()
    response = client.post(
        url(studio, "add"),
        {"kind": "product", "product": mat.pk, "location": location.pk, "quantity": quantity},
    )
    assert response.status_code in (302, 400)
    assert order_rows() == before


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "²"},
        {"kind": "plan", "plan": "²"},
        {"kind": "plan", "plan": str(10**20)},
        {"kind": "appointment", "service": "1", "calendar": "1", "starts_at": "9999-12-31T23:59:00+00:00"},
        {"kind": "appointment", "starts_at": "2026-02-30T10:00"},
        {"kind": "owed", "owed_kind": "x" * 300, "owed_id": "1"},
        {"kind": "plan", "next": "https://evil.example/"},
    ],
)
def test_hostile_add_values_never_fail(client, studio, taxes, data):
    before = order_rows()
    response = client.post(url(studio, "add"), data)
    assert response.status_code in (302, 400, 404)
    if response.status_code == 302:
        assert response["Location"].startswith(f"/{studio.slug}/")
    assert order_rows() == before


def test_quantity_buttons_and_remove(client, studio, location, taxes):
    mat = make_product(studio, name="Mat", stock={location: 3}, price_amount=1000)
    client.post(url(studio, "add"), {"kind": "product", "product": mat.pk, "location": location.pk})
    order = the_order(client, studio)
    with scopes_disabled():
        line = order.lines.get()
    line_url = url(studio, "line", line_pk=line.pk)
    client.post(line_url, {"action": "more"})
    client.post(line_url, {"action": "more"})
    response = client.post(line_url, {"action": "more"}, follow=True)  # a 4th: only 3 in stock
    assert "Only 3 left at Plateau" in response.content.decode()
    client.post(line_url, {"action": "less"})
    with scopes_disabled():
        line.refresh_from_db()
        assert line.quantity == 2
    fragment = client.post(line_url, {"action": "set", "quantity": "3"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "$30.00" in fragment.content.decode()
    assert (
        client.post(line_url, {"action": "set", "quantity": "²"}, HTTP_HX_REQUEST="true").status_code == 400
    )
    client.post(line_url, {"action": "remove"})
    with scopes_disabled():
        assert not OrderLine.objects.filter(pk=line.pk).exists()
    assert "Your cart is empty." in client.get(url(studio)).content.decode()


def test_someone_elses_line_answers_404(client, studio, other_studio, taxes):
    stranger_order = order_with_lines(studio, {"unit_amount": 500})
    with scopes_disabled():
        theirs = stranger_order.lines.get()
    their_studio_order = order_with_lines(other_studio, {"unit_amount": 500})
    with scopes_disabled():
        other = their_studio_order.lines.get()
    assert client.post(url(studio, "line", line_pk=theirs.pk), {"action": "remove"}).status_code == 404
    client.post(url(studio, "add"), {"kind": "plan", "plan": PlanFactory(studio=studio).pk})
    assert client.post(url(studio, "line", line_pk=theirs.pk), {"action": "remove"}).status_code == 404
    assert client.post(url(studio, "line", line_pk=other.pk), {"action": "remove"}).status_code == 404
    with scopes_disabled():
        assert OrderLine.objects.filter(pk__in=[theirs.pk, other.pk]).count() == 2


def test_the_pay_separately_note(client, studio, location, taxes):
    from payments.models import ConnectedAccount, ConnectedAccountLocation

    laval = LocationFactory(studio=studio, name="Laval")
    with scopes_disabled():
        for n, place in enumerate((location, laval)):
            account = ConnectedAccount.objects.create(
                studio=studio,
                display_name=f"Account {n}",
                creation_key=f"k{n}",
                stripe_account_id=f"acct_{n}",
                charges_enabled=True,
                is_default=n == 0,
                state=ConnectedAccount.State.READY,
            )
            ConnectedAccountLocation.objects.create(studio=studio, account=account, location=place)
    here = make_product(studio, name="Plateau mat", stock={location: 3})
    there = make_product(studio, name="Laval mat", stock={laval: 3})
    client.post(url(studio, "add"), {"kind": "product", "product": here.pk, "location": location.pk})
    page = client.get(url(studio)).content.decode()
    assert "Pay these separately" not in page
    client.post(url(studio, "add"), {"kind": "product", "product": there.pk, "location": laval.pk})
    page = client.get(url(studio)).content.decode()
    assert "Pay these separately" in page
    assert page.count('data-testid="line-conflict"') == 1


def test_anonymous_cart_survives_sign_up_with_the_laval_home_location(client, studio, location, plan):
    with scopes_disabled():
        studio.require_home_location = True
        studio.save()
    laval = LocationFactory(studio=studio, name="Laval")
    client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk})
    anonymous = the_order(client, studio)
    continue_to = client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk, "go": "checkout"})
    # Already in the cart: nothing added, on to paying (through sign-in).
    assert continue_to["Location"] == f"/{studio.slug}/account/login/?next=%2F{studio.slug}%2Fcheckout%2F"
    with scopes_disabled():
        assert anonymous.lines.count() == 1
    login_page = client.get(f"/{studio.slug}/account/login/?next=/{studio.slug}/checkout/").content.decode()
    assert f"/{studio.slug}/account/signup/?next=/{studio.slug}/checkout/" in login_page.replace("%2F", "/")
    signup = f"/{studio.slug}/account/signup/?next=/{studio.slug}/checkout/"
    missing = client.post(
        signup,
        {
            "first_name": "Léa",
            "last_name": "Gagnon",
            "email": "lea@example.test",
            "password": "correct-horse-42!x",
            "language": "en",
        },
    )
    assert missing.status_code == 200  # the home location is required here
    response = client.post(
        signup,
        {
            "first_name": "Léa",
            "last_name": "Gagnon",
            "email": "lea@example.test",
            "password": "correct-horse-42!x",
            "language": "en",
            "home_location": laval.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/{studio.slug}/checkout/"
    client.get(response["Location"])  # the review page: whatever it shows, the cart is attached
    with scopes_disabled():
        lea = StudioClient.objects.get(studio=studio, email="lea@example.test")
        kept = Order.objects.get(pk=anonymous.pk)
        assert lea.home_location_id == laval.pk
        assert kept.client_id == lea.pk and kept.status == OrderStatus.OPEN
        assert [line.plan_id for line in kept.lines.all()] == [plan.pk]
    page = client.get(url(studio)).content.decode()
    assert "10-class pack" in page and f'href="/{studio.slug}/checkout/"' in page


def test_sign_in_merges_the_anonymous_cart_into_the_clients(client, studio, location, plan, password):
    from tests.factories import UserFactory

    user = UserFactory(email="cam@example.test")
    cam = ClientFactory(studio=studio, user=user, email="cam@example.test", home_location=location)
    mat = make_product(studio, stock={location: 9})
    own = order_with_lines(
        studio, {"kind": "product", "product": mat, "location": location, "quantity": 2}, client=cam
    )
    client.post(
        url(studio, "add"), {"kind": "product", "product": mat.pk, "location": location.pk, "quantity": "3"}
    )
    client.post(url(studio, "add"), {"kind": "plan", "plan": plan.pk})
    anonymous = the_order(client, studio)
    response = client.post(
        f"/{studio.slug}/account/login/?next=/{studio.slug}/cart/",
        {"username": "cam@example.test", "password": password, "next": f"/{studio.slug}/cart/"},
    )
    assert response.status_code == 302
    page = client.get(url(studio)).content.decode()
    assert "10-class pack" in page
    with scopes_disabled():
        own.refresh_from_db()
        assert sorted((line.kind, line.quantity) for line in own.lines.all()) == [("plan", 1), ("product", 5)]
        assert Order.objects.get(pk=anonymous.pk).status == OrderStatus.CANCELED


def test_cart_page_query_count_is_the_same_at_2_and_30_lines(client, studio, location, taxes):
    def count(lines: int) -> int:
        fresh = client.__class__(HTTP_ACCEPT_LANGUAGE="en")
        fresh.get(url(studio))  # a session cookie
        made = order_with_lines(studio, reprice=False)
        for n in range(lines):
            product = make_product(studio, stock={location: 5})
            order_line(made, kind="product", product=product, location=location, description=f"P{n}")
        session = fresh.session
        session[SESSION_KEY] = made.token
        session.save()
        fresh.get(url(studio))
        with CaptureQueriesContext(connection) as queries:
            response = fresh.get(url(studio))
        assert response.status_code == 200
        assert response.content.decode().count("data-line=") == lines
        return len(queries)

    # One line is routed against nothing (no other line to conflict with): two queries fewer.
    assert count(1) == count(2) - 2
    assert count(2) == count(30)


def test_a_client_adds_what_they_owe_from_the_cart_page(client, studio, location, login):
    from memberships.tests.penalty_helpers import failed_penalty
    from tests.factories import UserFactory

    user = UserFactory(email="cam@example.test")
    cam = ClientFactory(studio=studio, user=user, email="cam@example.test", home_location=location)
    fee = failed_penalty(cam, amount=1500)
    login(user)
    page = client.get(url(studio)).content.decode()
    assert 'data-testid="cart-owed"' in page and "$15.00" in page
    fragment = client.post(
        url(studio, "add"),
        {"kind": "owed", "owed_kind": "penalty", "owed_id": fee.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-line="' in fragment and 'data-testid="cart-owed"' not in fragment
    with scopes_disabled():
        line = Order.objects.get(client=cam).lines.get()
    assert (line.kind, line.owed_id, line.unit_amount) == ("owed", fee.pk, 1500)


def test_anonymous_visitors_see_no_amounts_owed(client, studio):
    assert 'data-testid="cart-owed"' not in client.get(url(studio)).content.decode()


def test_htmx_buy_now_sends_the_browser_to_payment(client, studio, plan):
    for _twice in range(2):  # the second time the plan is in the cart already: on to paying all the same
        response = client.post(
            url(studio, "add"), {"kind": "plan", "plan": plan.pk, "go": "checkout"}, HTTP_HX_REQUEST="true"
        )
        assert response["HX-Redirect"] == f"/{studio.slug}/account/login/?next=%2F{studio.slug}%2Fcheckout%2F"
    with scopes_disabled():
        assert OrderLine.objects.count() == 1
