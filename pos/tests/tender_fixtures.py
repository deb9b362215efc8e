"""Fixtures and helpers of the tender tests (tender): two home locations, each with its own
connected account on the sandbox (Plateau the default, Laval), a clerk, a client, products in
stock, and a sale built through the cart's own services.

Import the fixtures into a test module with
`from pos.tests.tender_fixtures import *  # noqa: F403` (pytest finds them by name)."""

from __future__ import annotations

import secrets

import pytest
from django_scopes import scope, scopes_disabled

from payments.models import PaymentSettings
from payments.tests.conftest import make_account, sandbox, webhooks_to_app
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory

__all__ = [
    "accounts",
    "actor",
    "add_line",
    "add_product",
    "buyer",
    "clerk",
    "laval",
    "make_account",
    "make_product",
    "new_sale",
    "sandbox",
    "token",
    "webhooks_to_app",
]


def token() -> str:
    return secrets.token_urlsafe(18)


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
def clerk(owner):
    return owner


@pytest.fixture
def actor(clerk):
    return Actor(user=clerk.user)


@pytest.fixture
def buyer(studio, laval):
    return ClientFactory(
        studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval, email="lea@example.com"
    )


def make_product(studio, *, name="Water bottle", price=2000, stock=None, tax_kind="product"):
    """A product priced `price` minor units, with `stock` {location: quantity}."""
    from pos.models import Product, ProductStock

    with scopes_disabled():
        product = Product.objects.create(
            studio=studio, name=name, price_amount=price, currency=studio.currency, tax_kind=tax_kind
        )
        for where, quantity in (stock or {}).items():
            ProductStock.objects.create(studio=studio, product=product, location=where, quantity=quantity)
    return product


def new_sale(studio, actor, location, *, client=None):
    from pos.services.cart import sale_open, sale_set_client

    with scope(studio=studio):
        sale = sale_open(studio=studio, actor=actor, location=location, token=token())
        if client is not None:
            sale_set_client(studio=studio, actor=actor, sale=sale, client=client)
        sale.refresh_from_db()
    return sale


def add_line(studio, sale, **fields):
    """A cart line made with the model (the cart's own services are another helper's, in
    progress), then the cart repriced by the cart's `sale_reprice`."""
    from pos.models import SaleLine
    from pos.services.cart import sale_reprice

    with scope(studio=studio):
        position = SaleLine.objects.filter(sale=sale).count()
        line = SaleLine.objects.create(studio=studio, sale=sale, position=position, **fields)
        sale_reprice(sale=sale)
        sale.refresh_from_db()
    return line


def add_product(studio, actor, sale, product, quantity=1):
    add_line(
        studio,
        sale,
        kind="product",
        product=product,
        description=product.name,
        quantity=quantity,
        unit_amount=product.price_amount,
        tax_kind=product.tax_kind,
    )
    return sale
