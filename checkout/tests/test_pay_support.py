"""Fixtures and helpers of the pay tests (pay): two home locations with their own connected
account on the sandbox (Plateau the default, Laval), a client of Laval signed in on the hosted
pages, plans and products to buy, orders built through the cart's own services.

Import into a test module with `from checkout.tests.test_pay_support import *  # noqa: F403`."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from payments.models import PaymentSettings
from payments.tests.conftest import make_account, process_inbox, sandbox, webhooks_to_app
from tests.factories import ClientFactory, LocationFactory, UserFactory

__all__ = [
    "accounts",
    "buyer",
    "buyer_web",
    "laval",
    "make_account",
    "plan",
    "process_inbox",
    "sandbox",
    "webhooks_to_app",
]


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval")


@pytest.fixture
def accounts(make_account, studio, location, laval):
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    return {
        "plateau": make_account(studio, name="Plateau", default=True, locations=[location]),
        "laval": make_account(studio, name="Laval", locations=[laval]),
    }


@pytest.fixture
def buyer(studio, laval):
    user = UserFactory(email="lea@example.test")
    return ClientFactory(
        studio=studio, user=user, first_name="Léa", last_name="Gagnon", home_location=laval, email=user.email
    )


@pytest.fixture
def buyer_web(buyer):
    return signed_in(buyer)


def signed_in(person) -> Client:
    web = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="pytest-browser/1.0")
    web.force_login(person.user, backend="django.contrib.auth.backends.ModelBackend")
    return web


@pytest.fixture
def plan(studio):
    from memberships.tests.factories import PlanFactory

    return PlanFactory(studio=studio, name="10-class pack", pack=True, price_amount=15000)


def make_product(studio, *, name="Water bottle", price=2000, stock=None):
    from pos.models import Product, ProductStock

    with scopes_disabled():
        product = Product.objects.create(
            studio=studio, name=name, price_amount=price, currency=studio.currency, tax_kind="product"
        )
        for where, quantity in (stock or {}).items():
            ProductStock.objects.create(studio=studio, product=product, location=where, quantity=quantity)
    return product


def order_with(studio, client, *items):
    """An OPEN order of `client` with `items`: dicts of `order_line_add` keyword arguments."""
    from checkout.services.cart import order_create, order_line_add

    with scope(studio=studio):
        order = order_create(studio=studio, client=client)
        for item in items:
            order_line_add(studio=studio, order=order, client=client, **item)
        order.refresh_from_db()
    return order


def url(studio, name, **kwargs) -> str:
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def review_form(web, studio, **query) -> dict:
    """The review page's form as the browser would post it (its hidden fields: the one-time
    token, the amount shown on the button)."""
    page = web.get(url(studio, "checkout-review"), query)
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    data = dict(re.findall(r'<input type="hidden" name="(pay_token|expected_amount)" value="([^"]*)"', html))
    data["_html"] = html
    return data


def post_pay(web, studio, **fields):
    query = {"use_credit": "1"} if fields.get("use_credit") == "1" else {}
    data = review_form(web, studio, **query)
    data.pop("_html")
    data.update(fields)
    return web.post(url(studio, "checkout-review"), data)


def fresh(obj):
    with scopes_disabled():
        obj.refresh_from_db()
    return obj


def confirm_card(sandbox, payment, pm="pm_card_visa"):
    """What Stripe.js does on the card page: confirm the order's intent with the typed card (a
    decline is Stripe.js's error message; the page goes to the return page all the same)."""
    import stripe

    try:
        return sandbox.client().v1.payment_intents.confirm(
            payment.stripe_payment_intent_id,
            params={"payment_method": pm},
            options={"stripe_account": payment.stripe_account_id},
        )
    except stripe.CardError:
        return None
