"""The arithmetic of a sale (pos.pricing): the table of the issue — discounts, taxes per item kind,
per-line rounding, the fee line, split tenders to the cent, change due. Pure: no database.

Every expected number below was worked out by hand from the rules in pos/pricing.py (GST 5 %,
QST 9.975 % on the net of each line, rounded half-up per line; a tender's share apportioned by
Webster's rule), not by running the code."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.models import PaymentSettings
from pos.pricing import LineInput, apportion, card_fee_for, cart_price, change_due, spread, tender_quote


@dataclass(frozen=True)
class Rate:
    pk: int
    name: str
    rate: Decimal
    position: int


GST = Rate(1, "GST", Decimal("5.000"), 0)
QST = Rate(2, "QST", Decimal("9.975"), 1)
RATES = {
    "product": [GST, QST],
    "membership": [GST, QST],
    "class_booking": [GST, QST],
    "appointment": [GST],  # a kind only the GST applies to
}


def P(unit, qty=1, kind="product", dk="", da=0, dp=None, discountable=True):
    return (unit, qty, kind, dk, da, Decimal(dp) if dp is not None else None, discountable)


TOPUP = {"kind": "", "discountable": False}

# (id, lines, (cart discount kind, amount, percent), subtotal, discount_total, gst, qst, total, line nets)
TABLE = [
    ("untaxed line", [P(1000, kind="")], ("", 0, None), 1000, 0, 0, 0, 1000, [1000]),
    ("taxed line", [P(1000)], ("", 0, None), 1000, 0, 50, 100, 1150, [1000]),
    ("taxes round half-up", [P(999)], ("", 0, None), 999, 0, 50, 100, 1149, [999]),
    ("10 cents: 0.5 → 1", [P(10)], ("", 0, None), 10, 0, 1, 1, 12, [10]),
    ("30 cents: 1.5 → 2", [P(30)], ("", 0, None), 30, 0, 2, 3, 35, [30]),
    # Per line: 2 × 16.65 → 17 + 17 = 34 GST (on 666 at once it would be 33).
    ("rounding per line", [P(333), P(333)], ("", 0, None), 666, 0, 34, 66, 766, [333, 333]),
    ("one line of three", [P(333, 3)], ("", 0, None), 999, 0, 50, 100, 1149, [999]),
    ("line amount off", [P(1000, dk="amount", da=200)], ("", 0, None), 1000, 200, 40, 80, 920, [800]),
    ("line 10 % off", [P(1000, dk="percent", dp="10")], ("", 0, None), 1000, 100, 45, 90, 1035, [900]),
    # 12.5 % of 999 = 124.875 → 125; net 874: GST 43.7 → 44, QST 87.18 → 87.
    ("line 12.5 % off", [P(999, dk="percent", dp="12.5")], ("", 0, None), 999, 125, 44, 87, 1005, [874]),
    ("line 100 % off", [P(1000, dk="percent", dp="100")], ("", 0, None), 1000, 1000, 0, 0, 0, [0]),
    ("line amount capped", [P(1000, dk="amount", da=1500)], ("", 0, None), 1000, 1000, 0, 0, 0, [0]),
    ("qty 2, 5 cents off", [P(1250, 2, dk="amount", da=5)], ("", 0, None), 2500, 5, 125, 249, 2869, [2495]),
    # 100 over 1000 and 3000: 25 and 75; GST 48.75 → 49 + 146.25 → 146; QST 97.26 → 97 + 291.77 → 292.
    (
        "cart amount, two lines",
        [P(1000), P(3000)],
        ("amount", 100, None),
        4000,
        100,
        195,
        389,
        4484,
        [975, 2925],
    ),
    # 100 over three equal lines: 33.33 each, the remaining cent to the first.
    (
        "cart amount, largest remainder",
        [P(1000), P(1000), P(1000)],
        ("amount", 100, None),
        3000,
        100,
        144,
        288,
        3332,
        [966, 967, 967],
    ),
    ("cart 10 %", [P(1000), P(3000)], ("percent", 0, "10"), 4000, 400, 180, 359, 4139, [900, 2700]),
    # 33.333 % of 1000 = 333.33 → 333; net 667: GST 33.35 → 33, QST 66.53 → 67.
    ("cart 33.333 %", [P(1000)], ("percent", 0, "33.333"), 1000, 333, 33, 67, 767, [667]),
    ("cart amount capped", [P(1000)], ("amount", 5000, None), 1000, 1000, 0, 0, 0, [0]),
    # Line A 10 % off (900), B 1000; 180 off the cart: 85.26 / 94.74 → 85 / 95 (B's remainder is larger).
    (
        "line and cart discounts",
        [P(1000, dk="percent", dp="10"), P(1000)],
        ("amount", 180, None),
        2000,
        280,
        86,
        171,
        1977,
        [815, 905],
    ),
    (
        "product and credit top-up",
        [P(1000), P(5000, **TOPUP)],
        ("", 0, None),
        6000,
        0,
        50,
        100,
        6150,
        [1000, 5000],
    ),
    # The top-up takes no part of the cart's discount: 10 % of the product only.
    (
        "cart % skips a top-up",
        [P(1000), P(5000, **TOPUP)],
        ("percent", 0, "10"),
        6000,
        100,
        45,
        90,
        6035,
        [900, 5000],
    ),
    # An amount owed (untaxed, not discountable) beside a product: 500 off the product alone.
    (
        "cart amount skips owed",
        [P(2500, **TOPUP), P(1000)],
        ("amount", 500, None),
        3500,
        500,
        25,
        50,
        3075,
        [2500, 500],
    ),
    # Membership (GST + QST) and an appointment (GST only): QST 199.5 → 200 on the membership alone.
    (
        "mixed tax kinds",
        [P(2000, kind="membership"), P(1000, kind="appointment")],
        ("", 0, None),
        3000,
        0,
        150,
        200,
        3350,
        [2000, 1000],
    ),
    ("GST-only kind", [P(1000, kind="appointment")], ("", 0, None), 1000, 0, 50, 0, 1050, [1000]),
    ("empty cart", [], ("", 0, None), 0, 0, 0, 0, 0, []),
    (
        "drop-in taxed as a class",
        [P(2000, kind="class_booking")],
        ("", 0, None),
        2000,
        0,
        100,
        200,
        2300,
        [2000],
    ),
    ("unknown kind: no tax", [P(2000, kind="other")], ("", 0, None), 2000, 0, 0, 0, 2000, [2000]),
]


def _price(lines, cart):
    inputs = [
        LineInput(
            key=i,
            unit_amount=unit,
            quantity=qty,
            tax_kind=kind,
            discount_kind=dk,
            discount_amount=da,
            discount_percent=dp,
            discountable=discountable,
        )
        for i, (unit, qty, kind, dk, da, dp, discountable) in enumerate(lines)
    ]
    kind, amount, percent = cart
    return cart_price(
        lines=inputs,
        discount_kind=kind,
        discount_amount=amount,
        discount_percent=Decimal(percent) if percent is not None else None,
        rates_by_kind=RATES,
    )


def _tax(price, name) -> int:
    return sum(t.amount for t in price.tax_lines if t.name == name)


@pytest.mark.parametrize(
    ("lines", "cart", "subtotal", "discount_total", "gst", "qst", "total", "nets"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_the_cart_arithmetic_table(lines, cart, subtotal, discount_total, gst, qst, total, nets):
    price = _price(lines, cart)
    assert (price.subtotal, price.discount_total, _tax(price, "GST"), _tax(price, "QST"), price.total) == (
        subtotal,
        discount_total,
        gst,
        qst,
        total,
    )
    assert [line.net for line in price.lines] == nets
    # The sale is exactly the sum of its lines: taxes per tax, totals, discounts.
    assert sum(line.total for line in price.lines) == price.total
    assert sum(line.discount for line in price.lines) == price.discount_total
    for tax in price.tax_lines:
        assert tax.amount == sum(
            t.amount for line in price.lines for t in line.tax_lines if t.name == tax.name
        )
    assert price.tax_total == gst + qst


def test_the_table_has_at_least_25_rows():
    assert len(TABLE) >= 25


def test_tax_lines_keep_the_rates_order_and_skip_taxes_no_line_has():
    price = _price([P(1000, kind="appointment"), P(1000, kind="membership")], ("", 0, None))
    assert [(t.name, t.rate) for t in price.tax_lines] == [
        ("GST", Decimal("5.000")),
        ("QST", Decimal("9.975")),
    ]
    assert [t.name for t in _price([P(1000, kind="appointment")], ("", 0, None)).tax_lines] == ["GST"]


def test_the_cart_discount_shares_are_on_the_lines():
    price = _price([P(1000), P(1000), P(1000)], ("amount", 100, None))
    assert [line.cart_discount for line in price.lines] == [34, 33, 33]
    assert price.cart_discount == 100


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"unit_amount": -1}, ValueError),
        ({"unit_amount": 10.5}, TypeError),
        ({"quantity": 0}, ValueError),
        ({"discount_kind": "amount", "discount_amount": -5}, ValueError),
        ({"discount_kind": "percent", "discount_percent": Decimal("120")}, ValueError),
        ({"discount_kind": "bogus"}, ValueError),
    ],
)
def test_negative_or_odd_money_is_refused(bad, error):
    line = {"key": 1, "unit_amount": 1000, "quantity": 1, "tax_kind": "product", **bad}
    with pytest.raises(error):
        cart_price(lines=[LineInput(**line)], rates_by_kind=RATES)


def test_a_negative_cart_discount_is_refused():
    with pytest.raises(ValueError):
        cart_price(
            lines=[LineInput(key=1, unit_amount=1000, quantity=1)],
            discount_kind="amount",
            discount_amount=-1,
            rates_by_kind=RATES,
        )


@given(total=st.integers(0, 10**6), weights=st.lists(st.integers(0, 10**5), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_spread_adds_up_to_the_cent_and_stays_within_each_weight(total, weights):
    total = min(total, sum(weights))
    parts = spread(total, weights)
    assert sum(parts) == total
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))


# --- the card-fee line (PAY-8) -------------------------------------------------------------------


def _fees(mode, percent="2.900", fixed=30):
    return PaymentSettings(card_fee_mode=mode, card_fee_percent=Decimal(percent), card_fee_fixed=fixed)


@pytest.mark.parametrize(
    ("mode", "percent", "fixed", "amount", "fee"),
    [
        ("absorb", "2.900", 30, 1150, 0),  # the studio absorbs the fee: no line
        ("pass_on", "2.900", 30, 1150, 63),  # 33.35 → 33, + 30
        ("pass_on", "2.900", 30, 10000, 320),
        ("pass_on", "2.900", 30, 0, 0),  # nothing paid by card, no fee
        ("pass_on", "3.500", 0, 1010, 35),  # 35.35 → 35
        ("pass_on", "2.500", 25, 1020, 51),  # 25.5 → 26 (half-up), + 25
    ],
)
def test_the_card_fee_line(mode, percent, fixed, amount, fee):
    assert card_fee_for(amount=amount, settings=_fees(mode, percent, fixed)) == fee


# --- split tenders (the ledger adds up to the sale) ----------------------------------------------

# The sale of the row "cart amount, two lines": net 3900, GST 195, QST 389, total 4484.
SALE = {"sale_subtotal_net": 3900, "sale_total": 4484}
SALE_TAXES = [
    {"name": "GST", "rate": "5.000", "amount": 195},
    {"name": "QST", "rate": "9.975", "amount": 389},
]


def _parts(quote):
    return (quote.subtotal, *(t.amount for t in quote.tax_lines))


@pytest.mark.parametrize(
    ("splits", "expected"),
    [
        ([4484], [(3900, 195, 389)]),
        # 2000 first: quotas 1739.52 / 86.98 / 173.51 round to 2001 cents; the net's cent ranks
        # lowest (3900 / 1739.5) and goes: 1739 / 87 / 174. The last tender takes the rest.
        ([2000, 2484], [(1739, 87, 174), (2161, 108, 215)]),
        # At 1000 paid: 869.76 / 43.49 / 86.75 round to 870 / 43 / 87; at 2000 as above.
        ([1000, 1000, 2484], [(870, 43, 87), (869, 44, 87), (2161, 108, 215)]),
        ([1, 4483], [(1, 0, 0), (3899, 195, 389)]),
    ],
)
def test_split_tenders_add_up_to_the_sale_to_the_cent(splits, expected):
    paid, quotes = 0, []
    for amount in splits:
        quotes.append(
            tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=paid, amount=amount, card_fee=0)
        )
        paid += amount
    assert [_parts(q) for q in quotes] == expected
    assert [q.total for q in quotes] == splits
    assert sum(q.subtotal for q in quotes) == 3900
    assert sum(q.tax_total for q in quotes) == 195 + 389


def test_a_one_cent_tender_where_both_taxes_would_round_up_stays_exact():
    # At 2241.5 of 4484 cents both taxes sit on a half cent: rounding each on its own would give
    # the cent from 2241 to 2242 one cent of each tax and a net of −1.
    first = tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=0, amount=2241, card_fee=0)
    cent = tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=2241, amount=1, card_fee=0)
    rest = tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=2242, amount=2242, card_fee=0)
    assert min(_parts(cent)) == 0 and sum(_parts(cent)) == 1
    assert [sum(p) for p in zip(_parts(first), _parts(cent), _parts(rest), strict=True)] == [3900, 195, 389]


def test_paying_more_never_lowers_a_part():
    parts = [3900, 195, 389]
    previous = [0, 0, 0]
    for paid in range(1, 4485):
        now = apportion(paid, parts)
        assert sum(now) == paid and all(a >= b for a, b in zip(now, previous, strict=True))
        previous = now
    assert previous == parts


def test_a_card_tender_carries_its_fee_line_beside_its_share():
    fee = card_fee_for(amount=2484, settings=_fees("pass_on"))  # 72.04 → 72, + 30
    quote = tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=2000, amount=2484, card_fee=fee)
    assert fee == 102
    assert (quote.card_fee, quote.total) == (102, 2586)
    assert _parts(quote) == (2161, 108, 215)


def test_a_tender_above_the_balance_or_of_nothing_is_refused():
    with pytest.raises(ValueError):
        tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=4000, amount=485, card_fee=0)
    with pytest.raises(ValueError):
        tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=0, amount=0, card_fee=0)
    with pytest.raises(ValueError):  # net and taxes that do not make the total
        tender_quote(
            sale_subtotal_net=3901,
            sale_total=4484,
            sale_tax_lines=SALE_TAXES,
            paid_before=0,
            amount=1,
            card_fee=0,
        )


@given(cuts=st.lists(st.integers(5, 4484), max_size=6))
@settings(max_examples=200, deadline=None)
def test_any_split_of_the_sale_adds_up_exactly(cuts):
    points = sorted({0, 4484, *(c for c in cuts if c < 4484)})
    amounts = [b - a for a, b in itertools.pairwise(points) if b > a]
    paid, quotes = 0, []
    for amount in amounts:
        quotes.append(
            tender_quote(**SALE, sale_tax_lines=SALE_TAXES, paid_before=paid, amount=amount, card_fee=0)
        )
        paid += amount
    assert sum(q.subtotal for q in quotes) == 3900
    assert [sum(q.tax_lines[i].amount for q in quotes) for i in (0, 1)] == [195, 389]
    assert all(min(_parts(q)) >= 0 and q.total == a for q, a in zip(quotes, amounts, strict=True))


# --- change due -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "received", "change"), [(1535, 2000, 465), (1535, 1535, 0), (1, 10000, 9999)]
)
def test_change_due(amount, received, change):
    assert change_due(amount=amount, cash_received=received) == change


def test_cash_that_does_not_cover_the_amount_is_refused():
    with pytest.raises(ValueError):
        change_due(amount=2000, cash_received=1999)
    with pytest.raises(ValueError):
        change_due(amount=-1, cash_received=0)


def test_the_platform_fee_is_on_what_the_tender_charges_when_settings_are_given():
    fees = PaymentSettings(
        card_fee_mode="pass_on",
        card_fee_percent=Decimal("2.900"),
        card_fee_fixed=30,
        application_fee_percent=Decimal("1.000"),
        application_fee_fixed=10,
    )
    quote = tender_quote(
        **SALE, sale_tax_lines=SALE_TAXES, paid_before=0, amount=4484, card_fee=160, settings=fees
    )
    assert quote.application_fee == 46 + 10  # 1 % of 4644 = 46.44 → 46
    assert (
        tender_quote(
            **SALE, sale_tax_lines=SALE_TAXES, paid_before=0, amount=4484, card_fee=0
        ).application_fee
        == 0
    )
