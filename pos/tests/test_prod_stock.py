"""Stock per location (POS-4): taking for a sale, releasing, returns, adjustments; the selectors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scope, scopes_disabled

from pos.models import LineKind, ProductStock, SaleLine, StockMovement
from pos.selectors.products import (
    low_stock_products,
    product_by_code,
    product_list,
    product_stock_table,
    products_for_location,
)
from pos.services.products import product_archive, product_save
from pos.services.stock import (
    OutOfStock,
    stock_adjust,
    stock_count,
    stock_release_for_sale,
    stock_return,
    stock_take_for_sale,
)
from pos.tests.factories import open_sale, product
from studio.models import AuditLog
from studio.services import Actor
from tests.factories import LocationFactory, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(studio):
    return Actor(user=owner_of(studio).user)


def _count(product_, location) -> int:
    with scopes_disabled():
        row = ProductStock.objects.filter(product=product_, location=location).first()
    return row.quantity if row else 0


def _line(sale, product_, quantity):
    with scopes_disabled():
        return SaleLine.objects.create(
            studio_id=sale.studio_id,
            sale=sale,
            kind=LineKind.PRODUCT,
            product=product_,
            description=product_.name,
            quantity=quantity,
            unit_amount=product_.price_amount,
            tax_kind=product_.tax_kind,
        )


def _movements(product_):
    with scopes_disabled():
        return list(StockMovement.objects.filter(product=product_).order_by("id"))


# --- taking for a sale -----------------------------------------------------------------------


def test_a_sale_takes_its_units_and_writes_one_movement_per_product(studio, other_studio, location, actor):
    bottle = product(studio, name="Water bottle", stock={location: 5})
    socks = product(studio, name="Grip socks", stock={location: 2})
    sale = open_sale(studio, location)
    _line(sale, bottle, 2)
    _line(sale, bottle, 1)  # the same product on two lines adds up
    _line(sale, socks, 2)
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    assert (_count(bottle, location), _count(socks, location)) == (2, 0)
    moves = _movements(bottle)
    assert [(m.delta, m.quantity_after, m.reason, m.sale_id) for m in moves] == [(-3, 2, "sale", sale.pk)]
    # Taking again for the same sale (a retried lock) takes nothing more.
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    assert (_count(bottle, location), _count(socks, location)) == (2, 0)


def test_out_of_stock_names_the_product_and_what_is_left_and_takes_nothing(studio, location, actor):
    bottle = product(studio, name="Water bottle", stock={location: 5})
    mat = product(studio, name="Yoga mat", stock={location: 1})
    sale = open_sale(studio, location)
    _line(sale, bottle, 2)
    _line(sale, mat, 3)
    with scope(studio=studio), translation.override("en"), pytest.raises(OutOfStock) as caught:
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.product == mat and caught.value.available == 1
    with translation.override("en"):
        assert caught.value.messages == ["Only 1 “Yoga mat” left here."]
    assert (_count(bottle, location), _count(mat, location)) == (5, 1)
    assert _movements(bottle) == [] and _movements(mat) == []


def test_a_location_without_a_row_holds_nothing(studio, location, actor):
    towel = product(studio, name="Towel")
    sale = open_sale(studio, location)
    _line(sale, towel, 1)
    with scope(studio=studio), translation.override("en"), pytest.raises(OutOfStock) as caught:
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    with translation.override("en"):
        assert caught.value.messages == ["“Towel” is out of stock here."]


def test_untracked_products_are_never_short_and_not_counted(studio, location, actor):
    rental = product(studio, name="Towel rental", track_stock=False)
    sale = open_sale(studio, location)
    _line(sale, rental, 4)
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    assert _movements(rental) == [] and _count(rental, location) == 0


def test_stock_is_taken_at_the_sales_location_only(studio, location, actor):
    laval = LocationFactory(studio=studio, name="Laval")
    bottle = product(studio, stock={location: 1, laval: 4})
    sale = open_sale(studio, laval)
    _line(sale, bottle, 2)
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
    assert (_count(bottle, location), _count(bottle, laval)) == (1, 2)


def test_another_studios_sale_is_refused(studio, other_studio, location, actor):
    sale = open_sale(other_studio)
    with scope(studio=studio), pytest.raises(ValidationError):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)


# --- release, return ---------------------------------------------------------------------------


def test_a_voided_sale_gives_back_what_it_took_once(studio, location, actor):
    bottle = product(studio, stock={location: 5})
    sale = open_sale(studio, location)
    _line(sale, bottle, 3)
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
        stock_release_for_sale(studio=studio, actor=actor, sale=sale, reason="Client left")
        stock_release_for_sale(studio=studio, actor=actor, sale=sale, reason="again")
    assert _count(bottle, location) == 5
    moves = _movements(bottle)
    assert [(m.delta, m.reason, m.note) for m in moves] == [(-3, "sale", ""), (3, "void", "Client left")]


def test_a_release_does_not_give_back_what_was_returned(studio, location, actor):
    bottle = product(studio, stock={location: 5})
    sale = open_sale(studio, location)
    _line(sale, bottle, 3)
    with scope(studio=studio):
        stock_take_for_sale(studio=studio, actor=actor, sale=sale)
        stock_return(studio=studio, actor=actor, sale=sale, product=bottle, location=location, quantity=1)
        assert _count(bottle, location) == 3
        stock_release_for_sale(studio=studio, actor=actor, sale=sale)
    assert _count(bottle, location) == 5


def test_a_return_restocks_a_tracked_product_only(studio, location, actor):
    bottle = product(studio, stock={location: 0})
    rental = product(studio, track_stock=False)
    with scope(studio=studio):
        move = stock_return(
            studio=studio, actor=actor, sale=None, product=bottle, location=location, quantity=2
        )
        assert (
            stock_return(studio=studio, actor=actor, sale=None, product=rental, location=location, quantity=2)
            is None
        )
        with pytest.raises(ValidationError):
            stock_return(studio=studio, actor=actor, sale=None, product=bottle, location=location, quantity=0)
    assert (move.delta, move.quantity_after, move.reason) == (2, 2, "return")
    assert _count(bottle, location) == 2


# --- by hand -----------------------------------------------------------------------------------


def test_adjust_and_count_write_movements_and_the_audit_log(studio, location, actor):
    mat = product(studio, stock={location: 4})
    with scope(studio=studio):
        stock_adjust(
            studio=studio,
            actor=actor,
            product=mat,
            location=location,
            quantity=6,
            reason="received",
            note="PO 12",
        )
        stock_count(studio=studio, actor=actor, product=mat, location=location, count=7, note="shelf")
        assert stock_count(studio=studio, actor=actor, product=mat, location=location, count=7) is None
        entries = list(AuditLog.objects.filter(action="product.stock_changed").order_by("id"))
    assert [(m.delta, m.quantity_after, m.reason, m.note) for m in _movements(mat)] == [
        (6, 10, "received", "PO 12"),
        (-3, 7, "adjustment", "shelf"),
    ]
    assert [e.changes["stock_delta"] for e in entries] == [6, -3]
    assert entries[0].changes["stock_location"] == location.pk


def test_a_count_never_goes_below_zero_by_hand(studio, location, actor):
    mat = product(studio, stock={location: 2})
    with scope(studio=studio), pytest.raises(ValidationError) as caught:
        stock_adjust(
            studio=studio, actor=actor, product=mat, location=location, quantity=-3, reason="adjustment"
        )
    assert "quantity" in caught.value.error_dict
    with scope(studio=studio), pytest.raises(ValidationError):
        stock_count(studio=studio, actor=actor, product=mat, location=location, count=-1)
    with scope(studio=studio), pytest.raises(ValidationError):  # sales are the code's own reason
        stock_adjust(studio=studio, actor=actor, product=mat, location=location, quantity=1, reason="sale")
    assert _count(mat, location) == 2 and _movements(mat) == []


def test_stock_is_not_counted_at_a_location_that_is_not_a_home(studio, location, actor):
    away = LocationFactory(studio=studio, name="Park", is_home_location=False)
    mat = product(studio)
    with scope(studio=studio), pytest.raises(ValidationError):
        stock_count(studio=studio, actor=actor, product=mat, location=away, count=3)


# --- products --------------------------------------------------------------------------------


def test_product_save_sets_counts_and_refuses_a_code_another_product_has(
    studio, other_studio, location, actor
):
    from pos.models import Product

    theirs = LocationFactory(studio=other_studio)

    with scope(studio=studio):
        made = product_save(
            studio=studio,
            actor=actor,
            product=Product(name=" Water bottle ", sku="WB-1", barcode="0123", price_amount=2000),
            stock={location.pk: 12},
        )
        assert made.name == "Water bottle" and made.currency == studio.currency
        created = AuditLog.objects.get(action="product.created")
        assert created.changes == {"stock_counts": {str(location.pk): {"from": 0, "to": 12}}}
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            product_save(
                studio=studio, actor=actor, product=Product(name="Bottle", sku="wb-1", price_amount=1)
            )
        assert caught.value.message_dict["sku"] == ["Another product (“Water bottle”) already has this SKU."]
        with pytest.raises(ValidationError) as caught:
            product_save(
                studio=studio, actor=actor, product=Product(name="B", barcode="0123 ", price_amount=1)
            )
        assert "barcode" in caught.value.message_dict
        with pytest.raises(ValidationError):  # a location of another studio
            product_save(studio=studio, actor=actor, product=made, stock={theirs.pk: 1})
        made.price_amount = 2500
        product_save(studio=studio, actor=actor, product=made, stock={location.pk: 10})
        changed = AuditLog.objects.get(action="product.changed")
        assert changed.changes["price_amount"] == {"from": 2000, "to": 2500}
        assert changed.changes["stock_counts"] == {str(location.pk): {"from": 12, "to": 10}}
        assert Product.objects.count() == 1
    # The same SKU in another studio is that studio's business.
    with scope(studio=other_studio):
        product_save(
            studio=other_studio,
            actor=Actor(user=None),
            product=Product(name="Their bottle", sku="WB-1", price_amount=1),
        )
    assert _count(made, location) == 10


def test_archive_and_restore(studio, location, actor):
    mat = product(studio)
    with scope(studio=studio):
        product_archive(studio=studio, actor=actor, product=mat)
        assert product_by_code(studio=studio, code=mat.name) is None
        assert list(products_for_location(studio=studio, location=location)) == []
        product_archive(studio=studio, actor=actor, product=mat, archived=False)
        assert [p.pk for p in products_for_location(studio=studio, location=location)] == [mat.pk]
        actions = list(AuditLog.objects.filter(object_type="product").values_list("action", flat=True))
    assert sorted(actions) == ["product.archived", "product.restored"]


# --- selectors ---------------------------------------------------------------------------------


def test_product_by_code_is_exact_trimmed_and_case_insensitive(studio, other_studio):
    bottle = product(studio, sku="wb-20", barcode="0777")
    product(studio, sku="0777-X")
    theirs = product(other_studio, sku="THEIRS")
    with scope(studio=studio):
        assert product_by_code(studio=studio, code=" WB-20\n") == bottle
        assert product_by_code(studio=studio, code="0777") == bottle
        assert product_by_code(studio=studio, code="0777-") is None
        assert product_by_code(studio=studio, code="wb") is None
        assert product_by_code(studio=studio, code="") is None
        assert product_by_code(studio=studio, code="x" * 300) is None
        assert product_by_code(studio=studio, code="THEIRS") is None
    assert theirs.studio_id == other_studio.pk


def test_a_barcode_wins_over_another_products_sku(studio):
    by_sku = product(studio, sku="12345")
    by_barcode = product(studio, barcode="12345")
    with scope(studio=studio):
        assert product_by_code(studio=studio, code="12345") == by_barcode
    assert by_sku.pk < by_barcode.pk


def test_products_for_location_annotates_stock_and_low_in_one_query(studio, location):
    laval = LocationFactory(studio=studio, name="Laval")
    product(studio, name="Mat", stock={location: 10, laval: 1}, low_stock_threshold=3)
    product(studio, name="Socks", stock={location: 3}, low_stock_threshold=3)
    product(studio, name="Rental", track_stock=False)
    product(studio, name="Tea", stock={location: 0}, archived_at="2026-01-01T00:00Z")
    with scope(studio=studio), CaptureQueriesContext(connection) as queries:
        rows = [
            (p.name, p.stock_here, p.low_stock)
            for p in products_for_location(studio=studio, location=location)
        ]
    assert len(queries) == 1
    assert rows == [("Mat", 10, False), ("Rental", 0, False), ("Socks", 3, True)]
    with scope(studio=studio):
        assert [p.name for p in products_for_location(studio=studio, location=location, query="soc")] == [
            "Socks"
        ]


def test_low_stock_products_per_location(studio, other_studio, location):
    laval = LocationFactory(studio=studio, name="Laval")
    mat = product(studio, name="Mat", stock={location: 10, laval: 1}, low_stock_threshold=3)
    socks = product(studio, name="Socks", stock={location: 0, laval: 9}, low_stock_threshold=2)
    product(studio, name="Rental", track_stock=False)
    product(other_studio, name="Theirs", stock=0)
    with scope(studio=studio):
        every = [(r.location.name, r.product.name, r.quantity) for r in low_stock_products(studio=studio)]
        here = [(r.product.name, r.quantity) for r in low_stock_products(studio=studio, location=location)]
    assert every == [("Laval", "Mat", 1), ("Plateau", "Socks", 0)]
    assert here == [("Socks", 0)]
    assert mat.pk and socks.pk


def test_product_list_reads_the_stock_table_in_a_fixed_number_of_queries(studio, location):
    laval = LocationFactory(studio=studio, name="Laval")
    product(studio, name="Mat", stock={location: 10, laval: 1})

    def read():
        with scope(studio=studio), CaptureQueriesContext(connection) as queries:
            out = [
                [c.quantity for c in product_stock_table(product=p, locations=[location, laval])]
                for p in product_list(studio=studio, locations=[location, laval])
            ]
        return out, len(queries)

    first, one = read()
    for i in range(30):
        product(studio, name=f"Extra {i}", stock={location: i})
    everything, many = read()
    assert first == [[10, 1]] and len(everything) == 31 and one == many == 2


def test_products_pickable_reads_through_compiled_sql_what_the_orm_reads(studio, other_studio):
    """The public page's compiled read of pickable products gives the ORM's rows for one and for
    two places and each limit: in stock at one of them, or not counted; never another studio's."""
    from django.db.models import Exists, OuterRef, Q
    from django_scopes import scopes_disabled

    from pos.models import Product, ProductStock
    from pos.selectors.products import products_pickable
    from pos.tests.factories import product as make_product
    from tests.factories import LocationFactory

    here, there = LocationFactory(studio=studio, name="Plateau"), LocationFactory(studio=studio, name="Laval")
    make_product(studio, name="Mat", stock={here: 2})
    make_product(studio, name="Block", stock={there: 1})
    make_product(studio, name="Strap", stock={here: 0})
    make_product(studio, name="Gift card", track_stock=False)
    make_product(other_studio, name="Theirs", track_stock=False)
    for places in ([here], [here, there]):
        for limit in (1, 10):
            with scopes_disabled():
                in_stock = ProductStock.objects.filter(
                    product=OuterRef("pk"), location__in=places, quantity__gt=0
                )
                expected = list(
                    Product.objects.filter(studio=studio, archived_at__isnull=True)
                    .filter(Q(track_stock=False) | Exists(in_stock))
                    .order_by("name", "id")
                    .values_list("pk", "name", "price_amount", "tax_kind")[:limit]
                )
            assert products_pickable(studio=studio, locations=places, limit=limit) == expected
    assert [row[1] for row in products_pickable(studio=studio, locations=[here, there], limit=10)] == [
        "Block",
        "Gift card",
        "Mat",
    ]
