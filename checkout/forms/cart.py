"""The cart's forms: "add to cart" (the hidden fields the public pages post, CONTRACT "pub") and
a line's quantity. Ids are read as ASCII whole numbers; the objects are found by the view in
the studio's scope (another studio's id is not found)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from checkout.models import OrderLineKind
from checkout.services.cart import MAX_QUANTITY
from studio.inputs import SafeCharField, WholeNumberField, date_in_range

ID_MAX = 2**63 - 1


def _id_field() -> WholeNumberField:
    return WholeNumberField(required=False, min_value=1, max_value=ID_MAX)


class CartAddForm(forms.Form):
    kind = forms.ChoiceField(choices=OrderLineKind.choices)
    plan = _id_field()
    session = _id_field()
    product = _id_field()
    location = _id_field()
    quantity = WholeNumberField(
        label=_("Quantity"), required=False, min_value=1, max_value=MAX_QUANTITY, initial=1
    )
    service = _id_field()
    calendar = _id_field()
    starts_at = SafeCharField(required=False, max_length=40)  # ISO 8601 with its offset (UTC)
    owed_kind = SafeCharField(required=False, max_length=20)
    owed_id = _id_field()
    next = SafeCharField(required=False, max_length=500)
    go = SafeCharField(required=False, max_length=20)

    def clean_starts_at(self) -> dt.datetime | None:
        value = (self.cleaned_data.get("starts_at") or "").strip()
        if not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        # An instant needs its offset; inside the studio calendar no zone conversion overflows.
        if moment is None or moment.tzinfo is None or not date_in_range(moment):
            raise forms.ValidationError(_("Choose a time."), code="starts_at")
        return moment

    def clean_quantity(self):
        return self.cleaned_data.get("quantity") or 1


class CartLineForm(forms.Form):
    quantity = WholeNumberField(label=_("Quantity"), required=False, min_value=1, max_value=MAX_QUANTITY)
    action = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("remove", "remove"), ("more", "more"), ("less", "less"), ("set", "set")],
    )
