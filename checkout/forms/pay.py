"""The review-and-pay form (CHK-2) and the checkout settings form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from checkout.models import CardForm
from studio.forms import SafeTextInputsMixin


class PayForm(SafeTextInputsMixin, forms.Form):
    """How the client pays: a saved card of the routed account, a new card (optionally kept, with
    consent), or nothing when credit covers it all; the required waivers ticked one by one."""

    pay_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # The amount the page showed on the Pay button: a cart changed in another tab is not paid blind.
    expected_amount = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)
    method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect, required=False)
    save_card = forms.BooleanField(label=_("Save this card for future purchases"), required=False)
    use_credit = forms.BooleanField(required=False)
    waivers = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label=_("Waivers")
    )

    def __init__(self, *args, saved_cards=(), new_card_label=None, waivers=(), card_needed=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_cards = {str(m.pk): m for m in saved_cards}
        choices = [(f"saved:{m.pk}", str(m)) for m in saved_cards]
        choices.append(("new", new_card_label or _("A new card")))
        self.fields["method"].choices = choices
        self.card_needed = card_needed
        self.fields["waivers"].choices = [(w.pk, w.name) for w in waivers]
        if choices and not self.is_bound:
            self.initial.setdefault("method", choices[0][0])

    def clean(self):
        data = super().clean()
        method = data.get("method") or ""
        if not self.card_needed:
            data["card"], data["saved_method"] = "none", None
            return data
        if not method:
            self.add_error("method", _("Choose how to pay."))
            return data
        if method.startswith("saved:"):
            data["card"], data["saved_method"] = "saved", self.saved_cards.get(method.removeprefix("saved:"))
            data["save_card"] = False
        else:
            data["card"], data["saved_method"] = "new", None
        return data


class CheckoutSettingsForm(SafeTextInputsMixin, forms.Form):
    card_form = forms.ChoiceField(
        label=_("How clients enter a new card"), choices=CardForm.choices, widget=forms.RadioSelect
    )
