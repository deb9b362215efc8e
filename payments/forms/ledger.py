"""Forms of the ledger, refunds, credit, escrow, fees/taxes and routing pages.

Amounts are typed in the studio currency's major units ("12.50") and converted with `to_minor`,
which refuses sub-cent precision instead of rounding it away.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from payments.models import EscrowPayoutRequest, Payment, PaymentSettings, Refund, TaxRate
from payments.models.settings import Channel, ItemKind
from payments.services import escrow as escrow_services
from studio.models import Client, Location, Studio
from studio.money import MoneyField, PercentField, to_major
from studio.templatetags.money import money

#: The most one credit adjustment may add, in minor units (10 000.00 in a two-decimal currency): a
#: typo of a few extra digits is refused instead of giving a client a fortune in credit.
CREDIT_ADJUST_MAX = 1_000_000


class RefundForm(forms.Form):
    """A refund, in two steps: this form, then a confirmation stating the amount and where it goes.

    The amount is never pre-filled: a click on "Refund" must not give everything back by default.
    """

    amount = MoneyField(label=_("Amount to refund"))
    destination = forms.ChoiceField(
        label=_("Refund to"), choices=Refund.Destination.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    seen_refunded = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        # What was already refunded when the form was shown: a double submit is refused, not repeated.
        self.initial.setdefault("seen_refunded", payment.amount_refunded)
        self.fields["amount"] = MoneyField(
            label=_("Amount to refund"),
            currency=payment.currency,
            max_amount=max(payment.refundable, 1),
            help_text=_("At most %(amount)s (what is left to refund); less for a partial refund.")
            % {"amount": money(payment.refundable, payment.currency)},
        )
        choices = list(Refund.Destination.choices)
        if payment.client_id is None:
            choices = [c for c in choices if c[0] != Refund.Destination.CREDIT]
        if payment.method == Payment.Method.CREDIT:
            choices = [c for c in choices if c[0] != Refund.Destination.ORIGINAL]
        self.fields["destination"].choices = choices
        self.initial.setdefault("destination", choices[0][0])

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.payment.refundable:
            raise ValidationError(
                _("At most %(amount)s can be refunded.")
                % {"amount": money(self.payment.refundable, self.payment.currency)},
                code="too_much",
            )
        return amount

    def consequence(self) -> str:
        """What confirming will do, in words: said on the confirmation step (valid form only)."""
        data = self.cleaned_data
        amount = money(data["amount"], self.payment.currency)
        left = money(self.payment.refundable - data["amount"], self.payment.currency)
        if data["destination"] == Refund.Destination.CREDIT:
            done = _("%(amount)s will be added to %(client)s's studio credit; the card is not refunded.") % {
                "amount": amount,
                "client": self.payment.client.full_name if self.payment.client else "",
            }
        elif self.payment.method == Payment.Method.CASH:
            done = _("Hand %(amount)s back to the client in cash: the payment was made in cash.") % {
                "amount": amount
            }
        else:
            done = _(
                "%(amount)s will be sent back to the payment method the client paid with, through Stripe; it "
                "usually reaches them within 5 to 10 business days."
            ) % {"amount": amount}
        rest = (
            _("The payment will be fully refunded.")
            if data["amount"] == self.payment.refundable
            else _("%(left)s will remain refundable.") % {"left": left}
        )
        return " ".join(str(part) for part in (done, rest, _("A refund cannot be undone.")))


class CreditAdjustForm(forms.Form):
    """Add or remove studio credit, with a reason; one adjustment is bounded (`CREDIT_ADJUST_MAX`)."""

    ADD, REMOVE = "add", "remove"
    direction = forms.ChoiceField(
        label=_("Change"),
        choices=[(ADD, _("Add credit")), (REMOVE, _("Remove credit"))],
        widget=forms.RadioSelect,
        initial=ADD,
    )
    amount = MoneyField(label=_("Amount"))
    # The balance the page showed: a second click on the same form is refused as stale.
    seen_balance = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    note = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept in the client's credit history and the audit log."),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"] = MoneyField(
            label=_("Amount"),
            currency=currency,
            max_amount=CREDIT_ADJUST_MAX,
            help_text=_("At most %(amount)s at a time.") % {"amount": money(CREDIT_ADJUST_MAX, currency)},
        )

    @property
    def signed_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == self.ADD else -amount


class EscrowPayoutForm(forms.Form):
    """Seed 000's list: legal name, account type, routing/transit, account/IBAN, BIC/SWIFT, bank code, address."""

    amount = MoneyField(label=_("Amount to pay out"))
    legal_name = forms.CharField(label=_("Legal name of the account holder"), max_length=200)
    account_type = forms.ChoiceField(label=_("Account type"), choices=EscrowPayoutRequest.AccountType.choices)
    routing_number = forms.CharField(
        label=_("Transit and institution number / routing number"),
        max_length=40,
        required=False,
        help_text=_(
            "Canada: transit (5 digits) and institution (3 digits), e.g. 12345-003. "
            "US: the 9-digit ABA number. Not needed with an IBAN."
        ),
    )
    account_number = forms.CharField(label=_("Account number or IBAN"), max_length=64)
    bic = forms.CharField(label=_("BIC / SWIFT (if any)"), max_length=20, required=False)
    bank_code = forms.CharField(label=_("Bank code (if any)"), max_length=20, required=False)
    address = forms.CharField(
        label=_("Address of the account holder"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, studio: Studio, balance: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.balance = balance
        self.currency = studio.currency
        self.fields["amount"] = MoneyField(label=_("Amount to pay out"), currency=studio.currency)
        self.fields["amount"].widget.attrs["max"] = str(to_major(balance, studio.currency))
        if balance > 0:
            self.initial.setdefault("amount", to_major(balance, studio.currency))

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.balance:
            raise ValidationError(
                _("At most %(amount)s is held in escrow.") % {"amount": money(self.balance, self.currency)},
                code="too_much",
            )
        return amount

    def clean_account_number(self):
        return escrow_services.clean_account_number(self.cleaned_data["account_number"])

    def clean_routing_number(self):
        return escrow_services.clean_routing_number(self.cleaned_data["routing_number"])

    def clean_bic(self):
        return escrow_services.clean_bic(self.cleaned_data["bic"])

    def clean(self):
        data = super().clean()
        number = data.get("account_number")
        if number and not escrow_services.looks_like_iban(number) and not data.get("routing_number"):
            self.add_error(
                "routing_number",
                _("A domestic account number needs its transit and institution (routing) number."),
            )
        return data


class CardFeeForm(forms.Form):
    card_fee_mode = forms.ChoiceField(
        label=_("Card fees"), choices=PaymentSettings.FeeMode.choices, widget=forms.RadioSelect
    )
    card_fee_percent = PercentField(
        label=_("Card fee (%)"), min_value=Decimal(0), max_value=Decimal(10), max_digits=5, decimal_places=3
    )
    card_fee_fixed = MoneyField(label=_("Card fee, fixed part"), allow_zero=True)

    def __init__(self, *args, settings: PaymentSettings, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card_fee_fixed"] = MoneyField(
            label=_("Card fee, fixed part"),
            currency=currency,
            allow_zero=True,
            help_text=_("In %(currency)s, e.g. 0.30.") % {"currency": currency},
        )
        self.initial.setdefault("card_fee_mode", settings.card_fee_mode)
        self.initial.setdefault("card_fee_percent", settings.card_fee_percent)
        self.initial.setdefault("card_fee_fixed", to_major(settings.card_fee_fixed, currency))


class TaxRateForm(forms.ModelForm):
    rate = PercentField(label=_("Rate (%)"), max_digits=6, decimal_places=3)
    item_kinds = forms.MultipleChoiceField(
        label=_("Applies to"), choices=ItemKind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = TaxRate
        fields = ["name", "rate", "item_kinds", "position"]
        labels = {"position": _("Order on receipts")}

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate is None or rate < 0 or rate > 100:
            raise ValidationError(_("A rate is between 0 and 100 %."))
        return rate


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Client or description"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    account = forms.ChoiceField(label=_("Account"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Payment.Status.choices]
        self.fields["account"].choices = [
            ("", _("All accounts")),
            *[(str(a.pk), a.display_name) for a in accounts],
            ("escrow", _("Escrow (platform)")),
        ]

    def values(self) -> dict:
        if not self.is_valid():
            return {"status": "", "account": "", "search": "", "date_from": None, "date_to": None}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "account": data.get("account") or "",
            "search": (data.get("q") or "").strip(),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class RoutingForm(forms.Form):
    """Any combination PAY-3 looks at. Every field is optional so htmx can answer as it is filled in."""

    channel = forms.ChoiceField(label=_("Sold"), choices=Channel.choices, initial=Channel.ONLINE)
    item_kind = forms.ChoiceField(
        label=_("What is bought"), choices=ItemKind.choices, initial=ItemKind.MEMBERSHIP
    )
    item_location = forms.ModelChoiceField(
        label=_("Where the class, appointment or product is"),
        required=False,
        queryset=Location.objects.none(),
        empty_label=_("No location"),
    )
    client_q = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": _("Name or email")}
        ),
    )
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, widget=forms.HiddenInput)
    client_home_location = forms.ModelChoiceField(
        label=_("…or the client's home location"),
        required=False,
        queryset=Location.objects.none(),
        empty_label=_("None"),
        help_text=_("Used when no client is chosen."),
    )
    pos_location = forms.ModelChoiceField(
        label=_("Location chosen at the point of sale"),
        required=False,
        queryset=Location.objects.none(),
        empty_label=_("None"),
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(studio=studio, archived_at__isnull=True).order_by("name")
        homes = locations.filter(is_home_location=True)
        self.fields["item_location"].queryset = locations
        self.fields["client_home_location"].queryset = homes
        self.fields["pos_location"].queryset = homes
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)
