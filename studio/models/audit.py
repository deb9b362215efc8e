from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class AuditLog(TenantModel):
    """Append-only record of who did what to which record (CORE-6).

    Rows are never updated or deleted: the model refuses it, and a database trigger (see the
    migration) refuses it too, so not even a raw query can rewrite history.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("record type"), max_length=60, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=False)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["studio", "-created_at"]),
            models.Index(fields=["studio", "action"]),
            models.Index(fields=["studio", "object_type", "object_id"]),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit log entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit log entries are append-only.")
