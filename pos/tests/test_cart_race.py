"""Cart changes under simultaneous requests (real PostgreSQL, one connection per thread): the
sale's row lock makes ten taps on the same product one line of ten, and twenty "New sale"
POSTs of one form one sale."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from payments.models import TaxRate
from pos.models import Sale, SaleLine
from pos.services import cart
from pos.tests.factories import open_sale, simple_product
from studio.services import Actor
from tests.factories import LocationFactory, owner_of


def _run(threads_count: int, work) -> list[BaseException]:
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int):
        try:
            start.wait(timeout=30)
            work(n)
        except BaseException as exc:  # collected and re-raised in the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_taps_on_a_product_make_one_line_of_ten(studio, other_studio):
    with scopes_disabled():
        TaxRate.objects.create(studio=studio, name="GST", rate=Decimal("5.000"), item_kinds=["product"])
    sale = open_sale(studio)
    bottle = simple_product(studio, name="Bottle", price_amount=1000)
    actor = Actor(user=owner_of(studio).user)

    def tap(_n):
        with scope(studio=studio):
            cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)

    assert _run(10, tap) == []
    with scopes_disabled():
        lines = list(SaleLine.objects.filter(sale=sale))
        fresh = Sale.objects.get(pk=sale.pk)
    assert [(line.quantity, line.line_total) for line in lines] == [(10, 10500)]
    assert (fresh.subtotal, fresh.tax_total, fresh.total) == (10000, 500, 10500)


@pytest.mark.django_db(transaction=True)
def test_twenty_new_sale_posts_of_one_form_open_one_sale(studio, other_studio):
    location = LocationFactory(studio=studio)
    actor = Actor(user=owner_of(studio).user)
    opened: list[int] = []

    def open_one(_n):
        with scope(studio=studio):
            opened.append(
                cart.sale_open(studio=studio, actor=actor, location=location, token="same-token").pk
            )

    assert _run(20, open_one) == []
    with scopes_disabled():
        assert Sale.objects.filter(studio=studio).count() == 1
    assert len(set(opened)) == 1 and len(opened) == 20
