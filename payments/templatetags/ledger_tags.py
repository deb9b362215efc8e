"""Small display helpers of the ledger pages: routing rules in words, tax rates without trailing zeros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext_lazy as _

from payments.services.routing import Rule

register = template.Library()

RULE_LABELS = {
    Rule.POS_LOCATION: _("rule 1 · location chosen at the point of sale"),
    Rule.ITEM_LOCATION: _("rule 2 · where the purchase takes place"),
    Rule.CLIENT_HOME: _("rule 3 · client's home location"),
    Rule.DEFAULT: _("rule 4 · studio's default account"),
    Rule.ESCROW: _("no account can charge · escrow"),
}


@register.filter
def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


@register.filter
def rate(value) -> str:
    """"9.975" → "9.975", "5.000" → "5" (tax lines store rates as strings)."""
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:f}"
