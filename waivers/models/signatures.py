"""Signed records (append-only) and the single-use links emailed to sign."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class SignMethod(models.TextChoices):
    DRAWN = "drawn", _("Drawn signature (in person, or on the client's own account)")
    LINK_DRAWN = "link_drawn", _("Signed from an emailed link (drawn signature)")
    LINK_CHECKBOX = "link_checkbox", _("Accepted from an emailed link (checkbox)")
    CHECKBOX = "checkbox", _("Accepted at checkout or booking (checkbox)")


class WaiverLink(TenantModel):
    """A single-use link emailed to sign `waiver` for `client` (`signer` is the guardian for a
    child waiver, else the client). Only the SHA-256 of the token is stored; the token itself
    is in the emailed URL. `used_at` is set, once, by the signature it produced."""

    waiver = models.ForeignKey("waivers.Waiver", on_delete=models.PROTECT, related_name="links")
    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    token_sha256 = models.CharField(max_length=64)
    sent_to = models.EmailField(max_length=254)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Citus-ready (tests/test_isolation.py): led by studio; links are looked up within a studio.
        constraints = [
            models.UniqueConstraint(fields=["studio", "token_sha256"], name="waiver_link_token_unique")
        ]


class WaiverSignature(TenantModel):
    """What was agreed, by whom, for whom, how and when (WAI-4). Append-only: no service edits
    or deletes one, and a database trigger refuses UPDATE and DELETE.

    `client` is the person the waiver covers; `signer` the person who signed (the guardian for
    a child waiver, else the client). `text_sha256` is the SHA-256 of the exact HTML shown
    (`version.body_<language>`), so the record can be checked against the text at any time.
    `signed_at` is UTC; `time_zone` is the studio's zone name at signing, to show local time."""

    waiver = models.ForeignKey("waivers.Waiver", on_delete=models.PROTECT, related_name="signatures")
    version = models.ForeignKey("waivers.WaiverVersion", on_delete=models.PROTECT, related_name="signatures")
    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="waiver_signatures")
    signer = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    method = models.CharField(max_length=16, choices=SignMethod.choices)
    language = models.CharField(max_length=8)
    text_sha256 = models.CharField(max_length=64)
    signature_png = models.BinaryField(null=True, blank=True)  # drawn signatures only
    signed_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    link = models.OneToOneField(
        WaiverLink, on_delete=models.PROTECT, null=True, blank=True, related_name="signature"
    )
    # The staff member at the tablet, for in-person signing (PROTECT: the row is never updated).
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["studio", "client", "waiver"], name="waiver_sig_client")]
