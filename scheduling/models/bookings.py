"""A client's place in a class session: booked, on the waitlist, cancelled, attended.

Payment comes later (memberships issue): a booking records *how* it is paid in
`payment_kind` and *with what* in `payment_ref`, a reference the paying app owns
("membership:42" for a membership or a pack; a drop-in: "payment:<id>", the id of payments'
Payment row that paid for it — see docs/policy.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Late cancel")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")


# A spot in the room is taken by these; capacity counts them.
OCCUPYING_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)
# At most one of these per client and session.
ACTIVE_STATUSES = (*OCCUPYING_STATUSES, BookingStatus.WAITLISTED)


class BookedBy(models.TextChoices):
    CLIENT = "client", _("Client")
    STAFF = "staff", _("Staff")


class CancelReason(models.TextChoices):
    CLIENT = "client", _("Cancelled by the client")
    STAFF = "staff", _("Cancelled by staff")
    SESSION_CANCELLED = "session_cancelled", _("The class was cancelled")
    WAITLIST_EXPIRED = "waitlist_expired", _("No spot opened before the class")


class PaymentKind(models.TextChoices):
    COMPLIMENTARY = "complimentary", _("Complimentary")
    DROP_IN = "drop_in", _("Drop-in")
    MEMBERSHIP = "membership", _("Membership")
    CLASS_PACK = "class_pack", _("Class pack credit")


class Booking(TenantModel):
    session = models.ForeignKey(
        "scheduling.ClassSession", on_delete=models.PROTECT, related_name="bookings", verbose_name=_("class")
    )
    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, related_name="class_bookings", verbose_name=_("client")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    booked_by_kind = models.CharField(_("booked by"), max_length=8, choices=BookedBy.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The waitlist is served in this order (then by id).
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_via = models.CharField(max_length=8, blank=True)  # "staff" or "kiosk"
    payment_kind = models.CharField(
        _("paid with"), max_length=16, choices=PaymentKind.choices, default=PaymentKind.COMPLIMENTARY
    )
    payment_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "session", "client"],
                condition=models.Q(status__in=[s.value for s in ACTIVE_STATUSES]),
                name="one_active_booking_per_client_and_session",
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "session", "status"], name="booking_session_status_idx"),
            models.Index(fields=["studio", "client", "status"], name="booking_client_status_idx"),
            models.Index(fields=["studio", "status"], name="booking_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.session}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def status_badge(self) -> str:
        return {
            BookingStatus.BOOKED: "",
            BookingStatus.CHECKED_IN: "ok",
            BookingStatus.WAITLISTED: "warn",
            BookingStatus.NO_SHOW: "bad",
            BookingStatus.LATE_CANCELLED: "bad",
        }.get(self.status, "")
