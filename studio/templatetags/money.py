"""`{{ amount|money:currency }}`: integer minor units shown in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from studio.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "CAD") -> str:
    """1234|money:"CAD" → "$12.34" in English, "12,34 $" in French; empty for None."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency or "CAD", language=get_language() or "en")


@register.filter
def major(amount, currency: str = "CAD") -> str:
    """1234|major:"CAD" → "12.34": a form's initial value in major units (no symbol, no grouping)."""
    from studio.money import to_major

    if amount is None or amount == "":
        return ""
    return str(to_major(int(amount), currency or "CAD"))
