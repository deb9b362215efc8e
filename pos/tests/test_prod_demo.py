"""The demo's shelf (`make run`): a dozen products with stock in every home location, both studios."""

from __future__ import annotations

import pytest
from django_scopes import scope

from pos.demo import _seed_products
from pos.models import Product, ProductStock
from pos.selectors.products import low_stock_products, product_by_code
from studio import selectors as studio_selectors
from studio.demo import seed_core

pytestmark = pytest.mark.django_db


def test_both_demo_studios_get_a_shelf_with_stock_low_and_out_once():
    demo, other = seed_core()
    for studio in (demo, other, demo):  # the second run adds nothing
        with scope(studio=studio):
            _seed_products(studio)
    for studio in (demo, other):
        with scope(studio=studio):
            homes = list(studio_selectors.home_locations(studio=studio))
            products = list(Product.objects.filter(studio=studio))
            assert len(products) == 12
            tracked = [p for p in products if p.track_stock]
            rows = ProductStock.objects.filter(studio=studio)
            assert rows.count() == len(tracked) * len(homes)  # every home location counted
            low = low_stock_products(studio=studio)
            assert any(r.quantity == 0 for r in low) and any(r.quantity > 0 for r in low)
            assert {p.currency for p in products} == {studio.currency}
    with scope(studio=demo):
        bottle = product_by_code(studio=demo, code="0628110000017")
        assert bottle.price_amount == 2000
        laval = studio_selectors.home_locations(studio=demo).get(name="Laval")
        assert ProductStock.objects.get(product=bottle, location=laval).quantity > 0
