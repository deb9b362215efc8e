"""The last unit under simultaneous sales: real PostgreSQL, one connection per thread."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django_scopes import scope, scopes_disabled

from pos.models import LineKind, ProductStock, SaleLine, StockMovement
from pos.services.stock import OutOfStock, stock_take_for_sale
from pos.tests.factories import open_sale, product
from studio.services import Actor
from tests.factories import owner_of


def _sale_buying(studio, location, items):
    sale = open_sale(studio, location)
    with scopes_disabled():
        for item, quantity in items:
            SaleLine.objects.create(
                studio_id=studio.pk,
                sale=sale,
                kind=LineKind.PRODUCT,
                product=item,
                description=item.name,
                quantity=quantity,
                unit_amount=item.price_amount,
            )
    return sale


def _race(studio, sales):
    """Each sale's stock taken in its own thread and transaction, all released at once."""
    actor = Actor(user=owner_of(studio).user)
    start = threading.Barrier(len(sales))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(sale):
        try:
            start.wait(timeout=30)
            with scope(studio=studio), transaction.atomic():
                stock_take_for_sale(studio=studio, actor=actor, sale=sale)
            outcome = "sold"
        except OutOfStock:
            outcome = "out of stock"
        except BaseException as exc:  # collected and re-raised in the main thread
            with lock:
                errors.append(exc)
            return
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(sale,)) for sale in sales]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(3))
def test_two_clerks_selling_the_last_unit_one_sells_the_other_hears_out_of_stock(
    studio, other_studio, location, run
):
    bottle = product(studio, name="Water bottle", stock={location: 1})
    theirs = product(other_studio, name="Water bottle", stock=1)
    sales = [_sale_buying(studio, location, [(bottle, 1)]) for _ in range(2)]
    assert _race(studio, sales) == ["out of stock", "sold"]
    with scopes_disabled():
        assert ProductStock.objects.get(product=bottle, location=location).quantity == 0
        assert StockMovement.objects.filter(product=bottle).count() == 1
        assert ProductStock.objects.get(product=theirs).quantity == 1


@pytest.mark.django_db(transaction=True)
def test_sales_holding_the_same_products_in_opposite_orders_neither_deadlock_nor_oversell(studio, location):
    mat = product(studio, name="Mat", stock={location: 3})
    socks = product(studio, name="Socks", stock={location: 3})
    sales = [
        _sale_buying(studio, location, [(mat, 1), (socks, 1)] if i % 2 else [(socks, 1), (mat, 1)])
        for i in range(6)
    ]
    assert _race(studio, sales) == ["out of stock"] * 3 + ["sold"] * 3
    with scopes_disabled():
        counts = sorted(ProductStock.objects.filter(location=location).values_list("quantity", flat=True))
        assert counts == [0, 0]
        assert not ProductStock.objects.filter(quantity__lt=0).exists()
