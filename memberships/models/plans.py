"""Plans (MEM-1): subscriptions, passes, class packs and payment plans a studio sells."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class PlanKind(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Subscription (renews automatically)")
    PASS = "pass", _("Pass")
    PACK = "pack", _("Class pack")
    PAYMENT_PLAN = "payment_plan", _("Payment plan (instalments)")


class IntervalUnit(models.TextChoices):
    DAY = "day", _("days")
    WEEK = "week", _("weeks")
    MONTH = "month", _("months")
    YEAR = "year", _("years")


class PassStart(models.TextChoices):
    """When a pass of a duration starts counting (a pass over fixed dates ignores this)."""

    PURCHASE = "purchase", _("From the purchase")
    FIRST_USE = "first_use", _("From the first class")


class Plan(TenantModel):
    """What a client can buy. Never deleted once sold: archived (`archived_at`) instead.

    Which fields matter depends on `kind`:
    - subscription: `interval_count`×`interval_unit`, `commitment_periods`, `signup_fee_amount`;
    - pass: either `pass_starts_on`..`pass_ends_on` (fixed dates, inclusive) or a duration
      `interval_count`×`interval_unit` counted from `pass_start`;
    - pack: `pack_credits`, `pack_expires_after_days` (None: never);
    - payment plan: `instalment_count` charges of `price_amount`, one per interval, for a course
      held at `location` (routing rule 2).
    `credits_per_period` None means unlimited (subscriptions, passes, payment plans).
    """

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PlanKind.choices)
    price_amount = models.BigIntegerField(_("price"), validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3)
    # A payments.models.settings.ItemKind code: decides the taxes (PAY-9) and the routing rule.
    tax_kind = models.CharField(_("tax kind"), max_length=20, default="membership")
    interval_unit = models.CharField(
        _("every"), max_length=8, choices=IntervalUnit.choices, default=IntervalUnit.MONTH
    )
    interval_count = models.PositiveSmallIntegerField(
        _("interval"), default=1, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    commitment_periods = models.PositiveSmallIntegerField(
        _("minimum commitment (periods)"), default=0, validators=[MaxValueValidator(120)]
    )
    signup_fee_amount = models.BigIntegerField(_("sign-up fee"), default=0, validators=[MinValueValidator(0)])
    pass_starts_on = models.DateField(_("valid from"), null=True, blank=True)
    pass_ends_on = models.DateField(_("valid until"), null=True, blank=True)
    pass_start = models.CharField(
        _("starts"), max_length=12, choices=PassStart.choices, default=PassStart.PURCHASE
    )
    pack_credits = models.PositiveSmallIntegerField(
        _("credits"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    pack_expires_after_days = models.PositiveSmallIntegerField(
        _("expires after (days)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    credits_per_period = models.PositiveSmallIntegerField(
        _("credits per period"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    instalment_count = models.PositiveSmallIntegerField(
        _("instalments"), null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(60)]
    )
    location = models.ForeignKey(
        "studio.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held at"),
    )
    all_classes = models.BooleanField(_("pays for every class"), default=True)
    all_services = models.BooleanField(_("pays for every appointment type"), default=False)
    sold_everywhere = models.BooleanField(_("sold at every location"), default=True)
    featured = models.BooleanField(_("featured at checkout"), default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["studio", "archived_at"], name="plan_studio_archived")]
        constraints = [
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="plan_price_not_negative"),
            models.CheckConstraint(condition=Q(signup_fee_amount__gte=0), name="plan_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(pass_starts_on__isnull=True)
                | Q(pass_ends_on__isnull=True)
                | Q(pass_ends_on__gte=models.F("pass_starts_on")),
                name="plan_pass_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def renews(self) -> bool:
        """Charged again every interval: subscriptions, and payment plans until paid off."""
        return self.kind in (PlanKind.SUBSCRIPTION, PlanKind.PAYMENT_PLAN)


class PlanClassTemplate(TenantModel):
    """A class template the plan pays for (when `Plan.all_classes` is off)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="class_links")
    template = models.ForeignKey("scheduling.ClassTemplate", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "plan", "template"], name="plan_template_once")
        ]


class PlanService(TenantModel):
    """An appointment type the plan pays for (when `Plan.all_services` is off)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="service_links")
    service = models.ForeignKey("scheduling.AppointmentService", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "plan", "service"], name="plan_service_once")
        ]


class PlanLocation(TenantModel):
    """A location that sells the plan (when `Plan.sold_everywhere` is off)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="location_links")
    location = models.ForeignKey("studio.Location", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "plan", "location"], name="plan_location_once")
        ]
