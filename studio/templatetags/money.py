"""Money and rates shown in the active language.

`{{ amount|money:currency }}` — integer minor units → "$12.34" / "12,34 $";
`{{ rate|percent }}` — a Decimal or a stored string → "9.975%" / "9,975 %" (OQLF: no-break space);
`{{ amount|major:currency }}` — minor units as an input shows them ("12.50" / "12,50").
"""

from __future__ import annotations

import functools

from django import template
from django.utils.translation import get_language

from studio.money import currency_places, format_decimal, format_money, format_rate, to_major

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _money_text(amount: int, currency: str, language: str) -> str:
    # A pure function of its arguments, and a list repeats its prices: a page of rows pays once each.
    return format_money(amount, currency, language=language)


@register.filter
def money(amount, currency: str = "CAD") -> str:
    """1234|money:"CAD" → "$12.34" in English, "12,34 $" in French; empty for None."""
    if amount is None or amount == "":
        return ""
    return _money_text(int(amount), currency or "CAD", get_language() or "en")


@register.filter
def major(amount, currency: str = "CAD") -> str:
    """1234|major:"CAD" → "12.34" in English, "12,34" in French: a form's value in major units."""
    if amount is None or amount == "":
        return ""
    currency = currency or "CAD"
    return format_decimal(to_major(int(amount), currency), places=currency_places(currency))


@register.filter
def percent(rate) -> str:
    """Decimal("9.975")|percent → "9.975%" in English, "9,975 %" in French; empty for None."""
    if rate is None or rate == "":
        return ""
    return format_rate(rate)
