"""`order_quote` (checkout.services.pricing) to the cent: studio credit first, then the card part
with its PAY-8 fee on the card part only, and the card part's share of net and taxes so that the
two payments add up to the order exactly. And `order_reprice`'s taxes per line kind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from checkout.services.pricing import order_quote
from checkout.tests.factories import order_with_lines
from payments.models import PaymentSettings, TaxRate

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced_order(studio):
    """100,00 of goods taxed GST 5 % + QST 9.975 % (5,00 + 9,98): 114,98."""
    with scopes_disabled():
        TaxRate.objects.create(
            studio=studio, name="GST", rate=Decimal("5"), item_kinds=["product"], position=0
        )
        TaxRate.objects.create(
            studio=studio, name="QST", rate=Decimal("9.975"), item_kinds=["product"], position=1
        )
    made = order_with_lines(studio, {"unit_amount": 5000, "quantity": 2, "tax_kind": "product"})
    assert (made.subtotal, made.tax_total, made.total) == (10000, 1498, 11498)
    return made


def set_fees(studio, mode):
    with scopes_disabled():
        settings, _created = PaymentSettings.objects.get_or_create(studio=studio)
        settings.card_fee_mode = mode
        settings.card_fee_percent = Decimal("2.9")
        settings.card_fee_fixed = 30
        settings.save()


PASS_ON = PaymentSettings.FeeMode.PASS_ON
ABSORB = PaymentSettings.FeeMode.ABSORB


@pytest.mark.parametrize(
    ("mode", "use_credit", "by_card", "balance", "credit", "fee", "due", "net", "taxes"),
    [
        # No credit: the card pays all; fee 2.9 % of 114,98 = 3,33 (half-up) + 0,30.
        (PASS_ON, False, True, 5000, 0, 363, 11861, 10000, [500, 998]),
        # 50,00 of credit first; the card pays 64,98: fee 1,88 + 0,30 on that part only.
        (PASS_ON, True, True, 5000, 5000, 218, 6716, 5651, [283, 564]),
        # Credit covers everything: nothing for the card, no fee.
        (PASS_ON, True, True, 20000, 11498, 0, 0, 0, []),
        # Exactly the total in credit.
        (PASS_ON, True, True, 11498, 11498, 0, 0, 0, []),
        # One cent short: the card pays 0,01 and its fee.
        (PASS_ON, True, True, 11497, 11497, 30, 31, 1, [0, 0]),
        # The studio absorbs fees: no fee line.
        (ABSORB, True, True, 5000, 5000, 0, 6498, 5651, [283, 564]),
        # Credit not asked for: the balance is ignored.
        (ABSORB, False, True, 99999, 0, 0, 11498, 10000, [500, 998]),
        # Not by card (nothing to charge on a card): no fee even when passed on.
        (PASS_ON, False, False, 0, 0, 0, 11498, 10000, [500, 998]),
        # A negative balance (owed credit) counts as none.
        (PASS_ON, True, True, -500, 0, 363, 11861, 10000, [500, 998]),
    ],
)
def test_quote_table(studio, priced_order, mode, use_credit, by_card, balance, credit, fee, due, net, taxes):
    set_fees(studio, mode)
    with scope(studio=studio):
        quote = order_quote(
            order=priced_order, use_credit=use_credit, by_card=by_card, credit_balance=balance
        )
    assert (quote.credit_applied, quote.card_fee, quote.amount_due, quote.card_subtotal_net) == (
        credit,
        fee,
        due,
        net,
    )
    assert [t.amount for t in quote.tax_lines] == taxes
    # The card part's net and taxes are exactly what the card pays for the goods.
    assert quote.card_subtotal_net + sum(t.amount for t in quote.tax_lines) == quote.card_amount
    assert quote.card_amount + quote.credit_applied == priced_order.total


def test_quote_refuses_a_non_integer_balance(studio, priced_order):
    with scope(studio=studio), pytest.raises(TypeError):
        order_quote(order=priced_order, use_credit=True, by_card=True, credit_balance=Decimal("1.5"))


def test_taxes_follow_each_lines_kind(studio):
    with scopes_disabled():
        TaxRate.objects.create(
            studio=studio, name="GST", rate=Decimal("5"), item_kinds=["product", "membership"]
        )
        TaxRate.objects.create(studio=studio, name="QST", rate=Decimal("9.975"), item_kinds=["product"])
    made = order_with_lines(
        studio,
        {"kind": "product", "unit_amount": 1000, "tax_kind": "product"},
        {"kind": "plan", "unit_amount": 2000, "tax_kind": "membership"},
        {"kind": "owed", "unit_amount": 700, "tax_kind": "", "owed_kind": "penalty", "owed_id": 1},
    )
    with scopes_disabled():
        lines = list(made.lines.order_by("position"))
    assert [line.tax_total for line in lines] == [50 + 100, 100, 0]
    assert [line.line_total for line in lines] == [1150, 2100, 700]
    assert made.tax_lines == [
        {"name": "GST", "rate": "5.000", "amount": 150},
        {"name": "QST", "rate": "9.975", "amount": 100},
    ]
    assert made.total == 3950
