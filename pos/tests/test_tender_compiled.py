"""The tenders' reads compiled once (`studio.compiled_sql`): the locked sale with its parties, the
sale's tenders, the locked tender with its payment and the lines with their plans are each the
ORM's own rows, another studio's ids find nothing, and the locks are the sale's (or the
tender's) row alone. The charge path then reads each row once: the query counts of a tender are
held here too (issue #14)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.models import Sale, SaleLine, SaleTender, TenderStatus
from pos.services import checkout
from pos.services.fulfilment import sale_lines
from pos.services.tenders import _has_perm, sale_locked, sale_tenders, tender_locked, tender_with_payment
from pos.tests.factories import open_sale, sale_line, tender_payment
from pos.tests.tender_fixtures import *  # noqa: F403 - fixtures
from pos.tests.tender_fixtures import add_product, make_product, new_sale, token
from tests.factories import ClientFactory
from tests.rows import own_columns

pytestmark = pytest.mark.django_db


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("client_kind", ["with_home", "without_home", "walk_in"])
def test_the_locked_sale_is_the_orms_row_with_its_parties(studio, other_studio, location, client_kind):
    client = None
    if client_kind != "walk_in":
        client = ClientFactory(studio=studio, home_location=location if client_kind == "with_home" else None)
    sale = open_sale(studio, location=location, client=client)
    theirs = open_sale(other_studio)
    with scope(studio=studio), transaction.atomic():
        orm = Sale.objects.select_related("location", "client", "client__home_location").get(pk=sale.pk)
        found = sale_locked(studio=studio, sale_id=sale.pk)
        assert own_columns(found) == own_columns(orm)
        assert found.studio is studio
        assert own_columns(found.location) == own_columns(orm.location)
        if client is None:
            assert _count(lambda: found.client) == 0 and found.client is None
        else:
            assert own_columns(found.client) == own_columns(orm.client)
            home = _count(lambda: found.client.home_location)
            assert home == 0
            if client_kind == "with_home":
                assert own_columns(found.client.home_location) == own_columns(orm.client.home_location)
            else:
                assert found.client.home_location is None
        with pytest.raises(Sale.DoesNotExist):
            sale_locked(studio=studio, sale_id=theirs.pk)


def test_the_locked_reads_lock_their_own_row_only(studio, location, a_client):
    sale = open_sale(studio, location=location, client=a_client)
    with scope(studio=studio):
        tender = SaleTender.objects.create(
            studio=studio, sale=sale, kind="cash", amount=100, token="t1", created_by=sale.created_by
        )
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx, transaction.atomic():
        sale_locked(studio=studio, sale_id=sale.pk)
        tender_locked(studio=studio, tender_id=tender.pk)
    locks = [q["sql"].rstrip() for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 2
    assert locks[0].endswith('FOR UPDATE OF "pos_sale"')
    assert locks[1].endswith('FOR UPDATE OF "pos_saletender"')


def test_the_sales_tenders_and_the_locked_tender_are_the_orms_rows(studio, other_studio, location, a_client):
    sale = open_sale(studio, location=location, client=a_client)
    theirs = open_sale(other_studio)
    payment = tender_payment(sale, method="cash", amount=500)
    with scope(studio=studio):
        first = SaleTender.objects.create(
            studio=studio,
            sale=sale,
            kind="cash",
            amount=500,
            token="a",
            payment=payment,
            status=TenderStatus.SUCCEEDED,
            created_by=sale.created_by,
        )
        second = SaleTender.objects.create(
            studio=studio, sale=sale, kind="cash", amount=300, token="b", created_by=sale.created_by
        )
    with scope(studio=other_studio):
        their_tender = SaleTender.objects.create(
            studio=other_studio, sale=theirs, kind="cash", amount=100, token="c", created_by=theirs.created_by
        )
    with scope(studio=studio), transaction.atomic():
        orm = list(SaleTender.objects.filter(sale_id=sale.pk).order_by("id"))
        found = sale_tenders(studio=studio, sale_id=sale.pk)
        assert [own_columns(t) for t in found] == [own_columns(t) for t in orm]
        assert [t.pk for t in found] == [first.pk, second.pk]
        assert sale_tenders(studio=studio, sale_id=theirs.pk) == []
        locked = tender_locked(studio=studio, tender_id=first.pk)
        orm_first = SaleTender.objects.select_related("payment").get(pk=first.pk)
        assert own_columns(locked) == own_columns(orm_first)
        assert _count(lambda: locked.payment) == 0
        assert own_columns(locked.payment) == own_columns(orm_first.payment)
        bare = tender_locked(studio=studio, tender_id=second.pk)
        assert _count(lambda: bare.payment) == 0 and bare.payment is None
        with pytest.raises(SaleTender.DoesNotExist):
            tender_locked(studio=studio, tender_id=their_tender.pk)


def test_the_sales_lines_are_the_orms_rows_with_their_plans(studio, other_studio, location, a_client):
    sale = open_sale(studio, location=location, client=a_client)
    theirs = open_sale(other_studio)
    plan = PlanFactory(studio=studio, name="10 classes")
    first = sale_line(sale, kind="plan", plan=plan, unit_amount=15000)
    second = sale_line(sale, unit_amount=2000)
    sale_line(theirs, unit_amount=100)
    with scope(studio=studio):
        SaleLine.objects.filter(pk=first.pk).update(position=5)  # the cart's order, not the ids'

        orm = list(sale.lines.select_related("plan").order_by("position", "id"))
        fresh = Sale.objects.get(pk=sale.pk)
        found = sale_lines(fresh)
        assert [own_columns(line) for line in found] == [own_columns(line) for line in orm]
        assert [line.pk for line in found] == [second.pk, first.pk]
        assert _count(lambda: [(line.plan, line.sale) for line in found]) == 0
        assert own_columns(found[1].plan) == own_columns(orm[1].plan) and found[0].plan is None
        assert all(line.sale is fresh for line in found)
        assert sale_lines(fresh) is found  # once per instance
        assert sale_lines(Sale(pk=theirs.pk, studio_id=studio.pk)) == []


# --- the charge path reads each row once -------------------------------------------------------------


@pytest.fixture
def frozen_sale(studio, actor, laval, buyer, accounts):
    bottle = make_product(studio, name="Water bottle", price=2000, stock={laval: 5})
    sale = new_sale(studio, actor, laval, client=buyer)
    sale = add_product(studio, actor, sale, bottle, quantity=2)
    with scope(studio=studio):
        checkout.sale_lock(studio=studio, actor=actor, sale=sale)
        return Sale.objects.get(pk=sale.pk)


def test_a_cash_tender_that_completes_the_sale_reads_each_row_once(studio, actor, frozen_sale):
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
        tender = checkout.tender_cash(
            studio=studio, actor=actor, sale=frozen_sale, amount=4000, cash_received=5000, token=token()
        )
    assert tender.status == TenderStatus.SUCCEEDED
    sql = [q["sql"] for q in ctx.captured_queries]
    # The lines are read once (the payment's description, then the completion), the payment row
    # the tender made is not read back, the tender is written once after its insert.
    assert sum('FROM "pos_saleline"' in q for q in sql) == 1
    assert sum(q.startswith("SELECT") and 'FROM "payments_payment"' in q for q in sql) == 0
    assert sum(q.startswith('UPDATE "pos_saletender"') for q in sql) == 1
    assert sum('FROM "studio_location"' in q for q in sql) == 0  # the client's home came with the sale
    # With the test's savepoints; it was 32 before the rows above were read once (issue #14).
    assert len(sql) <= 28
    with scope(studio=studio):
        assert Sale.objects.get(pk=frozen_sale.pk).status == "completed"
        assert SaleTender.objects.get(pk=tender.pk).payment_id == tender.payment_id is not None


def test_the_unlocked_tender_read_is_the_orms_row_and_locks_nothing(studio, location, a_client):
    sale = open_sale(studio, location=location, client=a_client)
    payment = tender_payment(sale, method="cash", amount=500)
    with scope(studio=studio):
        tender = SaleTender.objects.create(
            studio=studio,
            sale=sale,
            kind="cash",
            amount=500,
            token="u",
            payment=payment,
            created_by=sale.created_by,
        )
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
        found = tender_with_payment(studio=studio, tender_id=tender.pk)
        orm = SaleTender.objects.select_related("payment").get(pk=tender.pk)
        assert own_columns(found) == own_columns(orm) and own_columns(found.payment) == own_columns(
            orm.payment
        )
    assert not [q for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]


def test_the_permission_check_reads_the_actors_membership_in_this_studio_only(studio, other_studio, owner):
    from studio.models import StaffMember
    from studio.permissions import Perm
    from studio.services import Actor
    from tests.factories import StaffFactory

    member = StaffFactory(studio=studio)
    stranger = StaffFactory(studio=other_studio)
    with scope(studio=studio):
        orm = StaffMember.objects.select_related("role").filter(studio=studio, user=member.user).first()
        expected = orm.has_perm(Perm.USE_SAVED_PAYMENT_METHOD)
        assert (
            _has_perm(studio=studio, actor=Actor(user=member.user), perm=Perm.USE_SAVED_PAYMENT_METHOD)
            is expected
        )
        assert _has_perm(studio=studio, actor=Actor(user=member.user), perm="no-such-permission") is False
        assert _has_perm(studio=studio, actor=Actor(user=owner.user), perm=Perm.SELL_POS) is True
        # A member of another studio has no permission here, whatever their role there.
        assert _has_perm(studio=studio, actor=Actor(user=stranger.user), perm=Perm.SELL_POS) is False


def test_the_tip_setting_is_the_studios_own(studio, other_studio):
    from pos.models import PosSettings
    from pos.services.card_tenders import _tips_enabled

    with scopes_disabled():
        PosSettings.objects.update_or_create(studio=other_studio, defaults={"tips_enabled": True})
    with scope(studio=studio):
        assert _tips_enabled(studio) is False
    with scopes_disabled():
        PosSettings.objects.update_or_create(studio=studio, defaults={"tips_enabled": True})
    with scope(studio=studio):
        assert _tips_enabled(studio) is True


def test_the_stock_reads_of_a_freeze_are_the_orms(studio, other_studio, actor, laval, buyer, accounts):
    from pos.models import LineKind, StockMovement
    from pos.services.stock import _already_taken, _sale_product_quantities, stock_take_for_sale

    bottle = make_product(studio, name="Water bottle", price=2000, stock={laval: 9})
    towel = make_product(studio, name="Towel", price=1500, stock={laval: 9})
    gift = make_product(studio, name="Gift card", price=500)
    with scopes_disabled():
        type(gift).objects.filter(pk=gift.pk).update(track_stock=False)
    sale = new_sale(studio, actor, laval, client=buyer)
    for product, quantity in ((bottle, 2), (towel, 1), (gift, 1), (bottle, 3)):
        add_product(studio, actor, sale, product, quantity=quantity)
    theirs = open_sale(other_studio)
    with scope(studio=studio):
        expected: dict[int, int] = {}
        for line in sale.lines.filter(kind=LineKind.PRODUCT, product__isnull=False).select_related("product"):
            if line.product.track_stock:
                expected[line.product_id] = expected.get(line.product_id, 0) + line.quantity
        assert _sale_product_quantities(sale) == expected == {bottle.pk: 5, towel.pk: 1}
        assert _sale_product_quantities(Sale(pk=theirs.pk, studio_id=studio.pk)) == {}
        assert _already_taken(sale) is False
        with transaction.atomic():
            stock_take_for_sale(studio=studio, actor=actor, sale=sale)
        assert _already_taken(sale) is True
        assert StockMovement.objects.filter(sale=sale, reason=StockMovement.Reason.SALE).count() == 2
        with transaction.atomic():
            stock_take_for_sale(studio=studio, actor=actor, sale=sale)  # twice: nothing more taken
        assert StockMovement.objects.filter(sale=sale).count() == 2


def test_the_next_receipt_number_locks_the_studio_then_reads_its_own_highest(studio, other_studio, location):
    from django.db.models import Max

    from pos.services.fulfilment import _next_number

    open_sale(studio, location=location, number=7, status="completed")
    open_sale(studio, location=location, number=3, status="completed")
    open_sale(studio, location=location)  # not numbered yet
    open_sale(other_studio, number=40, status="completed")
    with scope(studio=studio):
        orm = Sale.objects.filter(studio=studio, number__isnull=False).aggregate(n=Max("number"))["n"]
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx, transaction.atomic():
        assert _next_number(studio) == orm + 1 == 8
    sql = [q["sql"] for q in ctx.captured_queries]
    locks = [q for q in sql if "FOR NO KEY UPDATE" in q]
    assert len(locks) == 1 and 'FROM "studio_studio"' in locks[0]
    # The highest number is read after the lock is taken, by its own statement.
    assert sql.index(locks[0]) < next(
        i for i, q in enumerate(sql) if 'FROM "pos_sale"' in q and "number" in q
    )
    with scope(studio=other_studio), transaction.atomic():
        assert _next_number(other_studio) == 41
    fresh = type(studio).objects.create(name="New studio", slug="new-studio-numbers")
    with scope(studio=fresh), transaction.atomic():
        assert _next_number(fresh) == 1
