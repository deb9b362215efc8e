"""One receipt for every succeeded payment: a cash or credit tender gets the receipt a card gets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from payments.models import Payment, TaxRate
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.receipts import payment_receipt_context, payment_receipt_pdf, payment_receipt_store
from payments.services.tenders import payment_record_tender
from studio.documents.models import StoredDocument
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


def test_card_and_cash_payments_get_the_same_receipt(sandbox, make_account, studio, location, a_client):
    make_account(studio, name="Plateau", default=True, locations=[location])
    with scopes_disabled():
        TaxRate.objects.create(studio=studio, name="GST", rate=Decimal("5"), item_kinds=[ItemKind.PRODUCT])
    with scope(studio=studio):
        card = payment_submit(
            payment=payment_create(
                studio=studio,
                actor=SYSTEM,
                client=a_client,
                subtotal=2000,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.POS,
                description="Mat",
                pos_location=location,
                target=ChargeTarget(payment_method_id="pm_card_visa"),
            )
        )
        cash = payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=2000,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="Mat",
            pos_location=location,
        )
        by_card, by_cash = payment_receipt_context(payment=card), payment_receipt_context(payment=cash)
        assert by_card.keys() == by_cash.keys()
        for receipt in (by_card, by_cash):
            assert (receipt["subtotal"], receipt["tax_lines"][0]["amount"], receipt["total"]) == (
                2000,
                100,
                2100,
            )
            assert receipt["client_name"] == "Camille Tremblay" and receipt["time_zone"] == location.time_zone
        assert (by_card["method"], by_cash["method"]) == ("card", "cash")
        for language in ("fr", "en"):
            assert payment_receipt_pdf(payment=cash, language=language).startswith(b"%PDF-")
        document = payment_receipt_store(payment=cash, language="fr")
    with scopes_disabled():
        stored = StoredDocument.objects.get(pk=document.pk)
    assert (
        stored.studio_id == studio.pk and stored.client_id == a_client.pk and stored.content[:5] == b"%PDF-"
    )


def test_only_a_succeeded_payment_has_a_receipt(studio, a_client):
    with scope(studio=studio):
        pending = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=500,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.ONLINE,
            description="x",
        )
        with pytest.raises(ValidationError):
            payment_receipt_context(payment=pending)
