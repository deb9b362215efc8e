"""The POS screen's reads (pos.selectors.cart): what each returns, another studio's rows never in
it, and the query budgets (the same count with 1 and 30 lines, 1 and 200 products)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from memberships.tests.factories import PlanFactory
from memberships.tests.penalty_helpers import failed_penalty
from pos.models import ProductStock, Sale, SaleTender
from pos.selectors import cart as selectors
from pos.tests.factories import open_sale, sale_line, simple_product
from scheduling.models import SessionStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from tests.factories import ClientFactory, LocationFactory
from tests.rows import own_columns

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")
NOW = timezone.now().astimezone(ZONE).replace(hour=12, minute=0, second=0, microsecond=0)


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def _class(studio, location, *, hour=18, price=2000, **kw):
    template = ClassTemplateFactory(studio=studio, name=kw.pop("name", "Hatha"), drop_in_price=price)
    starts = NOW.replace(hour=hour)
    return ClassSessionFactory(
        template=template, location=location, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), **kw
    )


# --- the sale with its cart ----------------------------------------------------------------------


def _tender(sale, n):
    with scopes_disabled():
        return SaleTender.objects.create(
            studio=sale.studio,
            sale=sale,
            kind="cash",
            status="succeeded",
            amount=100,
            token=f"t{n}",
            created_by=sale.created_by,
        )


def test_the_sale_for_the_screen_costs_the_same_with_1_and_30_lines(studio, location, a_client):
    sale = open_sale(studio, location=location, client=a_client)
    product = simple_product(studio, name="Mat")
    sale_line(sale, product=product, reprice=False)
    _tender(sale, 0)

    def read():
        found = selectors.sale_for_screen(studio=studio, pk=sale.pk)
        lines = list(found.lines.all())
        names = [(line.product.name if line.product else line.description) for line in lines]
        return found.client.first_name, found.location.name, names, list(found.tenders.all())

    with scope(studio=studio):
        one = _count(read)
        for _ in range(29):
            sale_line(sale, product=product, reprice=False)
        _tender(sale, 1)
        thirty = _count(read)
        found = selectors.sale_for_screen(studio=studio, pk=sale.pk)
        tenders = list(found.tenders.all())  # the tender panel's own read, not the selector's
    assert one == thirty == 3
    assert len(found.lines.all()) == 30 and len(tenders) == 2


def test_another_studios_sale_is_not_found(studio, other_studio):
    theirs = open_sale(other_studio)
    with scope(studio=studio), pytest.raises(Sale.DoesNotExist):
        selectors.sale_for_screen(studio=studio, pk=theirs.pk)


@pytest.mark.parametrize("with_client", [True, False])
def test_the_compiled_sale_reads_are_the_orms_rows(studio, other_studio, location, a_client, with_client):
    from django.db import transaction

    sale = open_sale(studio, location=location, client=a_client if with_client else None)
    product = simple_product(studio, name="Mat")
    first = sale_line(sale, product=product, reprice=False)
    second = sale_line(sale, product=simple_product(studio, name="Bottle"), reprice=False)
    theirs = open_sale(other_studio)
    with scope(studio=studio):
        orm = Sale.objects.select_related("location", "client").get(pk=sale.pk)
        for lock in (False, True):
            with transaction.atomic():
                found = selectors.sale_with_parties(studio=studio, pk=sale.pk, lock=lock)
            assert own_columns(found) == own_columns(orm)
            assert own_columns(found.location) == own_columns(orm.location)
            assert _count(lambda found=found: (found.location.name, found.client)) == 0
            if with_client:
                assert own_columns(found.client) == own_columns(orm.client)
            else:
                assert found.client is None
            with transaction.atomic():
                assert selectors.sale_with_parties(studio=studio, pk=theirs.pk, lock=lock) is None
        orm_lines = list(sale.lines.order_by("position", "id"))
        lines = selectors.cart_lines(studio=studio, sale_id=sale.pk)
        assert [own_columns(line) for line in lines] == [own_columns(line) for line in orm_lines]
        assert [line.pk for line in lines] == [first.pk, second.pk]
        assert selectors.cart_lines(studio=studio, sale_id=theirs.pk) == []
        line = selectors.sale_line_of(sale=found, pk=second.pk)
        assert own_columns(line) == own_columns(sale.lines.get(pk=second.pk)) and line.sale is found
        assert selectors.sale_line_of(sale=found, pk=theirs.pk) is None
    theirs_line = sale_line(theirs, product=simple_product(other_studio, name="Mat"), reprice=False)
    with scope(studio=studio):
        assert selectors.sale_line_of(sale=found, pk=theirs_line.pk) is None


def test_the_locked_read_locks_the_sale_row_only(studio, location, a_client):
    """`FOR UPDATE OF` the sale: its client and location stay free for others to lock."""
    from django.db import transaction

    sale = open_sale(studio, location=location, client=a_client)
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx, transaction.atomic():
        selectors.sale_with_parties(studio=studio, pk=sale.pk, lock=True)
    sql = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(sql) == 1 and sql[0].rstrip().endswith('FOR UPDATE OF "pos_sale"')


# --- the catalogue --------------------------------------------------------------------------------


def test_the_catalogue_lists_products_with_their_stock_here_plans_sold_here_and_classes_to_come(
    studio, other_studio, location
):
    elsewhere = LocationFactory(studio=studio, name="Laval")
    mat = simple_product(studio, name="Yoga mat", sku="MAT")
    simple_product(studio, name="Old towel", archived_at=timezone.now())
    with scopes_disabled():
        ProductStock.objects.create(studio=studio, product=mat, location=location, quantity=7)
        ProductStock.objects.create(studio=studio, product=mat, location=elsewhere, quantity=1)
    simple_product(other_studio, name="Their mat")
    everywhere = PlanFactory(studio=studio, name="Unlimited", price_amount=9900, signup_fee_amount=2500)
    laval_only = PlanFactory(studio=studio, name="Laval pack", sold_everywhere=False, pack=True)
    with scopes_disabled():
        laval_only.location_links.create(studio=studio, location=elsewhere)
    PlanFactory(studio=studio, name="Gone", archived_at=timezone.now())
    PlanFactory(studio=other_studio, name="Their plan")
    evening = _class(studio, location, name="Evening flow")
    _class(studio, location, hour=9, name="Morning (over)")
    _class(studio, location, name="Cancelled", status=SessionStatus.CANCELLED)
    _class(studio, location, name="Free", price=0)
    full = _class(studio, location, name="Full", capacity=1)
    BookingFactory(session=full, client=ClientFactory(studio=studio))
    _class(studio, elsewhere, name="At Laval")
    tomorrow = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Tomorrow", drop_in_price=2000),
        location=location,
        starts_at=NOW + dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=1, hours=1),
    )
    assert tomorrow.pk
    with scope(studio=studio):
        catalogue = selectors.pos_catalogue(studio=studio, location=location, now=NOW)
        by_sku = selectors.pos_catalogue(studio=studio, location=location, query="MAT", now=NOW)
        by_word = selectors.pos_catalogue(studio=studio, location=location, query="flow", now=NOW)
    assert [(p.name, p.stock_here) for p in catalogue.products] == [("Yoga mat", 7)]
    assert [(p.name, p.pos_amount) for p in catalogue.plans] == [("Unlimited", 12400)]
    assert [(s.pk, s.places_left, s.drop_in_price) for s in catalogue.sessions] == [(evening.pk, 10, 2000)]
    assert [p.name for p in by_sku.products] == ["Yoga mat"] and by_sku.plans == []
    assert [s.pk for s in by_word.sessions] == [evening.pk] and by_word.products == []
    assert everywhere.pk in {p.pk for p in catalogue.plans}


def test_the_catalogue_costs_the_same_with_1_and_200_products(studio, location):
    PlanFactory(studio=studio)
    _class(studio, location)
    simple_product(studio, name="Product 0")
    with scope(studio=studio):
        one = _count(lambda: selectors.pos_catalogue(studio=studio, location=location, now=NOW))
    for n in range(1, 200):
        product = simple_product(studio, name=f"Product {n:03}")
        with scopes_disabled():
            ProductStock.objects.create(studio=studio, product=product, location=location, quantity=n)
    for n in range(5):
        PlanFactory(studio=studio)
        _class(studio, location, name=f"Class {n}")
    with scope(studio=studio):
        many = _count(lambda: selectors.pos_catalogue(studio=studio, location=location, now=NOW))
        catalogue = selectors.pos_catalogue(studio=studio, location=location, now=NOW)
    assert one == many <= 3
    assert len(catalogue.products) == 200 and len(catalogue.plans) == 6 and len(catalogue.sessions) == 6


# --- clients ---------------------------------------------------------------------------------------


def test_client_search_by_name_email_and_phone_leaves_out_archived_and_other_studios(studio, other_studio):
    camille = ClientFactory(studio=studio, first_name="Camille", last_name="Tremblay", phone="514 555-0101")
    ClientFactory(studio=studio, first_name="Camille", last_name="Archived", archived_at=timezone.now())
    noe = ClientFactory(studio=studio, first_name="Noé", last_name="Roy", email="noe.roy@example.test")
    ClientFactory(studio=other_studio, first_name="Camille", last_name="Bravo")
    with scope(studio=studio):
        assert list(selectors.client_search(studio=studio, query="camille")) == [camille]
        assert list(selectors.client_search(studio=studio, query="Camille Trem")) == [camille]
        assert list(selectors.client_search(studio=studio, query="noe.roy@")) == [noe]
        assert list(selectors.client_search(studio=studio, query="5145550101")) == [camille]
        assert list(selectors.client_search(studio=studio, query="555-0101")) == [camille]
        assert list(selectors.client_search(studio=studio, query="")) == []
        assert list(selectors.client_search(studio=studio, query="ca\x00")) == []
        for n in range(12):
            ClientFactory(studio=studio, first_name="Sam", last_name=f"Client {n:02}")
        assert len(list(selectors.client_search(studio=studio, query="sam"))) == 10
        assert len(list(selectors.client_search(studio=studio, query="sam", limit=500))) == 12


def test_what_a_client_owes(studio, a_client):
    penalty = failed_penalty(a_client, amount=1500)
    with scope(studio=studio):
        owed = selectors.owed_for_client(client=a_client)
    assert [(o.kind, o.id, o.amount) for o in owed] == [("penalty", penalty.pk, 1500)]
