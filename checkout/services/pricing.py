"""What an order costs as the client pays it (CHK-2, PAY-8): studio credit first, then the card.

`order_reprice` (checkout.services.cart) keeps the goods' totals; how much of it the client's
credit covers and the card fee depend on how they pay, so they are quoted here, never stored
by the cart. Rules, in order:
1. the credit part: min(credit balance, total) when the client asks to use their credit;
2. the card part: total − credit part; its share of the order's net and of each tax follows the
   POS's split-tender arithmetic (credit is the first tender, the card the second), so the two
   payments' rows add up to the order's own net and taxes exactly;
3. the card fee (PAY-8): on the card part only, when the studio passes fees on and a card pays;
4. amount due = card part + card fee.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.models import Order
from payments.services.fees import TaxLine, payment_settings_for
from pos.services import pricing


@dataclass(frozen=True)
class OrderQuote:
    credit_applied: int  # the part paid from studio credit
    card_fee: int  # PAY-8, on the card part
    amount_due: int  # what the card is charged: card part + card fee
    card_subtotal_net: int  # the card part's share of the order's net (taxes excluded)
    tax_lines: tuple[TaxLine, ...]  # the card part's share of each tax

    @property
    def card_amount(self) -> int:
        """The card part of the goods (without its fee)."""
        return self.amount_due - self.card_fee


def _non_negative_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer of minor units")
    return max(value, 0)


def order_quote(*, order: Order, use_credit: bool, by_card: bool, credit_balance: int) -> OrderQuote:
    """Quote `order` (its repriced totals) for a client with `credit_balance` of studio credit:
    the credit part first when `use_credit`, then the card part with its fee when `by_card`."""
    balance = _non_negative_int(credit_balance, "credit balance")
    total = order.total
    credit = min(balance, total) if use_credit else 0
    card_part = total - credit
    if card_part <= 0:
        return OrderQuote(credit_applied=credit, card_fee=0, amount_due=0, card_subtotal_net=0, tax_lines=())
    share = pricing.tender_quote(
        sale_subtotal_net=order.subtotal,
        sale_tax_lines=order.tax_lines,
        sale_total=total,
        paid_before=credit,
        amount=card_part,
        card_fee=0,
    )
    fee = (
        pricing.card_fee_for(amount=card_part, settings=payment_settings_for(studio=order.studio))
        if by_card
        else 0
    )
    return OrderQuote(
        credit_applied=credit,
        card_fee=fee,
        amount_due=card_part + fee,
        card_subtotal_net=share.subtotal,
        tax_lines=share.tax_lines,
    )
