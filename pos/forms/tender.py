"""The tender panel's forms (tender): one small form per way of paying, each with its one-time
token (two tabs or twenty POSTs of one form make one tender), amounts typed in the reader's
language ("10,50" in French) and prefilled with the balance."""

from __future__ import annotations

import secrets

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from studio.money import MoneyField

_TOKEN = RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("This form has expired: open it again."))


def new_tender_token() -> str:
    """A one-time token for one rendering of a tender form."""
    return secrets.token_urlsafe(24)


class TenderKindForm(forms.Form):
    """Which of the forms below a POST is (the panel's buttons each send their own)."""

    kind = forms.ChoiceField(
        choices=[
            ("cash", _("Cash")),
            ("credit", _("Studio credit")),
            ("saved_card", _("Saved card")),
            ("manual_card", _("Card entered by hand")),
            ("reader", _("Card reader")),
        ]
    )


class _TenderForm(forms.Form):
    kind_code = ""
    amount = MoneyField(label=_("Amount"), max_amount=100_000_000)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, validators=[_TOKEN])

    def __init__(self, *args, currency: str, balance: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency.upper()
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        if not self.is_bound:
            self.initial.setdefault("amount", balance or None)
            self.initial.setdefault("token", new_tender_token())

    @property
    def kind(self) -> str:
        return self.kind_code


class CashTenderForm(_TenderForm):
    kind_code = "cash"
    cash_received = MoneyField(label=_("Cash received"), max_amount=100_000_000)

    def __init__(self, *args, currency: str, balance: int, **kwargs):
        super().__init__(*args, currency=currency, balance=balance, **kwargs)
        self.fields["cash_received"].currency = currency.upper()
        self.fields["cash_received"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        if not self.is_bound:
            self.initial.setdefault("cash_received", balance or None)

    def clean(self):
        data = super().clean()
        amount, received = data.get("amount"), data.get("cash_received")
        if amount is not None and received is not None and received < amount:
            self.add_error("cash_received", _("The cash received must be at least the amount paid in cash."))
        return data


class CreditTenderForm(_TenderForm):
    kind_code = "credit"

    def __init__(self, *args, currency: str, balance: int, credit: int | None = None, **kwargs):
        shown = balance if credit is None else self.payable(balance=balance, credit=credit)
        super().__init__(*args, currency=currency, balance=shown, **kwargs)

    @staticmethod
    def payable(*, balance: int, credit: int) -> int:
        """What the credit can pay, its form's prefill: the balance, or all the credit when it is less."""
        return min(balance, max(credit, 0))


class SavedCardTenderForm(_TenderForm):
    kind_code = "saved_card"
    saved_method = forms.TypedChoiceField(label=_("Card"), coerce=int, choices=())

    def __init__(self, *args, currency: str, balance: int, cards=(), **kwargs):
        super().__init__(*args, currency=currency, balance=balance, **kwargs)
        self.fields["saved_method"].choices = [(card.pk, _card_label(card)) for card in cards]


class _NewCardForm(_TenderForm):
    save_card = forms.BooleanField(label=_("Save this card for future purchases"), required=False)
    consent = forms.BooleanField(
        label=_("The client agrees that the studio keeps this card for future purchases"), required=False
    )

    def __init__(self, *args, may_save: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_save:
            # Without the permission (or without a client) there is no "save for future" at all.
            del self.fields["save_card"]
            del self.fields["consent"]

    def clean(self):
        data = super().clean()
        if data.get("save_card") and not data.get("consent"):
            self.add_error("consent", _("Tick the client's consent to keep the card for future purchases."))
        return data


class ManualCardTenderForm(_NewCardForm):
    kind_code = "manual_card"


class ReaderTenderForm(_NewCardForm):
    kind_code = "reader"
    reader = forms.TypedChoiceField(label=_("Card reader"), coerce=int, choices=())

    def __init__(self, *args, readers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reader"].choices = [(reader.pk, reader.label) for reader in readers]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is the sale abandoned?"), max_length=200, required=False)


FORMS = {
    form.kind_code: form
    for form in (
        CashTenderForm,
        CreditTenderForm,
        SavedCardTenderForm,
        ManualCardTenderForm,
        ReaderTenderForm,
    )
}


def _card_label(card) -> str:
    brand = (card.brand or "").capitalize() or str(_("Card"))
    expiry = f" {card.exp_month:02d}/{card.exp_year % 100:02d}" if card.exp_month and card.exp_year else ""
    return f"{brand} •••• {card.last4}{expiry}"
