"""Forms of the till (POS-7): the float at opening, the cash counted at closing, a receipt's email."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from studio.inputs import BoundedEmailField, BoundedInputsMixin, SafeCharField
from studio.models import Studio
from studio.money import MoneyField


def _money(studio: Studio, label, help_text="") -> MoneyField:
    return MoneyField(currency=studio.currency, allow_zero=True, label=label, help_text=help_text)


class TillOpenForm(BoundedInputsMixin, forms.Form):
    # Replaced in __init__ by the same field in the studio's currency.
    opening_float = MoneyField(allow_zero=True, label=_("Float counted in the drawer"))
    location = forms.ModelChoiceField(queryset=None, label=_("Location"), required=False)

    def __init__(self, *args, studio: Studio, locations, ask_location: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opening_float"] = _money(
            studio, _("Float counted in the drawer"), _("The cash in the drawer before the first sale.")
        )
        self.fields["opening_float"].widget.attrs.update({"inputmode": "decimal", "autofocus": True})
        if ask_location:
            self.fields["location"].queryset = locations
            self.fields["location"].required = True
        else:
            del self.fields["location"]


class TillCloseForm(BoundedInputsMixin, forms.Form):
    counted_cash = MoneyField(allow_zero=True, label=_("Cash counted in the drawer"))
    note = SafeCharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counted_cash"] = _money(
            studio, _("Cash counted in the drawer"), _("Everything in the drawer, the float included.")
        )
        self.fields["counted_cash"].widget.attrs.update({"inputmode": "decimal", "autofocus": True})
        self.fields["note"].widget.attrs["maxlength"] = "500"


class ReceiptEmailForm(BoundedInputsMixin, forms.Form):
    email = BoundedEmailField(label=_("Email address"), required=False)
