"""The one place money is converted, rounded and typed in.

Amounts are integers of minor units (cents). Rates are Decimal percentages. A percentage of
an amount is rounded half-up to the cent (ROUND_HALF_UP), computed per line then summed —
the way Canadian receipts show GST and QST separately.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "XOF", "XAF"})


def percent_of(amount: int, rate_percent: Decimal) -> int:
    """`rate_percent` % of `amount` minor units, rounded half-up to a whole minor unit."""
    if not isinstance(amount, int):
        raise TypeError("amounts are integers of minor units")
    value = (Decimal(amount) * Decimal(rate_percent) / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


def to_minor(value: Decimal | str, currency: str) -> int:
    """'12.34' CAD → 1234. Refuses sub-cent precision instead of silently rounding it away."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    quantized = Decimal(value).scaleb(exponent)
    if quantized != quantized.to_integral_value():
        raise ValueError(f"{value} has more precision than {currency} allows")
    return int(quantized)


def to_major(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(amount).scaleb(-exponent)


def format_money(amount: int, currency: str, *, language: str = "en") -> str:
    """1234, CAD → '12.34 $' in French, '$12.34' in English (the symbol is the currency's)."""
    major = to_major(amount, currency)
    symbols = {"CAD": "$", "USD": "$", "AUD": "$", "EUR": "€", "GBP": "£"}
    symbol = symbols.get(currency.upper(), currency.upper())
    sign = "-" if major < 0 else ""
    digits = f"{abs(major):,.2f}" if currency.upper() not in ZERO_DECIMAL_CURRENCIES else f"{abs(major):,.0f}"
    if language.startswith("fr"):
        digits = digits.replace(",", "\u202f").replace(".", ",")
        return f"{sign}{digits}\u00a0{symbol}"
    return f"{sign}{symbol}{digits}"


class MoneyField(forms.DecimalField):
    """A major-units amount whose cleaned value is an int of minor units of `currency`."""

    def __init__(self, *, currency: str = "CAD", allow_zero: bool = False, allow_negative: bool = False, **kwargs):
        self.currency = currency
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        places = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", places)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value):
        # Initial values come from our models in minor units; show them in major units.
        if isinstance(value, int) and not isinstance(value, bool):
            return to_major(value, self.currency)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)

    def clean(self, value):
        decimal = super().clean(value)
        if decimal is None:
            return None
        try:
            minor = to_minor(decimal, self.currency)
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(_("Too many decimals for this currency."), code="precision") from exc
        if minor < 0 and not self.allow_negative:
            raise ValidationError(_("Enter a positive amount."), code="negative")
        if minor == 0 and not self.allow_zero:
            raise ValidationError(_("Enter an amount greater than zero."), code="zero")
        return minor
