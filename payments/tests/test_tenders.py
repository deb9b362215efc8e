"""Offline tenders: cash and studio credit are the same ledger row as a card, in one transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from payments.models import CreditEntry, Payment, PaymentSettings, PaymentStatusChange, TaxRate
from payments.models.ledger import PaymentOutcome
from payments.models.settings import Channel, ItemKind
from payments.services import sources
from payments.services.charges import payment_create, payment_submit
from payments.services.credit import credit_balance, credit_grant
from payments.services.routing import Rule
from payments.services.tenders import payment_record_tender
from studio.models import AuditLog
from studio.services import SYSTEM
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced(studio):
    """A 5 % tax on products, a card fee passed on and a platform fee: none but the tax applies offline."""
    with scopes_disabled():
        TaxRate.objects.create(studio=studio, name="GST", rate=Decimal("5"), item_kinds=[ItemKind.PRODUCT])
        PaymentSettings.objects.update_or_create(
            studio=studio,
            defaults={
                "card_fee_mode": PaymentSettings.FeeMode.PASS_ON,
                "card_fee_percent": Decimal("3"),
                "application_fee_percent": Decimal("1"),
            },
        )


@pytest.fixture
def sale_kind():
    sources.source_kind_register("test_sale")
    yield
    sources.source_kind_unregister("test_sale")


def _tender(studio, client, tender, subtotal=1000, **kwargs):
    with scope(studio=studio):
        return payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=tender,
            client=client,
            subtotal=subtotal,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="Mat",
            pos_location=client.home_location if client else None,
            **kwargs,
        )


def test_cash_is_a_routed_taxed_settled_ledger_row_without_card_or_platform_fee(
    sandbox, make_account, studio, location, a_client, priced, sale_kind
):
    account = make_account(studio, name="Plateau", default=True, locations=[location])
    payment = _tender(studio, a_client, Payment.Method.CASH, source_type="test_sale", source_id="9")
    assert payment.status == Payment.Status.SUCCEEDED and payment.method == Payment.Method.CASH
    assert (payment.subtotal, payment.tax_amount, payment.amount) == (1000, 50, 1050)
    assert payment.card_fee_amount == 0 and payment.application_fee_amount == 0 and not payment.is_escrow
    assert payment.account == account and payment.routing_rule == Rule.POS_LOCATION
    assert payment.routing_params["location"] == location.pk
    with scopes_disabled():
        history = list(PaymentStatusChange.objects.filter(payment=payment).values_list("status", "source"))
        assert history == [("pending", "created"), ("succeeded", "staff")]
        assert AuditLog.objects.filter(studio=studio, action="payment.tendered").count() == 1
        assert PaymentOutcome.objects.get(payment=payment).state == PaymentOutcome.State.SUCCEEDED
    assert sandbox.objects("payment_intent", account=account.stripe_account_id) == []
    with scope(studio=studio), pytest.raises(ValueError):
        payment_submit(
            payment=payment_create(
                studio=studio,
                actor=SYSTEM,
                client=a_client,
                subtotal=100,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.POS,
                description="never sent",
                method=Payment.Method.CASH,
            )
        )


def test_cash_without_any_account_is_not_held_in_escrow(studio, a_client):
    payment = _tender(studio, a_client, Payment.Method.CASH)
    assert payment.account is None and not payment.is_escrow and payment.status == Payment.Status.SUCCEEDED


def test_credit_spends_through_the_credit_ledger_in_the_same_transaction(studio, a_client):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1500, note="gift")
    payment = _tender(studio, a_client, Payment.Method.CREDIT, idempotency_key="pos:1")
    again = _tender(studio, a_client, Payment.Method.CREDIT, idempotency_key="pos:1")  # a double click
    assert again.pk == payment.pk
    with scope(studio=studio):
        assert credit_balance(client=a_client) == 500
        [entry] = CreditEntry.objects.filter(payment=payment)
    assert entry.amount == -1000 and entry.kind == CreditEntry.Kind.SPEND
    # Not enough left: refused, and nothing at all is written (no payment row without its credit).
    with pytest.raises(ValidationError):
        _tender(studio, a_client, Payment.Method.CREDIT, subtotal=600)
    with scopes_disabled():
        assert Payment.objects.filter(studio=studio).count() == 1


def test_tenders_refuse_another_studios_client_and_credit_without_a_client(studio, other_studio, a_client):
    stranger = ClientFactory(studio=other_studio)
    with pytest.raises(ValidationError):
        _tender(studio, stranger, Payment.Method.CASH)
    with scope(studio=studio), pytest.raises(ValidationError):
        payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CREDIT,
            client=None,
            subtotal=100,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="x",
        )
    with scope(studio=studio), pytest.raises(ValueError):
        payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CARD,
            client=a_client,
            subtotal=100,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="x",
        )
    with scopes_disabled():
        assert not Payment.objects.exists()
