"""Invoices and payment links with deposits (PAY-11).

An invoice bills a client for lines (or one amount) with their taxes; its hosted token makes the
payment link `/<studio>/pay/<token>/`, where the client pays the deposit, any part or the whole.
Each part is an `InvoicePayment` with its own ledger `Payment` (source kind `invoice`); what the
invoice counts as paid (`amount_paid`) is recomputed from those payments' final states, so a
webhook heard twice or a return racing the webhook never counts a part twice.

Money is integer minor units of the invoice's currency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from studio.tenancy import TenantModel

#: Length of `secrets.token_urlsafe(32)`: what the link's token and the pay tokens hold.
TOKEN_MAX_LENGTH = 43


class InvoiceStatus(models.TextChoices):
    # An invoice is feminine in French, and "Open" here is a state, not the verb of a link.
    OPEN = "open", pgettext_lazy("invoice state", "Open")
    PAID = "paid", _("Paid in full")
    VOID = "void", pgettext_lazy("invoice state", "Cancelled")


class DepositKind(models.TextChoices):
    NONE = "none", _("No deposit")
    AMOUNT = "amount", _("A fixed amount")
    PERCENT = "percent", _("A percentage of the total")


class VoidReason(models.TextChoices):
    """Why staff cancelled an invoice: stored as a code, worded at display time."""

    MISTAKE = "mistake", _("Created by mistake")
    REPLACED = "replaced", _("Replaced by another invoice")
    CLIENT_CANCELLED = "client_cancelled", _("The client cancelled")
    OTHER = "other", _("Other reason")


class Invoice(TenantModel):
    """A bill sent to a client with its payment link; `total` = `subtotal` + `tax_total`."""

    number = models.PositiveIntegerField(_("number"))
    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField(_("subtotal"), default=0)
    tax_lines = models.JSONField(default=list, blank=True)  # [{"name", "rate", "amount"}], summed over lines
    tax_total = models.BigIntegerField(_("taxes"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    # What succeeded payments (less their refunds) paid of the total: card fees excluded.
    amount_paid = models.BigIntegerField(_("paid"), default=0)
    deposit_kind = models.CharField(
        _("deposit"), max_length=10, choices=DepositKind.choices, default=DepositKind.NONE
    )
    # The typed value: minor units for AMOUNT, a percentage for PERCENT (kept to show it back).
    deposit_value = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    deposit_amount = models.BigIntegerField(_("deposit"), default=0)
    due_date = models.DateField(_("due date"))
    token = models.CharField(max_length=TOKEN_MAX_LENGTH)
    link_expires_at = models.DateTimeField(_("link valid until"))
    # Where the work is done, when it belongs to one place: its account takes the payments (PAY-3).
    location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    memo = models.CharField(_("note to the client"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=20, choices=VoidReason.choices, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Reminders (once each): a few days before the due date, and on it.
    reminder_before_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_due_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "number"], name="invoice_number_unique_per_studio"),
            models.UniqueConstraint(fields=["studio", "token"], name="invoice_token_unique_per_studio"),
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0)
                & models.Q(tax_total__gte=0)
                & models.Q(total__gt=0)
                & models.Q(amount_paid__gte=0)
                & models.Q(deposit_amount__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_paid__lte=models.F("total")), name="invoice_never_overpaid"
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_amount__lte=models.F("total")), name="invoice_deposit_within_total"
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "status", "due_date"]),
            models.Index(fields=["studio", "client"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def balance_due(self) -> int:
        return max(0, self.total - self.amount_paid)

    @property
    def deposit_due(self) -> int:
        """What is left of the deposit to pay (nothing once the paid part covers it)."""
        return max(0, min(self.deposit_amount, self.total) - self.amount_paid)


class InvoiceLine(TenantModel):
    """One line of an invoice; its taxes follow the payments tax rates of its `tax_kind`."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_amount = models.BigIntegerField(_("unit price"))
    # An ItemKind code ("product", "other"…) whose tax rates apply; "" for an untaxed line.
    tax_kind = models.CharField(_("taxes"), max_length=20, blank=True)
    amount = models.BigIntegerField(_("amount"))  # quantity × unit price
    tax_lines = models.JSONField(default=list, blank=True)
    tax_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["studio", "invoice"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_amount__gte=0)
                & models.Q(amount__gte=0)
                & models.Q(tax_amount__gte=0),
                name="invoice_line_amounts_not_negative",
            ),
        ]


class InvoicePayment(TenantModel):
    """One part paid (or being paid) on the payment link: `amount` of the balance, plus its card fee.

    `pay_token` is the hosted form's one-time token: a second submit of the same form (a double
    click, a reload) finds this row instead of starting another payment.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="parts")
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField(_("amount"))
    card_fee = models.BigIntegerField(_("card fee"), default=0)
    pay_token = models.CharField(max_length=TOKEN_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "pay_token"], name="invoice_payment_token_unique_per_studio"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0) & models.Q(card_fee__gte=0),
                name="invoice_payment_amounts_positive",
            ),
        ]
        indexes = [models.Index(fields=["studio", "invoice"])]
