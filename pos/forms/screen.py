"""The POS screen's forms (POS-1): the selling location, a new sale, the catalogue's search and
"add" buttons, a cart line's −/+ and discount, the cart's discount, the client zone.

Each form only reads the clerk's input; the cart services decide (and refuse with a sentence).
Every text field is bounded; amounts are `MoneyField`s read in the page's language ("10,50").
"""

from __future__ import annotations

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from pos.device import sellable_locations
from pos.models import DiscountKind, LineKind
from studio.forms import ClientForm, SafeTextInputsMixin
from studio.inputs import SafeCharField, WholeNumberField
from studio.models import Client, Studio
from studio.money import MoneyField, PercentField

QUANTITY_MAX = 99  # as the cart services: more of one thing at once is a typo
SEARCH_MAX_LENGTH = 100
CODE_MAX_LENGTH = 64  # Product.sku / Product.barcode
ID_MAX = 2**63 - 1

TOKEN_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("This form has expired: open it again."))


def new_token() -> str:
    """A one-time token for one rendering of "New sale": a double click opens one sale."""
    return secrets.token_urlsafe(24)


def _id_field(**kwargs) -> forms.IntegerField:
    return WholeNumberField(min_value=1, max_value=ID_MAX, widget=forms.HiddenInput, **kwargs)


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class SellingLocationForm(SafeTextInputsMixin, forms.Form):
    """Which home location this device sells from (remembered on the device)."""

    location = LocationChoiceField(
        label=_("Selling location"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of this studio's home locations.")},
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = sellable_locations(studio=studio)


class NewSaleForm(SafeTextInputsMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, validators=[TOKEN_VALIDATOR])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", new_token())


class CatalogueSearchForm(SafeTextInputsMixin, forms.Form):
    """The catalogue's search box: a name to filter by, or a scanned barcode / SKU."""

    q = SafeCharField(
        label=_("Search or scan a barcode"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}),
    )


ADD_KINDS = [
    ("code", _("Barcode or SKU")),
    (LineKind.PRODUCT, LineKind.PRODUCT.label),
    (LineKind.PLAN, LineKind.PLAN.label),
    (LineKind.DROP_IN, LineKind.DROP_IN.label),
    (LineKind.OWED, LineKind.OWED.label),
    (LineKind.CREDIT_TOPUP, LineKind.CREDIT_TOPUP.label),
]


class AddToCartForm(SafeTextInputsMixin, forms.Form):
    """One "add" button of the catalogue, the scanner's Enter, or the credit top-up's amount."""

    kind = forms.ChoiceField(choices=ADD_KINDS, widget=forms.HiddenInput)
    item = _id_field(required=False)  # product, plan, class session or the owed thing's id
    owed_kind = SafeCharField(max_length=20, required=False, widget=forms.HiddenInput)
    q = SafeCharField(max_length=SEARCH_MAX_LENGTH, required=False, label=_("Search or scan a barcode"))
    amount = MoneyField(label=_("Amount"), required=False)

    def __init__(self, *args, currency: str = "CAD", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency.upper()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "code":
            if not (data.get("q") or "").strip():
                self.add_error("q", _("Type or scan a barcode."))
            else:
                data["q"] = data["q"].strip()
        elif kind == LineKind.CREDIT_TOPUP:
            if not data.get("amount") and "amount" not in self.errors:
                self.add_error("amount", _("Enter the amount of credit to add."))
        elif kind and data.get("item") is None and "item" not in self.errors:
            raise ValidationError(_("Choose what to add."))
        if kind == LineKind.OWED and not data.get("owed_kind"):
            raise ValidationError(_("Choose what to add."))
        return data


LINE_ACTIONS = [
    ("inc", _("One more")),
    ("dec", _("One less")),
    ("set", _("Set the quantity")),
    ("remove", _("Remove")),
    ("discount", _("Discount")),
]


class DiscountFields(forms.Form):
    """A discount: an amount off or a percentage off (or none)."""

    discount_kind = forms.ChoiceField(label=_("Discount"), choices=DiscountKind.choices, required=False)
    discount_amount = MoneyField(label=_("Amount off"), required=False, allow_zero=True)
    discount_percent = PercentField(label=_("Percent off"), required=False, min_value=0, max_value=100)

    def __init__(self, *args, currency: str = "CAD", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discount_amount"].currency = currency.upper()

    def clean(self):
        data = super().clean()
        kind = data.get("discount_kind") or ""
        amount_missing = not data.get("discount_amount") and "discount_amount" not in self.errors
        if kind == DiscountKind.AMOUNT and amount_missing:
            self.add_error("discount_amount", _("Enter the amount off."))
        percent_missing = data.get("discount_percent") is None and "discount_percent" not in self.errors
        if kind == DiscountKind.PERCENT and percent_missing:
            self.add_error("discount_percent", _("Enter the percentage off."))
        return data

    def discount(self) -> dict:
        """The cart services' keyword arguments for this discount."""
        kind = self.cleaned_data.get("discount_kind") or ""
        return {
            "kind": kind,
            "amount": (self.cleaned_data.get("discount_amount") or 0) if kind == DiscountKind.AMOUNT else 0,
            "percent": self.cleaned_data.get("discount_percent") if kind == DiscountKind.PERCENT else None,
        }


class CartLineForm(SafeTextInputsMixin, DiscountFields):
    action = forms.ChoiceField(choices=LINE_ACTIONS, widget=forms.HiddenInput)
    quantity = WholeNumberField(label=_("Quantity"), min_value=1, max_value=QUANTITY_MAX, required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "set" and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter a quantity."))
        if data.get("action") != "discount":
            # Only the discount action reads the discount fields: a stray value must not refuse a "+".
            for name in ("discount_kind", "discount_amount", "discount_percent"):
                self.errors.pop(name, None)
        return data


class CartDiscountForm(SafeTextInputsMixin, DiscountFields):
    pass


class CartClientForm(SafeTextInputsMixin, forms.Form):
    """The sale's client, or none (a walk-in)."""

    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This client is not one of this studio's clients.")},
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)


class ClientSearchForm(SafeTextInputsMixin, forms.Form):
    q = SafeCharField(
        label=_("Find a client (name, email or phone)"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    sale = _id_field(required=False)


class QuickClientForm(ClientForm):
    """The studio's own client form, cut to what the front desk asks at the counter."""

    class Meta(ClientForm.Meta):
        fields = ["first_name", "last_name", "email", "phone", "home_location"]
