"""The "sell a membership" form of a client's profile (MEM-2)."""

from __future__ import annotations

import secrets

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from memberships.selectors.plans import plans_for_sale
from memberships.services.sales import Tender
from studio.models import Studio
from studio.money import format_money


def new_sale_token() -> str:
    """A one-time token for one rendering of the form: the same sale, however often it is sent."""
    return secrets.token_urlsafe(24)


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        price = format_money(obj.price_amount, obj.currency, language=get_language() or "en")
        return f"{obj.name} — {price}"


class MembershipSellForm(forms.Form):
    plan = PlanChoiceField(label=_("Plan"), queryset=None, empty_label=None)
    tender = forms.ChoiceField(
        label=_("Paid by"),
        choices=[
            (Tender.SAVED_METHOD, _("The client's saved card (default method)")),
            (Tender.CASH, _("Cash, received now")),
        ],
        widget=forms.RadioSelect,
        initial=Tender.SAVED_METHOD,
    )
    sale_token = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("This form has expired: open it again."))],
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans_for_sale(studio=studio)
        if not self.is_bound:
            self.initial.setdefault("sale_token", new_sale_token())
