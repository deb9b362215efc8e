"""A client's membership (MEM-2): what they bought, its periods, and the credits they used."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


# A membership in these can pay for a booking (past due only when the studio allows it).
USABLE_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
# Still the client's: shown first on the profile, counted on the renewals page.
CURRENT_STATUSES = (
    MembershipStatus.PENDING,
    MembershipStatus.ACTIVE,
    MembershipStatus.PAST_DUE,
    MembershipStatus.PAUSED,
)


class Membership(TenantModel):
    """One client's holding of one plan.

    `current_period_start`..`current_period_end` (exclusive) is the period paid for; for a
    renewing plan `next_renewal_on` is when the next charge is due (usually the period's end,
    later after a pause), None when nothing more will be charged. `anchor_day` is the day of the
    month of the first purchase (1–31): monthly periods come back to it after a short month.
    `credits_remaining` None means unlimited. The price is kept on the membership, so a plan's
    new price applies to new sales, not silently to existing members.
    """

    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, related_name="memberships", verbose_name=_("client")
    )
    plan = models.ForeignKey(
        "memberships.Plan", on_delete=models.PROTECT, related_name="memberships", verbose_name=_("plan")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    price_amount = models.BigIntegerField(_("price"))
    currency = models.CharField(max_length=3)
    started_on = models.DateField(_("start"), null=True, blank=True)  # None: a pass not used yet
    anchor_day = models.PositiveSmallIntegerField(null=True, blank=True)
    current_period_start = models.DateField(_("current period from"), null=True, blank=True)
    current_period_end = models.DateField(_("current period until"), null=True, blank=True)
    next_renewal_on = models.DateField(_("next renewal"), null=True, blank=True)
    credits_remaining = models.IntegerField(_("credits left"), null=True, blank=True)
    periods_paid = models.PositiveIntegerField(default=0)
    # Pause (MEM-4): between these dates (inclusive start, exclusive end) it pays for nothing,
    # and the renewal date moves by the pause's length.
    paused_from = models.DateField(null=True, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    # Change plan at the next renewal (MEM-4).
    next_plan = models.ForeignKey(
        "memberships.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The sale form's one-time token (H2): a second click on "Sell" finds the first sale.
    sale_token = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["studio", "client", "status"], name="membership_client_status"),
            models.Index(fields=["studio", "status", "next_renewal_on"], name="membership_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credits_remaining__isnull=True) | Q(credits_remaining__gte=0),
                name="membership_credits_not_negative",
            ),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="membership_price_not_negative"),
            models.UniqueConstraint(
                fields=["studio", "sale_token"],
                condition=~Q(sale_token=""),
                name="membership_sale_token_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} · {self.client.full_name}"

    @property
    def unlimited(self) -> bool:
        return self.credits_remaining is None


class MembershipPeriod(TenantModel):
    """One period a membership was paid for: the first purchase, a renewal or an instalment."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        RENEWAL = "renewal", _("Renewal")
        INSTALMENT = "instalment", _("Instalment")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="periods")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # exclusive; None for a pack that never expires
    credits_granted = models.IntegerField(null=True, blank=True)  # None: unlimited
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "membership", "starts_on"], name="membership_period_once"
            )
        ]


class CreditUse(TenantModel):
    """A booking paid with a membership: one credit taken (or none, for an unlimited plan).

    `booking_kind` + `booking_id` name the scheduling row ("class" → Booking, "appointment" →
    Appointment); `returned_at` is set when a cancel gives the credit back.
    """

    class BookingKind(models.TextChoices):
        CLASS = "class", _("Class")
        APPOINTMENT = "appointment", _("Appointment")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="credit_uses")
    booking_kind = models.CharField(max_length=12, choices=BookingKind.choices)
    booking_id = models.BigIntegerField()
    credits = models.PositiveSmallIntegerField(default=1)  # 0 for an unlimited plan
    used_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "booking_kind", "booking_id"], name="credit_use_once_per_booking"
            )
        ]
