"""The record of every message sent: the outbox.

Studio mail lives in `Message`, a tenant table (non-null studio, scoped manager). Mail sent
outside any studio — a staff member's password reset on the global `/password-reset/` page —
lives in `PlatformMessage`, a global table: tenant tables keep a non-null studio, and the
platform's own mail has none (docs/decisions.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class MessageFields(models.Model):
    """What studio and platform messages share: addressee, rendered parts, delivery state."""

    template = models.CharField(_("template"), max_length=100)
    to_email = models.EmailField(_("to"))
    to_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Bodies holding a secret nobody stores elsewhere (a password-reset token) are blanked once
    # sent unless settings.NOTIFICATIONS_KEEP_SECRET_BODIES (dev and tests keep them).
    redacted = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.template} → {self.to_email}"


class Message(MessageFields, TenantModel):
    """One email a studio sent (or is about to send)."""

    # The addressee when they are one of the studio's clients (a guardian writing for a child
    # is the addressee; `about_client` is the child), or the user when they have a login.
    client = models.ForeignKey(
        "studio.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client"),
    )
    about_client = models.ForeignKey(
        "studio.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["studio", "-created_at"], name="message_studio_created_idx"),
            models.Index(fields=["studio", "client"], name="message_studio_client_idx"),
            models.Index(fields=["studio", "about_client"], name="message_studio_about_idx"),
            models.Index(fields=["studio", "status"], name="message_studio_status_idx"),
        ]


class PlatformMessage(MessageFields):
    """An email sent by the platform itself, outside any studio (global table)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("platform message")
        verbose_name_plural = _("platform messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="platform_message_status_idx")]


class MessageAttachment(TenantModel):
    """A file sent with a studio message (a signed waiver's PDF), kept with it as its body is:
    the worker attaches it when delivering (and again when the sweep resends), and the outbox
    lists it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class MailTemplateOverride(TenantModel):
    """A studio's own version of one mail template in one language (CHK-3): subject and body in
    the restricted format of `studio.notifications.overrides` (plain text, `{placeholder}`, basic
    formatting), checked when saved. Without a row the template's files are sent."""

    template = models.CharField(_("email"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["template", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "template", "language"], name="mail_override_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"
