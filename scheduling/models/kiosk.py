"""Tokens that open a door without a login: the front-desk kiosk and a client's calendar feed.

The kiosk's token lives only in the tablet's cookie (we keep its SHA-256). A feed token is
kept as is: the client's account page shows the feed address again whenever they need it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


def new_token() -> tuple[str, str]:
    """A fresh (token, digest) pair."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KioskSession(TenantModel):
    """A tablet opened as the self check-in kiosk of one location, until staff close it."""

    location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    token_digest = models.CharField(max_length=64)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")
        constraints = [models.UniqueConstraint(fields=["studio", "token_digest"], name="kiosk_token_unique")]

    def __str__(self) -> str:
        return f"Kiosk {self.location}"


class CalendarFeed(TenantModel):
    """A client's private ICS feed of their bookings (one per client; reset by making a new one)."""

    client = models.ForeignKey("studio.Client", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "token"], name="calendar_feed_token_unique"),
            models.UniqueConstraint(fields=["studio", "client"], name="one_calendar_feed_per_client"),
        ]
