"""Forms of invoices and payment links (PAY-11): staff create, filter, void; the client chooses
what to pay on the hosted page. Money is typed in the reader's language ("10,50") and read by
`studio.money.MoneyField`; every text has a maximum length."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models.invoices import TOKEN_MAX_LENGTH, DepositKind, InvoiceStatus, VoidReason
from payments.models.settings import ItemKind
from payments.services.invoices import DUE_DATE_MAX_DAYS, MAX_LINES, LineInput, studio_today
from studio.inputs import BoundedDateField, SafeCharField, WholeNumberField
from studio.models import Client, Location
from studio.money import MoneyField, PercentField


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InvoiceStatus.choices]
    )
    q = SafeCharField(label=_("Client"), required=False, max_length=100)

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        return {"status": self.cleaned_data["status"], "client_query": self.cleaned_data["q"]}


def _tax_choices():
    return [("", _("No tax")), *ItemKind.choices]


class InvoiceLineForm(forms.Form):
    """One line; an empty row is skipped."""

    description = SafeCharField(label=_("Description"), max_length=200, required=False)
    quantity = WholeNumberField(label=_("Quantity"), min_value=1, max_value=1000, required=False)
    unit_price = MoneyField(label=_("Unit price"), required=False, allow_zero=True)
    tax_kind = forms.ChoiceField(label=_("Taxes as"), choices=_tax_choices, required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        filled = data.get("description") or data.get("unit_price") is not None
        if filled:
            if not data.get("description"):
                self.add_error("description", _("Describe what is billed."))
            if data.get("unit_price") is None:
                self.add_error("unit_price", _("Enter a price."))
        return data

    def line(self) -> LineInput | None:
        data = self.cleaned_data
        if not data or not data.get("description") or data.get("unit_price") is None:
            return None
        return LineInput(
            description=data["description"],
            quantity=data.get("quantity") or 1,
            unit_amount=data["unit_price"],
            tax_kind=data.get("tax_kind") or "",
        )


_LINE_INPUT_SIZES = {"description": "22", "quantity": "3", "unit_price": "7"}


class _LineFormSet(forms.BaseFormSet):
    def __init__(self, *args, currency: str = "CAD", **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.fields["unit_price"].currency = self.currency
        # The lines are a table whose column headers name the fields: each input says which line.
        for name, field in form.fields.items():
            field.widget.attrs["aria-label"] = _("%(field)s, line %(n)d") % {"field": field.label, "n": i + 1}
            if name in _LINE_INPUT_SIZES:  # a row of four inputs fits a tablet's width
                field.widget.attrs["size"] = _LINE_INPUT_SIZES[name]
        return form

    def lines(self) -> list[LineInput]:
        return [line for form in self.forms if (line := form.line()) is not None]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Add at least one line (or one amount)."), code="no_lines")


LineFormSet = forms.formset_factory(
    InvoiceLineForm,
    formset=_LineFormSet,
    extra=4,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


class InvoiceForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    due_date = BoundedDateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    deposit_kind = forms.ChoiceField(
        label=_("Deposit"), choices=DepositKind.choices, initial=DepositKind.NONE, widget=forms.RadioSelect
    )
    deposit_amount = MoneyField(label=_("Deposit amount"), required=False)
    deposit_percent = PercentField(
        label=_("Deposit percentage"), required=False, min_value=1, max_value=99, decimal_places=1
    )
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("— none (the client's home location's account) —"),
        help_text=_("Where the work is done: that location's account takes the payment."),
    )
    memo = SafeCharField(
        label=_("Note to the client"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    send_now = forms.BooleanField(label=_("Email the payment link now"), required=False, initial=True)

    def __init__(self, *args, studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["client"].queryset = Client.objects.filter(
            studio=studio, archived_at__isnull=True
        ).order_by("last_name", "first_name")
        self.fields["location"].queryset = Location.objects.filter(
            studio=studio, archived_at__isnull=True, is_home_location=True
        ).order_by("name")
        self.fields["deposit_amount"].currency = studio.currency
        if not self.is_bound:
            self.initial.setdefault("due_date", studio_today(studio=studio) + dt.timedelta(days=14))

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        today = studio_today(studio=self.studio)
        if not today <= due <= today + dt.timedelta(days=DUE_DATE_MAX_DAYS):
            raise forms.ValidationError(_("The due date is between today and two years from now."))
        return due

    def clean(self):
        data = super().clean()
        kind = data.get("deposit_kind")
        if (
            kind == DepositKind.AMOUNT
            and not data.get("deposit_amount")
            and "deposit_amount" not in self.errors
        ):
            self.add_error("deposit_amount", _("Enter the deposit amount."))
        if (
            kind == DepositKind.PERCENT
            and data.get("deposit_percent") is None
            and "deposit_percent" not in self.errors
        ):
            self.add_error("deposit_percent", _("Enter the deposit percentage."))
        return data

    def deposit(self) -> tuple[str, object]:
        kind = self.cleaned_data["deposit_kind"]
        if kind == DepositKind.AMOUNT:
            return kind, self.cleaned_data["deposit_amount"]
        if kind == DepositKind.PERCENT:
            return kind, self.cleaned_data["deposit_percent"]
        return DepositKind.NONE, 0


class VoidForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=VoidReason.choices)


class PayChoice:
    DEPOSIT = "deposit"
    BALANCE = "balance"
    OTHER = "other"


class PayAmountForm(forms.Form):
    """The client's choice on the link: the deposit, the balance, or another amount."""

    choice = forms.ChoiceField(label=_("What do you want to pay?"), widget=forms.RadioSelect)
    other_amount = MoneyField(label=_("Another amount"), required=False)
    pay_token = forms.CharField(widget=forms.HiddenInput, max_length=TOKEN_MAX_LENGTH)

    def __init__(self, *args, invoice, deposit_due: int, balance: int, money, **kwargs):
        super().__init__(*args, **kwargs)
        self.deposit_due = deposit_due
        self.balance = balance
        choices = []
        if 0 < deposit_due < balance:
            choices.append(
                (PayChoice.DEPOSIT, _("The deposit (%(amount)s)") % {"amount": money(deposit_due)})
            )
        choices.append((PayChoice.BALANCE, _("The balance (%(amount)s)") % {"amount": money(balance)}))
        choices.append((PayChoice.OTHER, _("Another amount")))
        self.fields["choice"].choices = choices
        self.fields["choice"].initial = choices[0][0]
        self.fields["other_amount"].currency = invoice.currency
        self.fields["other_amount"].max_amount = max(balance, 1)

    def amount(self) -> int:
        choice = self.cleaned_data["choice"]
        if choice == PayChoice.DEPOSIT:
            return self.deposit_due
        if choice == PayChoice.BALANCE:
            return self.balance
        return self.cleaned_data["other_amount"]

    def clean(self):
        data = super().clean()
        if (
            data.get("choice") == PayChoice.OTHER
            and not data.get("other_amount")
            and "other_amount" not in self.errors
        ):
            self.add_error("other_amount", _("Enter the amount you want to pay."))
        return data
