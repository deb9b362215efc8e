"""Payments taken before a studio can charge are held by the platform (PAY-6, seed 000)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class EscrowPayoutRequest(TenantModel):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    class AccountType(models.TextChoices):  # seed 000: "Professionnel/Personnel"
        BUSINESS = "business", _("Business")
        PERSONAL = "personal", _("Personal")

    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    legal_name = models.CharField(_("legal name of the account holder"), max_length=200)
    account_type = models.CharField(_("account type"), max_length=10, choices=AccountType.choices)
    routing_number = models.CharField(
        _("routing / transit and institution number"), max_length=40, blank=True
    )
    account_number = models.CharField(_("account number or IBAN"), max_length=64)
    bic = models.CharField(_("BIC / SWIFT"), max_length=20, blank=True)
    bank_code = models.CharField(_("bank code"), max_length=20, blank=True)
    address = models.TextField(_("address of the account holder"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_reference = models.CharField(_("transfer reference"), max_length=120, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="escrow_payout_positive")
        ]
