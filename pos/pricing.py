"""The arithmetic of a sale (POS-1, PAY-8, PAY-9): pure functions, integer minor units, Decimal rates.

No database, no settings read here: the cart services pass the lines, the rates and the
payment settings in, so that the same numbers come out on the screen, on the frozen sale, in
the ledger and on the receipt. The rules, in order (also in docs/pos.md, "Pricing"):

1. **A line's own discount**, on its subtotal (unit × quantity): an amount (never above the
   line: a larger one is capped at the line) or a percentage, rounded half-up to the cent.
2. **The cart's discount**, an amount (capped at what the lines are worth after their own
   discounts) or a percentage of that worth (rounded half-up), spread over the lines in
   proportion to their net by largest remainder, so the parts add up to the cent. Lines that
   are not `discountable` (an amount owed, a studio-credit top-up: money, not goods) take no part.
3. **Taxes per line**: each rate of the line's tax kind on the line's net, rounded half-up per
   line (GST and QST both on the net, not compounded); a line of tax kind "" is not taxed. The
   sale's tax lines are the per-line amounts summed per tax, so the receipt's taxes are exactly
   the sum of its lines'.
4. **Total** = subtotal − discounts + taxes. The card-fee line (PAY-8, when the studio passes
   fees on) is per card tender, on the amount that tender pays: `card_fee_for`.
5. **Split tenders**: `tender_quote` gives a tender its share of the sale's net and of each tax,
   computed from what was paid before it, so the ledger's rows of every tender add up to the
   sale's own net and taxes exactly (the last tender takes the remainder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from payments.models import PaymentSettings
from payments.services.fees import Quote, TaxLine
from studio.money import percent_of

NO_DISCOUNT = ""
AMOUNT = "amount"
PERCENT = "percent"
DISCOUNT_KINDS = (NO_DISCOUNT, AMOUNT, PERCENT)


@dataclass(frozen=True)
class LineInput:
    """One cart line as the pricing sees it. `key` is the caller's (a SaleLine id, a position…)."""

    key: Any
    unit_amount: int
    quantity: int
    tax_kind: str = ""
    discount_kind: str = NO_DISCOUNT
    discount_amount: int = 0
    discount_percent: Decimal | None = None
    # False for money rather than goods (an amount owed, a credit top-up): the cart's discount skips it.
    discountable: bool = True


@dataclass(frozen=True)
class LinePrice:
    key: Any
    subtotal: int  # unit × quantity
    own_discount: int  # the line's own discount
    cart_discount: int  # its share of the cart's discount
    tax_lines: tuple[TaxLine, ...] = field(default_factory=tuple)

    @property
    def discount(self) -> int:
        return self.own_discount + self.cart_discount

    @property
    def net(self) -> int:
        return self.subtotal - self.discount

    @property
    def tax_total(self) -> int:
        return sum(t.amount for t in self.tax_lines)

    @property
    def total(self) -> int:
        return self.net + self.tax_total


@dataclass(frozen=True)
class CartPrice:
    lines: tuple[LinePrice, ...]
    subtotal: int
    cart_discount: int  # the cart's own discount (spread over the lines)
    discount_total: int  # every discount: the lines' own and the cart's
    tax_lines: tuple[TaxLine, ...]
    tax_total: int
    total: int

    @property
    def net(self) -> int:
        return self.subtotal - self.discount_total

    def line(self, key: Any) -> LinePrice:
        return next(line for line in self.lines if line.key == key)


