"""The cart services (pos.services.cart): what each adds and what it costs, every refusal with its
sentence, discounts with their permission and audit, and another studio's objects refused."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.tests.factories import PlanFactory
from memberships.tests.penalty_helpers import failed_penalty
from payments.models import TaxRate
from pos.models import CashSession, LineKind, Sale, SaleLine, SaleStatus
from pos.services import cart
from pos.tests.factories import open_sale, sale_line, simple_product
from scheduling.models import SessionStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from studio.models import AuditLog
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")


def _noon_today() -> dt.datetime:
    """A fixed 'now' at noon where the studio is, so 'today's classes' never cross midnight."""
    return timezone.now().astimezone(ZONE).replace(hour=12, minute=0, second=0, microsecond=0)


NOW = _noon_today()


@pytest.fixture
def taxes(studio):
    kinds = ["product", "membership", "class_booking"]
    with scopes_disabled():
        TaxRate.objects.create(studio=studio, name="GST", rate=Decimal("5.000"), item_kinds=kinds, position=0)
        TaxRate.objects.create(studio=studio, name="QST", rate=Decimal("9.975"), item_kinds=kinds, position=1)


@pytest.fixture
def actor(owner):
    return Actor(user=owner.user)


@pytest.fixture
def sale(studio, location, a_client, taxes):
    return open_sale(studio, location=location, client=a_client)


@pytest.fixture
def walk_in(studio, location, taxes):
    return open_sale(studio, location=location)


@pytest.fixture
def bottle(studio):
    return simple_product(
        studio, name="Water bottle", price_amount=1000, sku="BTL-1", barcode="0123456789012"
    )


def _refused(call, code: str | None = None) -> str:
    """Run `call` in English; return the refusal's sentence (and check its code)."""
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    if code is not None:
        assert info.value.code == code, info.value
    return info.value.messages[0]


def _fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def _lines(sale) -> list[SaleLine]:
    with scopes_disabled():
        return list(SaleLine.objects.filter(sale=sale).order_by("position", "id"))


# --- opening a sale --------------------------------------------------------------------------------


def test_a_sale_opens_at_a_home_location_with_its_open_till_and_once_per_token(
    studio, location, actor, owner
):
    with scopes_disabled():
        till = CashSession.objects.create(
            studio=studio, location=location, currency="CAD", opening_float=10000, opened_by=owner.user
        )
    with scope(studio=studio):
        first = cart.sale_open(studio=studio, actor=actor, location=location, token="tok-1")
        again = cart.sale_open(studio=studio, actor=actor, location=location, token="tok-1")
    assert first.pk == again.pk
    assert (first.status, first.cash_session_id, first.currency, first.created_by_id) == (
        SaleStatus.OPEN,
        till.pk,
        "CAD",
        owner.user_id,
    )
    with scopes_disabled():
        assert Sale.objects.filter(studio=studio).count() == 1


def test_a_sale_without_an_open_till_has_none(studio, location, actor):
    with scope(studio=studio):
        assert cart.sale_open(studio=studio, actor=actor, location=location, token="t").cash_session is None


def test_a_sale_is_refused_elsewhere_than_a_home_location_of_the_studio(studio, other_studio, actor):
    outside = LocationFactory(studio=studio, is_home_location=False)
    with scopes_disabled():
        theirs = other_studio.locations.first() if hasattr(other_studio, "locations") else None
    theirs = theirs or LocationFactory(studio=other_studio)
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_open(studio=studio, actor=actor, location=outside, token="a"), "location"
        )
        assert sentence == "Sales are made at one of the studio's own locations."
        _refused(lambda: cart.sale_open(studio=studio, actor=actor, location=theirs, token="b"), "studio")
        _refused(lambda: cart.sale_open(studio=studio, actor=actor, location=outside, token=""), "token")
        _refused(lambda: cart.sale_open(studio=studio, actor=actor, location=outside, token="x\x00"), "token")
    with scopes_disabled():
        assert not Sale.objects.filter(studio=studio).exists()


