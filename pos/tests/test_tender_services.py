"""Tenders and the sale's life cycle (tender): split tenders to the cent and change due, the
refusals (over the balance, over the credit), routing of card tenders to the selling location's
account, saved cards on the sale's account only and only with the permission, completion exactly
once with what was bought made, and voiding that gives everything back."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import CreditEntry, Payment, Refund
from payments.services.credit import credit_balance, credit_grant
from payments.tests.test_saved_methods import save_card
from pos.models import ProductStock, Sale, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.services import checkout
from pos.tests.tender_fixtures import *  # noqa: F403 - fixtures
from pos.tests.tender_fixtures import add_product, make_product, new_sale, token
from studio.models import AuditLog
from studio.services import SYSTEM, Actor
from tests.factories import ClientFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _stock(studio, product, location):
    with scopes_disabled():
        return ProductStock.objects.get(product=product, location=location).quantity


def _reload(studio, obj):
    with scope(studio=studio):
        obj.refresh_from_db()
    return obj


@pytest.fixture
def bottle(studio, location, laval):
    return make_product(studio, name="Water bottle", price=2000, stock={location: 5, laval: 5})


@pytest.fixture
def laval_sale(studio, actor, laval, buyer, bottle, accounts):
    sale = new_sale(studio, actor, laval, client=buyer)
    return add_product(studio, actor, sale, bottle, quantity=3)  # 60.00, no taxes configured


def test_split_cash_credit_and_saved_card_pay_to_the_cent_then_the_sale_completes_once(
    sandbox, studio, actor, laval_sale, buyer, bottle, laval, accounts, other_studio
):
    card = save_card(sandbox, studio, buyer)  # on Laval's account: the client's home location's
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=buyer, amount=1001, note="gift")
        cash = checkout.tender_cash(
            studio=studio, actor=actor, sale=laval_sale, amount=2000, cash_received=5000, token=token()
        )
        assert (cash.status, cash.change_due) == (TenderStatus.SUCCEEDED, 3000)
        assert _stock(studio, bottle, laval) == 2  # the first tender froze the cart and took the stock
        assert Sale.objects.get(pk=laval_sale.pk).status == SaleStatus.TENDERING
        credit = checkout.tender_credit(
            studio=studio, actor=actor, sale=laval_sale, amount=1001, token=token()
        )
        assert credit.status == TenderStatus.SUCCEEDED and credit_balance(client=buyer) == 0
        assert checkout.sale_balance(sale=Sale.objects.get(pk=laval_sale.pk)) == 2999
        rest = checkout.tender_saved_card(
            studio=studio, actor=actor, sale=laval_sale, amount=2999, saved_method=card, token=token()
        )
        assert rest.status == TenderStatus.SUCCEEDED
        sale = Sale.objects.get(pk=laval_sale.pk)
        assert sale.status == SaleStatus.COMPLETED and sale.number == 1
        assert checkout.sale_balance(sale=sale) == 0
        payments = [t.payment for t in SaleTender.objects.filter(sale=sale).select_related("payment")]
        assert sum(p.amount for p in payments) == sale.total == 6000
        # Every tender, card or not, routed by PAY-3 rule 1 to Laval's account.
        assert {p.account_id for p in payments} == {accounts["laval"].pk}
        assert {p.routing_rule for p in payments} == {"pos_location"}
        assert rest.payment.idempotency_key == f"pos_tender:{rest.pk}"
        # The card's brand and last 4 come back with the charge: the receipt names the card.
        rest.payment.refresh_from_db()
        assert (rest.payment.card_brand, rest.payment.card_last4) == ("visa", "4242")
        assert (rest.payment.source_type, rest.payment.source_id) == ("pos_tender", str(rest.pk))
        # A second settle (the outcome hook arriving after) changes nothing: completed once.
        checkout.tender_settle(tender_id=rest.pk)
        assert Sale.objects.get(pk=sale.pk).number == 1
        assert AuditLog.objects.filter(action="pos.sale_completed", object_id=str(sale.pk)).count() == 1
    assert len(sandbox.objects("payment_intent", account=accounts["laval"].stripe_account_id)) == 1
    assert sandbox.objects("payment_intent", account=accounts["plateau"].stripe_account_id) == []


def test_cash_over_the_balance_or_short_of_the_amount_is_refused(studio, actor, laval_sale):
    with scope(studio=studio), translation.override("en"):
        with pytest.raises(ValidationError, match="At most"):
            checkout.tender_cash(
                studio=studio, actor=actor, sale=laval_sale, amount=6001, cash_received=10000, token=token()
            )
        with pytest.raises(ValidationError, match="at least"):
            checkout.tender_cash(
                studio=studio, actor=actor, sale=laval_sale, amount=2000, cash_received=1999, token=token()
            )
        assert not SaleTender.objects.filter(sale=laval_sale).exists()
        # The refused over-balance tender froze nothing either: one transaction.
        assert Sale.objects.get(pk=laval_sale.pk).status == SaleStatus.OPEN


def test_credit_above_the_balance_or_the_credit_is_refused(studio, actor, laval_sale, buyer):
    with scope(studio=studio), translation.override("en"):
        credit_grant(studio=studio, actor=SYSTEM, client=buyer, amount=10000, note="gift")
        with pytest.raises(ValidationError, match="At most"):
            checkout.tender_credit(studio=studio, actor=actor, sale=laval_sale, amount=6001, token=token())
        CreditEntry.objects.filter(client=buyer).delete()
        credit_grant(studio=studio, actor=SYSTEM, client=buyer, amount=500, note="gift")
        with pytest.raises(ValidationError, match="Only"):
            checkout.tender_credit(studio=studio, actor=actor, sale=laval_sale, amount=501, token=token())
        assert credit_balance(client=buyer) == 500
        assert not SaleTender.objects.filter(sale=laval_sale).exists()


def test_the_same_token_makes_one_tender(studio, actor, laval_sale):
    same = token()
    with scope(studio=studio):
        first = checkout.tender_cash(
            studio=studio, actor=actor, sale=laval_sale, amount=1000, cash_received=1000, token=same
        )
        again = checkout.tender_cash(
            studio=studio, actor=actor, sale=laval_sale, amount=1000, cash_received=1000, token=same
        )
        assert first.pk == again.pk and SaleTender.objects.filter(sale=laval_sale).count() == 1
        assert Payment.objects.filter(source_type="pos_tender").count() == 1


def test_saved_cards_only_on_the_sales_account_and_only_with_the_permission(
    sandbox, studio, actor, buyer, location, bottle, accounts
):
    card = save_card(sandbox, studio, buyer)  # Laval's account
    plateau_sale = add_product(studio, actor, new_sale(studio, actor, location, client=buyer), bottle)
    with scope(studio=studio), translation.override("en"):
        assert checkout.saved_cards_for_sale(sale=plateau_sale) == []
        with pytest.raises(ValidationError, match="another location"):
            checkout.tender_saved_card(
                studio=studio, actor=actor, sale=plateau_sale, amount=2000, saved_method=card, token=token()
            )
        desk = StaffFactory(studio=studio, kind="front_desk")
        desk.role.permissions = [p for p in desk.role.permissions if p != "use_saved_payment_method"]
        desk.role.save()
        with pytest.raises(PermissionDenied):
            checkout.tender_saved_card(
                studio=studio,
                actor=Actor(user=desk.user),
                sale=plateau_sale,
                amount=2000,
                saved_method=card,
                token=token(),
            )
    assert sandbox.objects("payment_intent", account=accounts["plateau"].stripe_account_id) == []


def test_void_refunds_every_tender_and_gives_the_stock_back(
    sandbox, studio, actor, laval_sale, buyer, bottle, laval, accounts
):
    card = save_card(sandbox, studio, buyer)
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=buyer, amount=1000, note="gift")
        checkout.tender_cash(
            studio=studio, actor=actor, sale=laval_sale, amount=2000, cash_received=2000, token=token()
        )
        checkout.tender_credit(studio=studio, actor=actor, sale=laval_sale, amount=1000, token=token())
        checkout.tender_saved_card(
            studio=studio, actor=actor, sale=laval_sale, amount=1500, saved_method=card, token=token()
        )
        assert _stock(studio, bottle, laval) == 2
        sale = checkout.sale_void(studio=studio, actor=actor, sale=laval_sale, reason="changed her mind")
        assert sale.status == SaleStatus.VOIDED and sale.number is None
        assert _stock(studio, bottle, laval) == 5
        assert credit_balance(client=buyer) == 1000  # the credit went back to credit
        refunds = Refund.objects.filter(payment__source_type="pos_tender")
        assert sorted(r.amount for r in refunds) == [1000, 1500, 2000]
        assert {r.status for r in refunds} == {Refund.Status.SUCCEEDED}
        # Voiding again gives nothing more back.
        checkout.sale_void(studio=studio, actor=actor, sale=laval_sale)
        assert Refund.objects.filter(payment__source_type="pos_tender").count() == 3
        with pytest.raises(ValidationError):
            checkout.tender_cash(
                studio=studio, actor=actor, sale=laval_sale, amount=100, cash_received=100, token=token()
            )
    [stripe_refund] = sandbox.objects("refund", account=accounts["laval"].stripe_account_id)
    assert stripe_refund["amount"] == 1500


def test_a_completed_sale_cannot_be_voided(studio, actor, laval_sale):
    with scope(studio=studio), translation.override("en"):
        checkout.tender_cash(
            studio=studio, actor=actor, sale=laval_sale, amount=6000, cash_received=6000, token=token()
        )
        with pytest.raises(ValidationError, match="return"):
            checkout.sale_void(studio=studio, actor=actor, sale=laval_sale)
        assert Sale.objects.get(pk=laval_sale.pk).status == SaleStatus.COMPLETED


def test_numbers_follow_each_other_per_studio(studio, actor, laval, bottle, buyer, accounts):
    numbers = []
    for _ in range(3):
        sale = add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), bottle)
        with scope(studio=studio):
            checkout.tender_cash(
                studio=studio, actor=actor, sale=sale, amount=2000, cash_received=2000, token=token()
            )
        numbers.append(_reload(studio, sale).number)
    assert numbers == [1, 2, 3]


def test_a_walk_in_pays_cash_without_a_client(studio, actor, laval, bottle, accounts):
    sale = add_product(studio, actor, new_sale(studio, actor, laval), bottle)
    with scope(studio=studio):
        tender = checkout.tender_cash(
            studio=studio, actor=actor, sale=sale, amount=2000, cash_received=2500, token=token()
        )
        assert tender.change_due == 500 and tender.payment.client_id is None
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED
    with scope(studio=studio), translation.override("en"), pytest.raises(ValidationError, match="client"):
        other = add_product(studio, actor, new_sale(studio, actor, laval), bottle)
        checkout.tender_credit(studio=studio, actor=actor, sale=other, amount=100, token=token())


def test_out_of_stock_freezes_nothing(studio, actor, laval, buyer, accounts):
    scarce = make_product(studio, name="Mat", price=5000, stock={laval: 1})
    sale = add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), scarce, quantity=2)
    with scope(studio=studio), pytest.raises(ValidationError):
        checkout.tender_cash(
            studio=studio, actor=actor, sale=sale, amount=100, cash_received=100, token=token()
        )
    assert _reload(studio, sale).status == SaleStatus.OPEN and _stock(studio, scarce, laval) == 1


def test_another_clients_saved_card_is_refused(sandbox, studio, actor, laval_sale, laval, accounts):
    someone = ClientFactory(studio=studio, first_name="Other", last_name="Person", home_location=laval)
    card = save_card(sandbox, studio, someone)
    with scope(studio=studio), pytest.raises(ValidationError):
        checkout.tender_saved_card(
            studio=studio, actor=actor, sale=laval_sale, amount=1000, saved_method=card, token=token()
        )
    with scopes_disabled():
        assert not SaleTender.objects.filter(kind=TenderKind.SAVED_CARD).exists()


def test_the_sweep_voids_abandoned_sales_and_deletes_stale_carts(
    studio, actor, laval, buyer, bottle, accounts
):
    from datetime import timedelta

    from django.utils import timezone

    from pos.tasks.sales import void_abandoned_sales

    abandoned = add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), bottle)
    recent = add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), bottle)
    stale_cart = add_product(studio, actor, new_sale(studio, actor, laval), bottle)
    fresh_cart = new_sale(studio, actor, laval)
    with scope(studio=studio):
        for sale in (abandoned, recent):
            checkout.tender_cash(
                studio=studio, actor=actor, sale=sale, amount=500, cash_received=500, token=token()
            )
    long_ago = timezone.now() - timedelta(hours=13)
    with scopes_disabled():
        Sale.objects.filter(pk=abandoned.pk).update(locked_at=long_ago)
        Sale.objects.filter(pk=stale_cart.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert void_abandoned_sales(studio.pk) == {"voided": 1, "deleted": 1}
    with scopes_disabled():
        assert Sale.objects.get(pk=abandoned.pk).status == SaleStatus.VOIDED
        assert Sale.objects.get(pk=recent.pk).status == SaleStatus.TENDERING
        assert not Sale.objects.filter(pk=stale_cart.pk).exists()
        assert Sale.objects.filter(pk=fresh_cart.pk).exists()
        [refund] = Refund.objects.filter(payment__source_type="pos_tender")
        assert refund.amount == 500 and refund.payment_id == abandoned.tenders.get().payment_id
        assert (
            ProductStock.objects.get(product=bottle, location=laval).quantity == 4
        )  # one still held by `recent`


def test_a_cash_tender_reads_the_sales_tenders_once_and_never_the_studio_or_the_frozen_sale_again(
    studio, actor, laval_sale, accounts
):
    """Issue 14's speed goal, charge side: under the sale's lock its tenders are read once (this
    token's, the one in flight, what is paid), the studio is the caller's, the row frozen and
    repriced in place is not read back, and the cash tender just made is settled without reading
    it again (nor the paid total). Split in two cash tenders: the second completes the sale."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def reads(sql: list[str], table: str) -> int:
        return len([s for s in sql if s.startswith("SELECT") and f'FROM "{table}"' in s])

    with scope(studio=studio):
        with CaptureQueriesContext(connection) as locking:
            checkout.sale_lock(studio=studio, actor=actor, sale=laval_sale)
        with CaptureQueriesContext(connection) as first:
            part = checkout.tender_cash(
                studio=studio, actor=actor, sale=laval_sale, amount=2500, cash_received=2500, token=token()
            )
        with CaptureQueriesContext(connection) as last:
            rest = checkout.tender_cash(
                studio=studio, actor=actor, sale=laval_sale, amount=3500, cash_received=4000, token=token()
            )
        sale = Sale.objects.get(pk=laval_sale.pk)
    assert (part.status, rest.status, rest.change_due) == (TenderStatus.SUCCEEDED,) * 2 + (500,)
    assert (sale.status, sale.number) == (SaleStatus.COMPLETED, 1)
    lock_sql = [q["sql"] for q in locking.captured_queries]
    assert reads(lock_sql, "pos_sale") == 1 and reads(lock_sql, "studio_studio") == 0, lock_sql
    assert reads(lock_sql, "studio_client") == 0 and reads(lock_sql, "studio_location") == 0, lock_sql
    for ctx in (first, last):
        sql = [q["sql"] for q in ctx.captured_queries]
        # The tenders once under the lock (the completion finds the paying one among them).
        assert reads(sql, "pos_saletender") == 1, sql
        assert not [s for s in sql if s.startswith('SELECT SUM("pos_saletender"')], sql
    assert reads([q["sql"] for q in first.captured_queries], "studio_studio") == 0
