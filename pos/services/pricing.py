"""The POS's pure pricing (`pos.pricing`) as part of the public surface, so that another app
(checkout's online cart) prices its lines with exactly the same arithmetic as the till: line
discounts, taxes per line by tax kind summed per tax, the PAY-8 card fee, split tenders."""

from __future__ import annotations

from payments.selectors import tax_rate_list
from pos.pricing import CartPrice, LineInput, LinePrice, card_fee_for, cart_price, tender_quote
from studio.models import Studio

__all__ = [
    "CartPrice",
    "LineInput",
    "LinePrice",
    "card_fee_for",
    "cart_price",
    "rates_by_kind",
    "tender_quote",
]


def rates_by_kind(*, studio: Studio) -> dict[str, list]:
    """Every live tax rate of `studio` by the item kinds it applies to (one query), the shape
    `cart_price(rates_by_kind=...)` takes."""
    out: dict[str, list] = {}
    for rate in tax_rate_list(studio=studio):
        if rate.archived_at is None:
            for kind in rate.item_kinds:
                out.setdefault(kind, []).append(rate)
    return out
