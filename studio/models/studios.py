import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6f5c."))

RESERVED_SLUGS = frozenset(
    {
        "admin",
        "login",
        "logout",
        "signup",
        "webhooks",
        "healthz",
        "static",
        "media",
        "i18n",
        "invite",
        "password-reset",
        "reset",
        "outbox",
        "api",
        "account",
        "accounts",
        "manage",
        "www",
        "help",
        "studios",
    }
)


class Currency(models.TextChoices):
    CAD = "CAD", "CAD $"
    USD = "USD", "USD $"
    EUR = "EUR", "EUR €"
    GBP = "GBP", "GBP £"
    AUD = "AUD", "AUD $"


class Studio(models.Model):
    """The tenant. Global table (the studios directory)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address"), max_length=50, unique=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CAD)
    country = models.CharField(_("country"), max_length=2, default="CA")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Toronto", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, default="fr", choices=[("fr", _("French")), ("en", _("English"))]
    )
    bio = models.TextField(_("about the studio"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    brand_primary = models.CharField(
        _("main colour"), max_length=7, default="#1f6f5c", validators=[hex_colour]
    )
    brand_accent = models.CharField(
        _("accent colour"), max_length=7, default="#e0a43a", validators=[hex_colour]
    )
    brand_font = models.CharField(
        _("font"),
        max_length=40,
        default="system",
        choices=[
            ("system", _("System")),
            ("serif", _("Serif")),
            ("rounded", _("Rounded")),
            ("mono", _("Monospace")),
        ],
    )
    checkout_text = models.TextField(
        _("checkout text"), blank=True, help_text=_("Shown to clients above the pay button.")
    )
    require_home_location = models.BooleanField(
        _("clients must choose a home location"),
        default=False,
        help_text=_("Needed when locations are paid into different bank accounts."),
    )
    late_cancel_window_minutes = models.PositiveIntegerField(
        _("late-cancellation window (minutes)"), default=60
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("studio")
        verbose_name_plural = _("studios")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This web address is reserved; choose another.")})


class Location(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("province / state"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CA")
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    is_home_location = models.BooleanField(
        _("home location"),
        default=True,
        help_text=_("Clients can belong to it; it can sell at the POS and have its own payment account."),
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "name"], name="location_name_unique_per_studio")
        ]
        indexes = [models.Index(fields=["studio", "archived_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Room(TenantModel):
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("location")
    )
    name = models.CharField(_("name"), max_length=120)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return self.name
