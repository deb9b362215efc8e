"""Generated documents kept for download, one studio's each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class StoredDocument(TenantModel):
    """A generated PDF. The bytes live in the row: documents are small (a receipt is tens of
    kilobytes), stay inside the tenant's own table (scoped, Citus-distributed with it) and are
    never reachable through a public media URL (docs/decisions.md)."""

    title = models.CharField(_("title"), max_length=200)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=8)
    content = models.BinaryField()
    size = models.PositiveIntegerField(_("size"))
    # Who may download it besides the studio's staff with this permission (the creating app
    # decides: a receipt is view_reports, a waiver manage_waivers).
    permission = models.CharField(max_length=40)
    client = models.ForeignKey(
        "studio.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["studio", "client"], name="document_studio_client_idx")]

    def __str__(self) -> str:
        return self.title