def _require_amount(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer of minor units")
    if value < 0:
        raise ValueError(f"{what} cannot be negative")
    return value


def _require_percent(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    percent = Decimal(value)
    if not percent.is_finite() or percent < 0 or percent > 100:
        raise ValueError("a discount percentage is between 0 and 100")
    return percent


def discount_of(*, base: int, kind: str, amount: int = 0, percent: Decimal | None = None) -> int:
    """How much a discount of `kind` takes off `base`: an amount capped at `base`, or a
    percentage of `base` rounded half-up (never more than `base`)."""
    _require_amount(base, "base")
    if kind == AMOUNT:
        return min(_require_amount(amount, "discount amount"), base)
    if kind == PERCENT:
        return min(percent_of(base, _require_percent(percent)), base)
    if kind == NO_DISCOUNT:
        return 0
    raise ValueError(f"unknown discount kind {kind!r}")


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` in proportion, by largest remainder: the parts add up to
    `total` exactly; a tie goes to the earlier weight. `total` must not exceed Σ weights when
    each part must stay within its weight (the cart's discount never does)."""
    _require_amount(total, "total")
    whole = sum(weights)
    if whole <= 0:
        if total:
            raise ValueError("nothing to spread over")
        return [0 for _ in weights]
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts


def _rate_key(rate: Any) -> Any:
    pk = getattr(rate, "pk", None)
    return pk if pk is not None else (rate.name, Decimal(rate.rate))


def _rate_order(rate: Any) -> tuple:
    return (getattr(rate, "position", 0), getattr(rate, "pk", None) or 0, rate.name)


def cart_price(
    *,
    lines: Sequence[LineInput],
    discount_kind: str = NO_DISCOUNT,
    discount_amount: int = 0,
    discount_percent: Decimal | None = None,
    rates_by_kind: Mapping[str, Sequence[Any]],
) -> CartPrice:
    """Price a cart: each line's discount, the cart's discount spread over the lines, taxes per
    line by its tax kind (`rates_by_kind[kind]`: TaxRate-like objects with `name` and `rate`),
    summed per tax. Raises ValueError/TypeError on a negative or non-integer amount."""
    subtotals: list[int] = []
    own: list[int] = []
    for line in lines:
        _require_amount(line.unit_amount, "unit amount")
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise ValueError("a quantity is a whole number of at least 1")
        subtotal = line.unit_amount * line.quantity
        subtotals.append(subtotal)
        own.append(
            discount_of(
                base=subtotal,
                kind=line.discount_kind,
                amount=line.discount_amount,
                percent=line.discount_percent,
            )
        )
    weights = [(s - d) if line.discountable else 0 for s, d, line in zip(subtotals, own, lines, strict=True)]
    cart_discount = discount_of(
        base=sum(weights), kind=discount_kind, amount=discount_amount, percent=discount_percent
    )
    shares = spread(cart_discount, weights)

    priced: list[LinePrice] = []
    sums: dict[Any, int] = {}
    seen: dict[Any, Any] = {}
    for line, subtotal, own_discount, share in zip(lines, subtotals, own, shares, strict=True):
        net = subtotal - own_discount - share
        rates = list(rates_by_kind.get(line.tax_kind, ())) if line.tax_kind else []
        taxes = tuple(
            TaxLine(name=r.name, rate=Decimal(r.rate), amount=percent_of(net, r.rate)) for r in rates
        )
        for rate, tax in zip(rates, taxes, strict=True):
            key = _rate_key(rate)
            seen.setdefault(key, rate)
            sums[key] = sums.get(key, 0) + tax.amount
        priced.append(
            LinePrice(
                key=line.key,
                subtotal=subtotal,
                own_discount=own_discount,
                cart_discount=share,
                tax_lines=taxes,
            )
        )
    tax_lines = tuple(
        TaxLine(name=rate.name, rate=Decimal(rate.rate), amount=sums[key])
        for key, rate in sorted(seen.items(), key=lambda item: _rate_order(item[1]))
    )
    subtotal = sum(subtotals)
    discount_total = sum(own) + cart_discount
    tax_total = sum(t.amount for t in tax_lines)
    return CartPrice(
        lines=tuple(priced),
        subtotal=subtotal,
        cart_discount=cart_discount,
        discount_total=discount_total,
        tax_lines=tax_lines,
        tax_total=tax_total,
        total=subtotal - discount_total + tax_total,
    )


def card_fee_for(*, amount: int, settings: PaymentSettings) -> int:
    """The card-fee line of a card tender paying `amount` (PAY-8): the studio's percentage of it,
    rounded half-up, plus the fixed part, when the studio passes fees on; 0 otherwise (and on 0)."""
    _require_amount(amount, "amount")
    if settings.card_fee_mode != PaymentSettings.FeeMode.PASS_ON or amount == 0:
        return 0
    return percent_of(amount, settings.card_fee_percent) + settings.card_fee_fixed


def _as_tax_lines(lines: Iterable[Any]) -> list[TaxLine]:
    """The sale's tax lines as TaxLine, whether given as TaxLine or as stored JSON dicts."""
    out = []
    for line in lines:
        if isinstance(line, TaxLine):
            out.append(line)
        else:
            out.append(
                TaxLine(name=line["name"], rate=Decimal(str(line["rate"])), amount=int(line["amount"]))
            )
    return out


def _unit_key(parts: Sequence[int], index: int, unit: int) -> tuple[Fraction, int]:
    """The rank of the `unit`-th cent (1-based) of `parts[index]` in the order cents are paid:
    Webster's priority part / (unit − ½), higher first; a tie goes to the earlier part."""
    return (Fraction(2 * parts[index], 2 * unit - 1), -index)


def apportion(paid: int, parts: Sequence[int]) -> list[int]:
    """How much of each of `parts` is paid once `paid` of their sum is (Webster's divisor method).

    Exactly `parts` when everything is paid, about `paid / sum` of each before, and **house
    monotone**: paying more never lowers any part. So the difference between two moments —
    a tender's share — is never negative and the shares of every tender add up to the parts
    exactly, whatever the split. A few steps, whatever the amounts (no loop over cents)."""
    whole = sum(parts)
    if paid >= whole:
        return list(parts)
    if paid <= 0:
        return [0 for _ in parts]
    alloc = [part * paid // whole for part in parts]  # the lower quotas: about right already

    def next_unit(i: int) -> tuple[Fraction, int] | None:
        return _unit_key(parts, i, alloc[i] + 1) if alloc[i] < parts[i] else None

    def last_unit(i: int) -> tuple[Fraction, int] | None:
        return _unit_key(parts, i, alloc[i]) if alloc[i] > 0 else None

    while True:
        nexts = [(key, i) for i in range(len(parts)) if (key := next_unit(i)) is not None]
        lasts = [(key, i) for i in range(len(parts)) if (key := last_unit(i)) is not None]
        total = sum(alloc)
        if total < paid:
            alloc[max(nexts)[1]] += 1
        elif total > paid:
            alloc[min(lasts)[1]] -= 1
        elif nexts and lasts and max(nexts)[0] > min(lasts)[0]:
            # A cent ranked higher is left out for a lower one: swap them.
            alloc[max(nexts)[1]] += 1
            alloc[min(lasts)[1]] -= 1
        else:
            return alloc


def tender_quote(
    *,
    sale_subtotal_net: int,
    sale_tax_lines: Iterable[Any],
    sale_total: int,
    paid_before: int,
    amount: int,
    card_fee: int,
    settings: PaymentSettings | None = None,
) -> Quote:
    """A tender's part of the sale, as payments' `Quote`: its share of the sale's net
    (`subtotal`) and of each tax, plus its own `card_fee` (`Quote.total` = amount + card fee).

    The sale's net and taxes are apportioned over what is paid (`apportion`: about in proportion,
    never decreasing as more is paid); the tender's share is what is apportioned once
    `paid_before + amount` is paid minus what was at `paid_before`. So every share is whole and
    non-negative, the tender's parts add up to its amount, and the shares of successive tenders
    add up to the sale's own net and tax lines exactly — the last tender takes the remainder.
    `settings` given: the platform's application fee is computed as `quote_build` does.
    """
    for value, what in (
        (sale_subtotal_net, "sale net"),
        (sale_total, "sale total"),
        (paid_before, "paid before"),
        (amount, "amount"),
        (card_fee, "card fee"),
    ):
        _require_amount(value, what)
    taxes = _as_tax_lines(sale_tax_lines)
    if sale_subtotal_net + sum(t.amount for t in taxes) != sale_total:
        raise ValueError("the sale's net and taxes do not add up to its total")
    if amount <= 0:
        raise ValueError("a tender pays more than zero")
    if paid_before + amount > sale_total:
        raise ValueError("the tender pays more than the balance")
    parts = [sale_subtotal_net, *(t.amount for t in taxes)]
    before = apportion(paid_before, parts)
    after = apportion(paid_before + amount, parts)
    net, *shares = (a - b for a, b in zip(after, before, strict=True))
    lines = tuple(TaxLine(name=t.name, rate=t.rate, amount=s) for t, s in zip(taxes, shares, strict=True))
    application_fee = 0
    total = amount + card_fee
    if settings is not None and total > 0:
        application_fee = min(
            total, percent_of(total, settings.application_fee_percent) + settings.application_fee_fixed
        )
    return Quote(subtotal=net, tax_lines=lines, card_fee=card_fee, application_fee=application_fee)


def change_due(*, amount: int, cash_received: int) -> int:
    """The change to hand back when `cash_received` pays a cash tender of `amount`. Raises
    ValueError when the cash handed over does not cover the amount (the tender is then smaller)."""
    _require_amount(amount, "amount")
    _require_amount(cash_received, "cash received")
    if cash_received < amount:
        raise ValueError("the cash received does not cover the amount")
    return cash_received - amount
