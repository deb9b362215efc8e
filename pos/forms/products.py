"""Back-office forms for products and their stock (POS-4)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.services.routing import ItemKind
from pos.models import Product, StockMovement
from pos.services.products import PRODUCT_TAX_KINDS
from pos.services.stock import MAX_STOCK, NOTE_MAX_LENGTH
from studio.forms import SafeTextInputsMixin, TenantModelForm
from studio.inputs import SafeCharField, WholeNumberField
from studio.models import Location, Studio
from studio.money import MoneyField

# The stock fields of the product form: one per home location, named after the location's id.
STOCK_PREFIX = "stock_"
# What the form showed for that count, so that a sale made while the form was open is not undone.
SEEN_PREFIX = "stock_seen_"


class CountField(WholeNumberField):
    """A count of units (ASCII digits only: `studio.inputs.WholeNumberField`), 0 … MAX_STOCK by default."""

    def __init__(self, *, min_value: int = 0, max_value: int = MAX_STOCK, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


def tax_kind_choices() -> list[tuple[str, str]]:
    labels = dict(ItemKind.choices)
    return [(code, labels[code]) for code in PRODUCT_TAX_KINDS]


class ProductForm(TenantModelForm):
    name = SafeCharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    sku = SafeCharField(
        label=_("SKU"),
        max_length=64,
        required=False,
        help_text=_("Your own reference. It can be typed into the search of the point of sale."),
    )
    barcode = SafeCharField(
        label=_("Barcode"),
        max_length=64,
        required=False,
        help_text=_("Scan it here: a barcode scanned at the point of sale adds the product to the sale."),
    )
    # Replaced in __init__ by the same field in the studio's currency.
    price_amount = MoneyField(allow_zero=True, label=_("Price"))
    tax_kind = forms.ChoiceField(label=_("Tax kind"), choices=tax_kind_choices, initial=ItemKind.PRODUCT)
    low_stock_threshold = CountField(
        label=_("Low-stock alert at"),
        help_text=_("The product is flagged when a location has this many or fewer."),
    )

    class Meta(TenantModelForm.Meta):
        model = Product
        fields = [
            "name",
            "description",
            "sku",
            "barcode",
            "price_amount",
            "tax_kind",
            "track_stock",
            "low_stock_threshold",
        ]
        labels = {"track_stock": _("Count the stock of this product")}
        help_texts = {"track_stock": _("Off for a service (a towel rental): it is never out of stock.")}

    def __init__(self, *args, studio: Studio, locations: list[Location], counts: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.locations = locations
        self.fields["price_amount"] = MoneyField(
            currency=studio.currency,
            allow_zero=True,
            label=_("Price"),
            help_text=_("Before taxes. The taxes of its tax kind are added at the till."),
        )
        self.fields["tax_kind"].help_text = _(
            "Decides the taxes charged and which account receives the money."
        )
        self.stock_names = []
        for location in locations:
            name = f"{STOCK_PREFIX}{location.pk}"
            self.fields[name] = CountField(
                label=_("In stock at %(location)s") % {"location": location.name},
                required=False,
                initial=counts.get(location.pk, 0),
            )
            self.fields[f"{SEEN_PREFIX}{location.pk}"] = CountField(
                widget=forms.HiddenInput, required=False, initial=counts.get(location.pk, 0)
            )
            self.stock_names.append(name)

    def stock_fields(self):
        return [self[name] for name in self.stock_names]

    def stock(self) -> dict[int, int]:
        """{location id: count} of the counts the person changed (from what the form showed)."""
        out = {}
        for location in self.locations:
            typed = self.cleaned_data.get(f"{STOCK_PREFIX}{location.pk}")
            seen = self.cleaned_data.get(f"{SEEN_PREFIX}{location.pk}")
            if typed is not None and typed != seen:
                out[location.pk] = typed
        return out


class StockChange:
    RECEIVED = "received"
    COUNTED = "counted"
    REMOVED = "removed"
    CHOICES = [
        (RECEIVED, _("Received: add units")),
        (COUNTED, _("Counted: the shelf holds exactly")),
        (REMOVED, _("Removed: damaged, lost or used")),
    ]


class StockAdjustForm(SafeTextInputsMixin, forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), empty_label=None)
    change = forms.ChoiceField(
        label=_("What happened"), choices=StockChange.CHOICES, widget=forms.RadioSelect, initial="received"
    )
    quantity = CountField(label=_("Units"))
    note = SafeCharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations

    def clean(self):
        data = super().clean()
        if data.get("change") in (StockChange.RECEIVED, StockChange.REMOVED) and data.get("quantity") == 0:
            self.add_error("quantity", _("Enter at least one unit."))
        return data

    @staticmethod
    def reason_for(change: str) -> str:
        return (
            StockMovement.Reason.RECEIVED
            if change == StockChange.RECEIVED
            else StockMovement.Reason.ADJUSTMENT
        )


class ProductFilterForm(SafeTextInputsMixin, forms.Form):
    q = SafeCharField(label=_("Search"), max_length=100, required=False)
    archived = forms.BooleanField(required=False)


class LowStockFilterForm(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False, empty_label=_("Every location")
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
