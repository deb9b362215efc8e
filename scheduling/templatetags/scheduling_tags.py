"""Template helpers for scheduling pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def money(amount: int | None, currency: str = "") -> str:
    """Integer minor units as a localised amount: 4550, "CAD" → "45,50 CAD" / "45.50 CAD"."""
    if amount is None:
        return ""
    value = formats.number_format(Decimal(amount) / 100, 2, use_l10n=True)
    return f"{value} {currency}".strip()


@register.filter
def short_name(client) -> str:
    """First name and last initial: all the kiosk may show of a client."""
    initial = f" {client.last_name[:1]}." if client.last_name else ""
    return f"{client.first_name}{initial}"
