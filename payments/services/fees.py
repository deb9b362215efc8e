"""Taxes (PAY-9), card-fee pass-through (PAY-8) and the platform's application fee, as one quote.

Order, documented because receipts depend on it:
1. taxes: each applicable rate × subtotal, rounded half-up per tax line (GST and QST both on the
   subtotal, not compounded — Quebec's rule since 2013);
2. card fee (when passed on): percentage × (subtotal + taxes), rounded half-up, plus the fixed part;
3. total = subtotal + taxes + card fee;
4. application fee (platform): percentage × total, rounded half-up, plus fixed, never above total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django_scopes import scope

from payments.models import PaymentSettings, TaxRate
from studio.compiled_sql import compiled_models
from studio.models import Studio
from studio.money import percent_of


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate: Decimal
    amount: int

    def as_json(self) -> dict:
        return {"name": self.name, "rate": str(self.rate), "amount": self.amount}


@dataclass(frozen=True)
class Quote:
    subtotal: int
    tax_lines: tuple[TaxLine, ...] = field(default_factory=tuple)
    card_fee: int = 0
    application_fee: int = 0

    @property
    def tax_total(self) -> int:
        return sum(line.amount for line in self.tax_lines)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax_total + self.card_fee


def _settings_row(*, studio_id: int):
    return PaymentSettings.objects.all()


def payment_settings_for(*, studio: Studio) -> PaymentSettings:
    """The studio's payment settings (created with the defaults on first read). Read through SQL
    compiled once: every price with a card fee, every charge and the pay pages ask for them."""
    with scope(studio=studio):
        found = compiled_models("payment-settings", _settings_row, model=PaymentSettings)
    if found:
        found[0].studio = studio
        return found[0]
    settings, _created = PaymentSettings.objects.get_or_create(studio=studio)
    return settings


def tax_rates_for(*, studio: Studio, item_kind: str) -> list[TaxRate]:
    return [
        rate
        for rate in TaxRate.objects.filter(studio=studio, archived_at__isnull=True)
        if item_kind in rate.item_kinds
    ]


def quote_build(
    *,
    studio: Studio,
    subtotal: int,
    item_kind: str,
    by_card: bool = True,
    settings: PaymentSettings | None = None,
    rates: list[TaxRate] | None = None,
) -> Quote:
    """Price one purchase: taxes for its kind, the card fee if passed on, the platform fee."""
    if not isinstance(subtotal, int) or subtotal < 0:
        raise ValueError("subtotal must be a non-negative integer of minor units")
    settings = settings or payment_settings_for(studio=studio)
    rates = rates if rates is not None else tax_rates_for(studio=studio, item_kind=item_kind)
    lines = tuple(TaxLine(name=r.name, rate=r.rate, amount=percent_of(subtotal, r.rate)) for r in rates)
    taxed = subtotal + sum(line.amount for line in lines)
    card_fee = 0
    if by_card and settings.card_fee_mode == PaymentSettings.FeeMode.PASS_ON and taxed > 0:
        card_fee = percent_of(taxed, settings.card_fee_percent) + settings.card_fee_fixed
    total = taxed + card_fee
    application_fee = 0
    if total > 0:
        application_fee = min(
            total, percent_of(total, settings.application_fee_percent) + settings.application_fee_fixed
        )
    return Quote(subtotal=subtotal, tax_lines=lines, card_fee=card_fee, application_fee=application_fee)
