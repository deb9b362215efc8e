"""Stripe Terminal (POS-2, POS-3): the Terminal locations that mirror ours, and the card readers.

A reader is registered on exactly one connected account — the account of the location it sits
in (PAY-3 rule 1) — inside a Terminal location created on that account on demand to mirror our
location (one per location and account). Only what Stripe reports is stored: label, device
type, serial number, online/offline and when it was last seen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class TerminalLocation(TenantModel):
    """A `terminal.location` on a connected account, mirroring one of our locations."""

    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "payments.ConnectedAccount", on_delete=models.PROTECT, related_name="terminal_locations"
    )
    stripe_location_id = models.CharField(max_length=64, blank=True)  # "" until Stripe answered
    idempotency_key = models.CharField(max_length=120)
    # The account's Terminal configuration (tips on the reader) this location points at, and the
    # tip percentages last applied there ([] = tipping off; None = never applied).
    configuration_id = models.CharField(max_length=64, blank=True)
    tipping_applied = models.JSONField(null=True, blank=True)
    # Numbers the configuration writes' idempotency keys: each new setting is a new request.
    configuration_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "location", "account"], name="one_terminal_location_per_account"
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_location_id or f"terminal location #{self.pk}"


class CardReader(TenantModel):
    """A paired card reader (BBPOS WisePOS E, Stripe S700, or the sandbox's simulated ones)."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("payments.ConnectedAccount", on_delete=models.PROTECT, related_name="readers")
    terminal_location = models.ForeignKey(TerminalLocation, on_delete=models.PROTECT, related_name="readers")
    stripe_reader_id = models.CharField(max_length=64)
    label = models.CharField(_("name"), max_length=60)
    device_type = models.CharField(max_length=40, blank=True)
    serial_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ONLINE)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # unpaired; kept for the ledger's history
    # Numbers renames' idempotency keys (renaming A → B → A must reach Stripe every time).
    revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("card reader")
        verbose_name_plural = _("card readers")
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "stripe_reader_id"], name="card_reader_unique_per_studio"
            ),
        ]
        indexes = [models.Index(fields=["studio", "location"])]

    def __str__(self) -> str:
        return self.label
