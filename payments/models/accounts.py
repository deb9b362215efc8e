"""Connected Stripe accounts (PAY-1, PAY-2) and the global account → studio directory."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class ConnectedAccount(TenantModel):
    """One Stripe connected account of a studio: one legal entity, one bank account."""

    class State(models.TextChoices):
        CREATING = "creating", _("Being created")
        ONBOARDING = "onboarding", _("Onboarding")
        RESTRICTED = "restricted", _("Information needed")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Creation failed")

    display_name = models.CharField(_("name"), max_length=120)
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64, blank=True)
    creation_key = models.CharField(max_length=120, help_text="idempotency key of the account creation")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.CREATING)
    is_default = models.BooleanField(_("default account"), default=False)
    details_submitted = models.BooleanField(_("details submitted"), default=False)
    charges_enabled = models.BooleanField(_("charges enabled"), default=False)
    payouts_enabled = models.BooleanField(_("payouts enabled"), default=False)
    requirements_due = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    requirements_past_due = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    # Stripe's `requirements.current_deadline`: after it, what is still due is really overdue.
    requirements_deadline = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    link_attempts = models.PositiveIntegerField(default=0)  # numbers each onboarding link's idempotency key
    synced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ["-is_default", "display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "stripe_account_id"],
                condition=~models.Q(stripe_account_id=""),
                name="connected_account_unique_per_studio",
            ),
            models.UniqueConstraint(
                fields=["studio"], condition=models.Q(is_default=True), name="one_default_account_per_studio"
            ),
            models.UniqueConstraint(fields=["studio", "creation_key"], name="connected_account_creation_key"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def can_charge(self) -> bool:
        return bool(self.stripe_account_id) and self.charges_enabled


class ConnectedAccountLocation(TenantModel):
    """Which account a home location's money goes to. A location is served by one account."""

    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="served_locations")
    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "location"], name="one_account_per_location")
        ]


class StripeAccountDirectory(models.Model):
    """Global: which studio a Stripe account belongs to. The webhook inbox's only way in.

    Holds no FK into tenant tables (DESIGN.md, Citus-ready).
    """

    stripe_account_id = models.CharField(max_length=64, unique=True)
    studio_id = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("Stripe account directory entry")

    def __str__(self) -> str:
        return f"{self.stripe_account_id} → studio {self.studio_id}"