# --- products ------------------------------------------------------------------------------------


def test_a_product_line_is_priced_with_its_taxes_and_the_sale_totals_are_saved(studio, sale, actor, bottle):
    with scope(studio=studio):
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle, quantity=2)
    assert (line.kind, line.quantity, line.unit_amount, line.tax_kind) == ("product", 2, 1000, "product")
    assert (line.line_subtotal, line.tax_total, line.line_total) == (2000, 300, 2300)  # 100 + 199.5 → 200
    assert [t["amount"] for t in line.tax_lines] == [100, 200]
    fresh = _fresh(sale)
    assert (fresh.subtotal, fresh.discount_total, fresh.tax_total, fresh.total) == (2000, 0, 300, 2300)
    assert [(t["name"], t["amount"]) for t in fresh.tax_lines] == [("GST", 100), ("QST", 200)]
    assert sale.total == 2300  # the caller's instance follows


def test_the_same_product_twice_adds_to_its_line(studio, sale, actor, bottle):
    with scope(studio=studio):
        cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle, quantity=3)
    assert line.quantity == 4
    assert len(_lines(sale)) == 1
    assert _fresh(sale).subtotal == 4000


def test_a_new_line_is_written_once_with_its_totals(studio, sale, actor, bottle):
    """One INSERT carrying the line's priced totals, no UPDATE of the row just inserted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if '"pos_saleline"' in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "pos_saleline"'), writes
    stored = _lines(sale)[0]
    assert stored.pk == line.pk and (stored.line_subtotal, stored.tax_total) == (1000, 150)
    assert stored.line_total == 1150 and _fresh(sale).total == 1150


@pytest.mark.parametrize("quantity", [0, -1, 100, True, "2"])
def test_a_quantity_outside_1_to_99_is_refused(studio, sale, actor, bottle, quantity):
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_add_product(
                studio=studio, actor=actor, sale=sale, product=bottle, quantity=quantity
            ),
            "quantity",
        )
    assert sentence == "Enter a quantity from 1 to 99."
    assert _lines(sale) == []


def test_adding_past_99_of_a_product_is_refused(studio, sale, actor, bottle):
    with scope(studio=studio):
        cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle, quantity=99)
        _refused(
            lambda: cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle), "quantity"
        )
    assert _lines(sale)[0].quantity == 99


def test_more_units_than_the_location_holds_are_refused_at_the_cart(studio, sale, actor, location):
    """What the shelf holds is checked when a unit goes in (by an add, a scan or a quantity); the
    stock itself is taken when the cart freezes (`stock_take_for_sale`, under its lock)."""
    from pos.tests.factories import product

    socks = product(studio, name="Grip socks", barcode="0628110000031", stock={location: 2})
    elsewhere = product(studio, name="Mat", stock={LocationFactory(studio=studio): 5})
    with scope(studio=studio):
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=socks, quantity=2)
        sentence = _refused(
            lambda: cart.sale_add_by_code(studio=studio, actor=actor, sale=sale, code="0628110000031"),
            "out_of_stock",
        )
        assert sentence == "Only 2 “Grip socks” left here."
        _refused(
            lambda: cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=3),
            "out_of_stock",
        )
        cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=1)
        # None on this location's shelf (its stock is at another location): none to sell here.
        sentence = _refused(
            lambda: cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=elsewhere),
            "out_of_stock",
        )
        assert sentence == "“Mat” is out of stock here."
    assert [row.quantity for row in _lines(sale)] == [1]
    assert _fresh(sale).subtotal == socks.price_amount


def test_an_archived_product_is_refused(studio, sale, actor, bottle):
    with scopes_disabled():
        bottle.archived_at = timezone.now()
        bottle.save()
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle), "archived"
        )
    assert sentence == "“Water bottle” is archived and no longer sold."


def test_a_sale_that_is_not_open_refuses_every_change(studio, sale, actor, bottle):
    line = sale_line(sale, product=bottle, unit_amount=1000)
    with scopes_disabled():
        Sale.objects.filter(pk=sale.pk).update(status=SaleStatus.TENDERING)
    calls = [
        lambda: cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle),
        lambda: cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=2),
        lambda: cart.sale_line_remove(studio=studio, actor=actor, line=line),
        lambda: cart.sale_discount(
            studio=studio, actor=actor, sale=sale, kind="percent", percent=Decimal(10)
        ),
        lambda: cart.sale_set_client(studio=studio, actor=actor, sale=sale, client=None),
        lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=500),
    ]
    with scope(studio=studio):
        for call in calls:
            sentence = _refused(call, "not_open")
        assert sentence == "This sale is no longer open: its payment has started, so its cart cannot change."
        _refused(lambda: cart.sale_reprice(sale=_fresh(sale)), "not_open")
    assert [(line.quantity, line.kind) for line in _lines(sale)] == [(1, "product")]


def test_a_product_is_found_by_its_barcode_or_sku_exactly(studio, sale, actor, bottle):
    with scope(studio=studio):
        by_barcode = cart.sale_add_by_code(studio=studio, actor=actor, sale=sale, code=" 0123456789012 ")
        by_sku = cart.sale_add_by_code(studio=studio, actor=actor, sale=sale, code="BTL-1")
        assert cart.sale_add_by_code(studio=studio, actor=actor, sale=sale, code="BTL") is None
        assert cart.sale_add_by_code(studio=studio, actor=actor, sale=sale, code="x\x00") is None
    assert by_barcode.pk == by_sku.pk and by_sku.quantity == 2


# --- plans ---------------------------------------------------------------------------------------


def test_a_plan_is_priced_as_its_first_charge_and_taxed_as_its_kind(studio, sale, actor):
    plan = PlanFactory(studio=studio, name="Unlimited", price_amount=9900, signup_fee_amount=2500)
    with scope(studio=studio):
        line = cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=plan)
    assert (line.kind, line.plan_id, line.unit_amount, line.tax_kind, line.quantity) == (
        "plan",
        plan.pk,
        12400,
        "membership",
        1,
    )
    assert line.tax_total == 620 + 1237  # 1236.9 → 1237
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=plan), "duplicate"
        )
        assert sentence == "This plan is already in the cart."
        _refused(
            lambda: cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=2), "quantity"
        )


def test_a_plan_not_sold_at_the_sales_location_is_refused(studio, sale, actor):
    elsewhere = LocationFactory(studio=studio, name="Laval")
    plan = PlanFactory(studio=studio, name="Laval only", sold_everywhere=False)
    with scopes_disabled():
        plan.location_links.create(studio=studio, location=elsewhere)
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=plan), "location"
        )
    assert sentence == "“Laval only” is not sold at Plateau."


def test_an_archived_plan_and_a_plan_without_a_client_are_refused(studio, sale, walk_in, actor):
    plan = PlanFactory(studio=studio)
    gone = PlanFactory(studio=studio, archived_at=timezone.now())
    with scope(studio=studio):
        assert (
            _refused(lambda: cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=gone), "archived")
            == "This plan is archived and no longer sold."
        )
        assert (
            _refused(
                lambda: cart.sale_add_plan(studio=studio, actor=actor, sale=walk_in, plan=plan),
                "client_required",
            )
            == "Choose the client first: a membership, pack or pass is sold to someone."
        )


# --- drop-ins ------------------------------------------------------------------------------------


def _class_today(studio, location, *, at_hour=18, price=2000, **kw):
    template = ClassTemplateFactory(studio=studio, name=kw.pop("name", "Hatha"), drop_in_price=price)
    starts = NOW.replace(hour=at_hour)
    return ClassSessionFactory(
        template=template, location=location, starts_at=starts, ends_at=starts + dt.timedelta(hours=1), **kw
    )


def test_a_drop_in_for_todays_class_is_priced_at_its_drop_in_price_as_a_class_booking(
    studio, sale, actor, location
):
    session = _class_today(studio, location)
    with scope(studio=studio):
        line = cart.sale_add_drop_in(studio=studio, actor=actor, sale=sale, session=session, now=NOW)
    assert (line.kind, line.session_id, line.unit_amount, line.tax_kind) == (
        "drop_in",
        session.pk,
        2000,
        "class_booking",
    )
    assert line.line_total == 2000 + 100 + 200
    assert line.description == "Hatha · 18:00"


def test_drop_ins_refused_with_their_reasons(studio, sale, walk_in, actor, location, a_client):
    elsewhere = LocationFactory(studio=studio, name="Laval")
    cases = [
        (_class_today(studio, elsewhere, name="Elsewhere"), "location", "This class is not at Plateau."),
        (
            ClassSessionFactory(
                template=ClassTemplateFactory(studio=studio, drop_in_price=2000),
                location=location,
                starts_at=NOW + dt.timedelta(days=1),
                ends_at=NOW + dt.timedelta(days=1, hours=1),
            ),
            "not_today",
            "Drop-ins are sold for today's classes only.",
        ),
        (_class_today(studio, location, at_hour=9, name="Morning"), "over", "This class is over."),
        (
            _class_today(studio, location, name="Cancelled", status=SessionStatus.CANCELLED),
            "cancelled",
            "This class is cancelled.",
        ),
        (_class_today(studio, location, name="Free", price=0), "free", None),
        (_class_today(studio, location, name="Tiny", capacity=1), "full", "This class is full."),
    ]
    BookingFactory(session=cases[-1][0], client=ClientFactory(studio=studio))
    booked = _class_today(studio, location, name="Booked")
    BookingFactory(session=booked, client=a_client)
    cases.append((booked, "booked", f"{a_client.first_name} is already booked in this class."))
    with scope(studio=studio):
        for session, code, sentence in cases:
            said = _refused(
                lambda s=session: cart.sale_add_drop_in(
                    studio=studio, actor=actor, sale=sale, session=s, now=NOW
                ),
                code,
            )
            if sentence:
                assert said == sentence
        ok = _class_today(studio, location, name="Fine")
        assert (
            _refused(
                lambda: cart.sale_add_drop_in(studio=studio, actor=actor, sale=walk_in, session=ok, now=NOW),
                "client_required",
            )
            == "Choose the client first: a drop-in books someone into the class."
        )
        cart.sale_add_drop_in(studio=studio, actor=actor, sale=sale, session=ok, now=NOW)
        _refused(
            lambda: cart.sale_add_drop_in(studio=studio, actor=actor, sale=sale, session=ok, now=NOW),
            "duplicate",
        )
    assert [line.session_id for line in _lines(sale)] == [ok.pk]


# --- amounts owed, credit top-ups ------------------------------------------------------------------


def test_an_amount_owed_is_collected_at_its_amount_without_tax(studio, sale, actor, a_client, bottle):
    penalty = failed_penalty(a_client, amount=1500)
    with scope(studio=studio):
        line = cart.sale_add_owed(
            studio=studio, actor=actor, sale=sale, owed_kind="penalty", owed_id=penalty.pk
        )
        cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
        # The cart's discount leaves what is owed whole.
        cart.sale_discount(studio=studio, actor=actor, sale=sale, kind="percent", percent=Decimal(50))
        sentence = _refused(
            lambda: cart.sale_add_owed(
                studio=studio, actor=actor, sale=sale, owed_kind="penalty", owed_id=penalty.pk
            ),
            "duplicate",
        )
        assert sentence == "This amount owed is already in the cart."
    line = _fresh(line)
    assert (line.kind, line.owed_kind, line.owed_id, line.unit_amount, line.tax_total, line.line_total) == (
        "owed",
        "penalty",
        penalty.pk,
        1500,
        0,
        1500,
    )
    assert _fresh(sale).total == 1500 + 500 + 25 + 50  # QST 49.875 → 50


def test_what_the_client_does_not_owe_is_refused(studio, sale, actor, other_studio):
    stranger = ClientFactory(studio=studio, first_name="Noé")
    theirs = failed_penalty(stranger, amount=1500)
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_add_owed(
                studio=studio, actor=actor, sale=sale, owed_kind="penalty", owed_id=theirs.pk
            ),
            "not_owed",
        )
        _refused(
            lambda: cart.sale_add_owed(
                studio=studio, actor=actor, sale=sale, owed_kind="renewal", owed_id=theirs.pk
            ),
            "not_owed",
        )
    assert sentence == f"{sale.client.first_name} does not owe this (or it was paid meanwhile)."


def test_a_credit_top_up_needs_a_client_and_a_positive_amount(studio, sale, walk_in, actor):
    with scope(studio=studio):
        assert (
            _refused(
                lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=walk_in, amount=5000),
                "client_required",
            )
            == "Choose the client first: studio credit goes on a client's account."
        )
        assert (
            _refused(
                lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=-100),
                "negative",
            )
            == "An amount cannot be negative."
        )
        _refused(
            lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=0), "amount"
        )
        _refused(
            lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=10.5), "amount"
        )
        line = cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=5000)
    assert (line.kind, line.tax_total, line.line_total, line.quantity) == ("credit_topup", 0, 5000, 1)


# --- quantities, removing lines ----------------------------------------------------------------------


def test_setting_a_quantity_reprices(studio, sale, actor, bottle):
    with scope(studio=studio):
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
        line = cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=3)
        _refused(
            lambda: cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=100),
            "quantity",
        )
    assert (line.quantity, line.line_subtotal) == (3, 3000)
    assert _fresh(sale).total == 3000 + 150 + 299  # QST 299.25 → 299


def test_removing_a_line_reprices_and_is_audited(studio, sale, actor, bottle):
    with scope(studio=studio):
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
        cart.sale_line_remove(studio=studio, actor=actor, line=line)
        _refused(lambda: cart.sale_line_remove(studio=studio, actor=actor, line=line), "line")
    assert _lines(sale) == []
    assert (_fresh(sale).subtotal, _fresh(sale).total) == (0, 0)
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="pos_sale.line_removed")
    assert entry.actor_id == actor.user.pk
    assert entry.changes == {"line_description": "Water bottle", "quantity": 1, "line_total": 1150}


# --- discounts -------------------------------------------------------------------------------------


def test_a_line_discount_needs_the_permission(studio, sale, bottle, staff_factory):
    line = sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product")
    desk = staff_factory("front_desk")
    with scope(studio=studio), pytest.raises(PermissionDenied):
        cart.sale_line_discount(
            studio=studio, actor=Actor(user=desk.user), line=line, kind="percent", percent=Decimal(10)
        )
    with scope(studio=studio), pytest.raises(PermissionDenied):
        cart.sale_discount(studio=studio, actor=Actor(user=desk.user), sale=sale, kind="amount", amount=100)
    assert _fresh(line).discount_kind == ""
    assert _fresh(sale).discount_total == 0


def test_a_manager_discounts_a_line_and_the_audit_says_who_how_much_on_what(
    studio, sale, bottle, staff_factory
):
    manager = staff_factory("manager")
    line = sale_line(
        sale, product=bottle, unit_amount=1000, quantity=2, tax_kind="product", description="Bottle"
    )
    with scope(studio=studio):
        line = cart.sale_line_discount(
            studio=studio, actor=Actor(user=manager.user), line=line, kind="percent", percent=Decimal("12.5")
        )
    assert (line.line_discount, line.line_subtotal) == (250, 2000)
    assert _fresh(sale).total == 1750 + 88 + 175  # 87.5 → 88; 174.56 → 175
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="pos_sale.line_discounted")
    assert entry.actor_id == manager.user_id and entry.object_id == str(sale.pk)
    assert entry.changes == {
        "line_description": "Bottle",
        "discount_kind": "percent",
        "discount_amount": 0,
        "discount_percent": "12.5",
        "discount_given": 250,
    }


def test_discounts_above_the_line_or_the_cart_and_negative_ones_are_refused(
    studio, sale, actor, bottle, a_client
):
    line = sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product")
    penalty = failed_penalty(a_client, amount=1500)
    with scope(studio=studio):
        owed = cart.sale_add_owed(
            studio=studio, actor=actor, sale=sale, owed_kind="penalty", owed_id=penalty.pk
        )
        assert (
            _refused(
                lambda: cart.sale_line_discount(
                    studio=studio, actor=actor, line=line, kind="amount", amount=1001
                ),
                "too_much",
            )
            == "A discount cannot be more than the line it is on."
        )
        assert (
            _refused(
                lambda: cart.sale_discount(studio=studio, actor=actor, sale=sale, kind="amount", amount=1001),
                "too_much",
            )
            == "A discount cannot be more than the cart it is on."
        )
        _refused(
            lambda: cart.sale_line_discount(studio=studio, actor=actor, line=line, kind="amount", amount=-5),
            "negative",
        )
        _refused(
            lambda: cart.sale_line_discount(
                studio=studio, actor=actor, line=line, kind="percent", percent=Decimal(-5)
            ),
            "negative",
        )
        _refused(
            lambda: cart.sale_line_discount(
                studio=studio, actor=actor, line=line, kind="percent", percent=Decimal(101)
            ),
            "percent",
        )
        _refused(
            lambda: cart.sale_line_discount(studio=studio, actor=actor, line=line, kind="bogus"),
            "discount_kind",
        )
        _refused(
            lambda: cart.sale_line_discount(studio=studio, actor=actor, line=owed, kind="amount", amount=100),
            "not_discountable",
        )
    assert _fresh(sale).discount_total == 0
    with scopes_disabled():
        assert (
            not AuditLog.objects.filter(studio=studio, action__startswith="pos_sale.")
            .exclude(action="pos_sale.line_removed")
            .exists()
        )


def test_a_cart_discount_is_spread_over_the_lines_and_audited(studio, sale, actor, bottle):
    sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product")
    sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product")
    sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product")
    with scope(studio=studio):
        cart.sale_discount(studio=studio, actor=actor, sale=sale, kind="amount", amount=100)
    assert [line.line_discount for line in _lines(sale)] == [34, 33, 33]
    fresh = _fresh(sale)
    assert (fresh.discount_kind, fresh.discount_amount, fresh.discount_total, fresh.total) == (
        "amount",
        100,
        100,
        3332,
    )
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="pos_sale.discounted")
    assert entry.changes["discount_given"] == 100
    with scope(studio=studio):
        cart.sale_discount(studio=studio, actor=actor, sale=sale, kind="")
    assert _fresh(sale).discount_total == 0


def test_a_line_amount_off_follows_a_smaller_quantity(studio, sale, actor, bottle):
    with scope(studio=studio):
        line = cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle, quantity=3)
        cart.sale_line_discount(studio=studio, actor=actor, line=line, kind="amount", amount=2500)
        line = cart.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=2)
    assert (line.discount_amount, line.line_discount, line.line_total) == (2000, 2000, 0)


# --- the client ----------------------------------------------------------------------------------


def test_removing_the_client_removes_the_lines_that_need_one_and_says_so(
    studio, sale, actor, bottle, location
):
    plan = PlanFactory(studio=studio, name="10-class pack", pack=True)
    with scope(studio=studio):
        cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
        cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=plan)
        with translation.override("en"):
            cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=2000)
            change = cart.sale_set_client(studio=studio, actor=actor, sale=sale, client=None)
            message = change.message
    assert change.removed == ("10-class pack", "Studio credit")
    assert message == "Removed from the cart, since they were for the client: 10-class pack, Studio credit."
    assert [line.kind for line in _lines(sale)] == [LineKind.PRODUCT]
    assert (_fresh(sale).client_id, _fresh(sale).total, sale.total) == (None, 1150, 1150)


def test_another_client_drops_what_the_first_one_owed(studio, sale, actor, a_client):
    penalty = failed_penalty(a_client, amount=1500)
    other = ClientFactory(studio=studio)
    with scope(studio=studio):
        cart.sale_add_owed(studio=studio, actor=actor, sale=sale, owed_kind="penalty", owed_id=penalty.pk)
        cart.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=2000)
        change = cart.sale_set_client(studio=studio, actor=actor, sale=sale, client=other)
    assert len(change.removed) == 1
    assert [line.kind for line in _lines(sale)] == [LineKind.CREDIT_TOPUP]
    assert _fresh(sale).client_id == other.pk


def test_an_archived_client_is_refused(studio, walk_in, actor):
    gone = ClientFactory(studio=studio, archived_at=timezone.now())
    with scope(studio=studio):
        sentence = _refused(
            lambda: cart.sale_set_client(studio=studio, actor=actor, sale=walk_in, client=gone), "client"
        )
    assert sentence == "This client is archived: restore them before selling."


# --- another studio's objects ----------------------------------------------------------------------


def test_another_studios_product_plan_class_client_and_line_are_refused(studio, other_studio, sale, actor):
    their_location = LocationFactory(studio=other_studio)
    their_product = simple_product(other_studio, name="Theirs")
    their_plan = PlanFactory(studio=other_studio)
    their_session = _class_today(other_studio, their_location)
    their_client = ClientFactory(studio=other_studio)
    their_sale = open_sale(other_studio, location=their_location, client=their_client)
    their_line = sale_line(their_sale, unit_amount=1000)
    calls = [
        lambda: cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=their_product),
        lambda: cart.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=their_plan),
        lambda: cart.sale_add_drop_in(studio=studio, actor=actor, sale=sale, session=their_session, now=NOW),
        lambda: cart.sale_set_client(studio=studio, actor=actor, sale=sale, client=their_client),
        lambda: cart.sale_line_remove(studio=studio, actor=actor, line=their_line),
        lambda: cart.sale_line_set_quantity(studio=studio, actor=actor, line=their_line, quantity=2),
        lambda: cart.sale_add_credit_topup(studio=studio, actor=actor, sale=their_sale, amount=100),
    ]
    with scope(studio=studio):
        for call in calls:
            _refused(call, "studio")
    assert _lines(sale) == []
    assert [(line.quantity, line.pk) for line in _lines(their_sale)] == [(1, their_line.pk)]
    assert _fresh(sale).client_id == sale.client_id


# --- query budgets ---------------------------------------------------------------------------------


def test_a_cart_change_costs_the_same_with_1_and_30_lines(studio, sale, actor, bottle):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = simple_product(studio, name="Towel")

    def change(percent: int) -> int:
        # A new percentage each time: a discount set again to what it was writes no line (nothing
        # moved), and the two counts must compare the same work.
        with CaptureQueriesContext(connection) as ctx:
            cart.sale_add_product(studio=studio, actor=actor, sale=sale, product=bottle)
            cart.sale_discount(
                studio=studio, actor=actor, sale=sale, kind="percent", percent=Decimal(percent)
            )
        return len(ctx.captured_queries)

    sale_line(sale, product=other, unit_amount=500, tax_kind="product")
    sale_line(sale, kind="product", product=bottle, unit_amount=1000, tax_kind="product")
    with scope(studio=studio):
        one = change(5)
        for _ in range(29):
            sale_line(sale, product=other, unit_amount=500, tax_kind="product", reprice=False)
        thirty = change(6)
    assert one == thirty
    assert len(_lines(sale)) == 31


def test_a_discount_reads_in_words_in_the_audit_log(studio, sale, actor, bottle):
    from studio.registries import audit

    line = sale_line(sale, product=bottle, unit_amount=1000, tax_kind="product", description="Bottle")
    with scope(studio=studio):
        cart.sale_line_discount(studio=studio, actor=actor, line=line, kind="amount", amount=250)
        entry = AuditLog.objects.get(studio=studio, action="pos_sale.line_discounted")
        with translation.override("en"):
            sentence = audit.action_sentence(entry.action)
            details = dict(audit.detail_lines(entry, studio=studio))
    assert sentence == "Discount on a line of a sale"
    assert details["Line"] == "Bottle"
    assert details["Discount"] == "Amount off"
    assert details["Discount given"] == "$2.50"
