"""Saved payment methods (SPM-1 … SPM-8) and the Stripe customers they hang on.

A saved method lives on the connected account where it was created (SPM-4); a client has one
Stripe customer per account, created on first need. Only brand, last 4, expiry (cards) or bank
name, last 4 and holder (banks) are stored — never a number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel

MAX_SAVED_METHODS = 5


class StripeCustomer(TenantModel):
    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="stripe_customers")
    account = models.ForeignKey(
        "payments.ConnectedAccount", on_delete=models.PROTECT, related_name="customers"
    )
    stripe_customer_id = models.CharField(max_length=64, blank=True)  # "" until Stripe answered
    idempotency_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "client", "account"], name="one_stripe_customer_per_account"
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_customer_id or f"customer #{self.pk}"


class SavedPaymentMethod(TenantModel):
    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        ACSS_DEBIT = "acss_debit", _("Bank account (pre-authorized debit)")
        US_BANK_ACCOUNT = "us_bank_account", _("US bank account")

    class Source(models.TextChoices):
        STAFF = "staff", _("Saved by staff on the profile")
        CLIENT = "client", _("Saved by the client")
        POS = "pos", _("Saved during a sale")
        CHECKOUT = "checkout", _("Saved at checkout")
        MIGRATION = "migration", _("Migrated from another Stripe account")

    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="saved_methods")
    account = models.ForeignKey(
        "payments.ConnectedAccount", on_delete=models.PROTECT, related_name="saved_methods"
    )
    customer = models.ForeignKey(StripeCustomer, on_delete=models.PROTECT, related_name="methods")
    stripe_payment_method_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    brand = models.CharField(max_length=40, blank=True)  # card brand
    bank_name = models.CharField(max_length=100, blank=True)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    account_holder = models.CharField(max_length=120, blank=True)
    # Stripe's fingerprint of the card or bank number: the same card saved twice has the same one.
    fingerprint = models.CharField(max_length=64, blank=True)
    is_default = models.BooleanField(default=False)
    source = models.CharField(max_length=12, choices=Source.choices)
    consent_at = models.DateTimeField(null=True, blank=True)
    mandate_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved payment method")
        verbose_name_plural = _("saved payment methods")
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "account", "stripe_payment_method_id"],
                name="saved_method_unique_per_account",
            ),
            models.UniqueConstraint(
                fields=["studio", "client", "account"],
                condition=models.Q(is_default=True),
                name="one_default_method_per_client_account",
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "client"]),
            models.Index(fields=["studio", "account", "fingerprint"]),
        ]

    def __str__(self) -> str:
        return f"{self.label} ••••{self.last4}"

    @property
    def label(self) -> str:
        if self.kind == self.Kind.CARD:
            return (self.brand or "card").replace("_", " ").title()
        return self.bank_name or str(self.get_kind_display())

    def is_expired(self, today) -> bool:
        if self.kind != self.Kind.CARD or not self.exp_year or not self.exp_month:
            return False
        return (self.exp_year, self.exp_month) < (today.year, today.month)


class SetupRequest(TenantModel):
    """One attempt to save a method: the SetupIntent we created and who asked, with consent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SAVED = "saved", _("Saved")
        FAILED = "failed", _("Failed")

    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("payments.ConnectedAccount", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(StripeCustomer, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=SavedPaymentMethod.Kind.choices)
    source = models.CharField(max_length=12, choices=SavedPaymentMethod.Source.choices)
    idempotency_key = models.CharField(max_length=120)
    stripe_setup_intent_id = models.CharField(max_length=64, blank=True)
    client_secret = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_message = models.CharField(max_length=300, blank=True)
    make_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "idempotency_key"], name="setup_request_key_unique")
        ]
