from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class Client(TenantModel):
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("fr", _("French")), ("en", _("English"))]
    )
    home_location = models.ForeignKey(
        "studio.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="home_clients",
        verbose_name=_("home location"),
    )
    # The client's own login on the studio's hosted pages (CORE-5); dependants usually have none.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_profiles",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "user"],
                condition=models.Q(user__isnull=False),
                name="one_client_profile_per_user_per_studio",
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "last_name", "first_name"]),
            models.Index("studio", Lower("email"), name="client_studio_email_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def preferred_language(self) -> str:
        return self.language or self.studio.language


class FamilyLink(TenantModel):
    """A guardian may book and sign for a dependant (CORE-4)."""

    class Relationship(models.TextChoices):
        PARENT = "parent", _("Parent")
        GUARDIAN = "guardian", _("Legal guardian")
        OTHER = "other", _("Other")

    guardian = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="dependant_links")
    dependant = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.PARENT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        constraints = [
            models.UniqueConstraint(fields=["studio", "guardian", "dependant"], name="family_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("dependant")), name="family_link_not_self"
            ),
        ]
