"""A studio's payment settings: card-fee pass-through (PAY-8), platform fee, taxes (PAY-9)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.money import format_rate
from studio.tenancy import TenantModel


class ItemKind(models.TextChoices):
    """What a payment is for; routing (PAY-3) and taxes (PAY-9) depend on it."""

    CLASS_BOOKING = "class_booking", _("Class booking")
    PAYMENT_PLAN = "payment_plan", _("Payment-plan instalment")
    APPOINTMENT = "appointment", _("Appointment")
    PRODUCT = "product", _("Retail product")
    MEMBERSHIP = "membership", _("Membership")
    RENEWAL = "renewal", _("Membership renewal")
    PENALTY = "penalty", _("Late-cancel or no-show fee")
    POS_SALE = "pos_sale", _("Point-of-sale sale")  # a POS tender: its cart's taxes are computed per line
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    POS = "pos", _("Point of sale")
    ONLINE = "online", _("Online")


class PaymentSettings(TenantModel):
    class FeeMode(models.TextChoices):
        ABSORB = "absorb", _("The studio absorbs card fees")
        PASS_ON = "pass_on", _("Clients pay the card fee as its own line")

    card_fee_mode = models.CharField(
        _("card fees"), max_length=10, choices=FeeMode.choices, default=FeeMode.ABSORB
    )
    card_fee_percent = models.DecimalField(
        _("card fee (%)"),
        max_digits=5,
        decimal_places=3,
        default=Decimal("2.900"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    card_fee_fixed = models.PositiveIntegerField(_("card fee, fixed part (cents)"), default=30)
    application_fee_percent = models.DecimalField(
        _("platform fee (%)"),
        max_digits=5,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    application_fee_fixed = models.PositiveIntegerField(_("platform fee, fixed part (cents)"), default=0)
    saved_methods_enabled = models.BooleanField(_("saved payment methods"), default=False)
    saved_methods_terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    saved_methods_terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # Tips on the card readers (POS-3), as the POS settings last asked: whole percentages, or
    # None for tipping off. Payments keeps the wish so readers paired later get it too.
    terminal_tip_percentages = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio"], name="one_payment_settings_per_studio")]


class TaxRate(TenantModel):
    name = models.CharField(_("name"), max_length=60)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    item_kinds = ArrayField(
        models.CharField(max_length=20, choices=ItemKind.choices),
        default=list,
        blank=True,
        verbose_name=_("applies to"),
    )
    position = models.PositiveSmallIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "name"], name="tax_rate_name_unique_per_studio")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({format_rate(self.rate)})"
