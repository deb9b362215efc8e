"""Importing Stripe's "copy customers" mapping file (PAY-10, seed 000)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class MigrationImport(TenantModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Dry run in progress")
        CHECKED = "checked", _("Dry run ready")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")

    target_account = models.ForeignKey(
        "payments.ConnectedAccount", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    content = models.TextField()  # the uploaded CSV, as text
    columns = models.JSONField(default=dict)  # our field → the file's column name
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)  # counts per outcome
    report = models.JSONField(default=list, blank=True)  # one entry per row: outcome and details
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def progress_percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0
