"""Waivers, their versions, and what requires them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class WaiverKind(models.TextChoices):
    MEMBERSHIP = "membership", _("Membership waiver")  # shown when buying a membership
    CLIENT = "client", _("Client waiver")  # shown when booking a class
    CHILD = "child", _("Child waiver")  # shown to a guardian booking for a dependant
    CUSTOM = "custom", _("Custom waiver")  # signed from the client's profile


class Waiver(TenantModel):
    """A studio's waiver. Its words are in its versions; `current_version` is the latest
    published one (None while only a draft exists). Archived waivers are no longer asked for
    and never deleted (signatures point at them)."""

    kind = models.CharField(_("kind"), max_length=12, choices=WaiverKind.choices)
    name = models.CharField(_("name"), max_length=120)
    current_version = models.ForeignKey(
        "waivers.WaiverVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("waiver")
        verbose_name_plural = _("waivers")
        constraints = [models.UniqueConstraint(fields=["studio", "name"], name="waiver_name_unique")]

    def __str__(self) -> str:
        return self.name


class WaiverVersion(TenantModel):
    """One text of a waiver. A draft (`published_at` empty) may be edited in place; once
    published its title and bodies never change again (services refuse, and a database trigger
    refuses an UPDATE of the text columns). `resign_required`: on publishing, the studio asked
    every signer of an earlier version to sign again.

    A studio may keep both languages: `body_fr` / `body_en` (sanitised HTML, either may be
    empty but not both); the signer sees their language's text, else the other one."""

    waiver = models.ForeignKey(Waiver, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_fr = models.TextField(_("text (French)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    resign_required = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["waiver_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "waiver", "number"], name="waiver_version_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.waiver} v{self.number}"


class RequirementScope(models.TextChoices):
    STUDIO = "studio", _("Every booking and purchase")
    PLAN = "plan", _("A membership plan")
    CLASS_TEMPLATE = "class_template", _("A class")
    SERVICE = "service", _("An appointment service")


class WaiverRequirement(TenantModel):
    """`waiver` must be signed before booking or buying what `scope`/`target_id` names
    (`target_id` empty for the whole studio). Targets live in other apps (plans, class
    templates, services), which waivers may not import: they are named by scope and id."""

    waiver = models.ForeignKey(Waiver, on_delete=models.CASCADE, related_name="requirements")
    scope = models.CharField(max_length=20, choices=RequirementScope.choices)
    target_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "waiver", "scope", "target_id"],
                name="waiver_requirement_unique",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["studio", "scope", "target_id"], name="waiver_req_target")]


class WaiverSettings(TenantModel):
    """A studio's waiver settings (one row, created on first read)."""

    link_valid_days = models.PositiveSmallIntegerField(_("signing links expire after (days)"), default=7)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio"], name="waiver_settings_one_per_studio")]
