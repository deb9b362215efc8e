"""Bookings, the waitlist and attendance (SCH-4, SCH-5).

Capacity is guarded by one lock: every write that can take or free a spot first locks the
session row (`SELECT … FOR UPDATE`), then counts. Concurrent requests for the last spots are
served one after another, so the count they see is always the truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling import signals
from scheduling.models import (
    ACTIVE_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    BookedBy,
    Booking,
    BookingStatus,
    CancelReason,
    ClassSession,
    PaymentKind,
)
from studio.models import Client, FamilyLink, Studio
from studio.services import Actor, audit_record

from .common import BookingError, notify_booking, send_after_commit

# Clients may check themselves in at the kiosk from this long before the class starts.
KIOSK_CHECK_IN_OPENS = timedelta(minutes=60)


def client_can_book_for(*, booker: Client, client: Client) -> bool:
    """A client books for themselves and for their dependants (CORE-4)."""
    if booker.pk == client.pk:
        return True
    return FamilyLink.objects.filter(guardian=booker, dependant=client).exists()


def _lock_session(session: ClassSession) -> ClassSession:
    # Template and location come along for the audit entry's description (and nothing else is locked).
    return (ClassSession.objects.select_for_update(of=("self",)).select_related("template", "location")
            .get(pk=session.pk))


def _occupied(session: ClassSession) -> int:
    return Booking.objects.filter(session=session, status__in=OCCUPYING_STATUSES).count()


def booking_create(*, studio: Studio, actor: Actor, session: ClassSession, client: Client, booked_by: str,
                   booker: Client | None = None, join_waitlist: bool = True,
                   payment_kind: str = PaymentKind.COMPLIMENTARY, payment_ref: str = "",
                   now: datetime | None = None) -> Booking:
    """Book `client` into `session`, or add them to its waitlist when it is full.

    Clients book until the class starts, for themselves or a dependant (`booker` is the client
    signed in); staff book until it ends (walk-ins). Raises BookingError with the reason when
    the booking is refused.
    """
    now = now or timezone.now()
    if booked_by == BookedBy.CLIENT and booker is not None and not client_can_book_for(booker=booker, client=client):
        raise BookingError(_("You can book only for yourself and your dependants."))
    with transaction.atomic():
        session = _lock_session(session)
        if session.is_cancelled:
            raise BookingError(_("This class is cancelled."))
        closes = session.starts_at if booked_by == BookedBy.CLIENT else session.ends_at
        if now >= closes:
            raise BookingError(_("Bookings for this class are closed."))
        existing = Booking.objects.filter(session=session, client=client, status__in=ACTIVE_STATUSES).first()
        if existing is not None:
            if existing.status == BookingStatus.WAITLISTED:
                raise BookingError(_("%(name)s is already on the waitlist.") % {"name": client.full_name})
            raise BookingError(_("%(name)s is already booked.") % {"name": client.full_name})
        booking = Booking(studio=studio, session=session, client=client, booked_by_kind=booked_by,
                          booked_by=actor.user, payment_kind=payment_kind, payment_ref=payment_ref)
        if _occupied(session) < session.capacity:
            booking.status = BookingStatus.BOOKED
        elif join_waitlist:
            booking.status = BookingStatus.WAITLISTED
            booking.waitlisted_at = now
        else:
            raise BookingError(_("This class is full."))
        booking.save()
        audit_record(studio=studio, actor=actor, action=f"booking.{booking.status}", obj=booking,
                     changes={"session": session.pk, "by": booked_by})
        notify_booking(booking, "confirmed" if booking.status == BookingStatus.BOOKED else "waitlisted")
    return booking


def waitlist_promote(*, session: ClassSession, now: datetime) -> list[Booking]:
    """Move the first waitlisted clients into the spots now free, in the order they joined.

    The caller holds the session's lock. Nobody is promoted into a cancelled session or one
    that has started; each promoted client is emailed.
    """
    if session.is_cancelled or session.starts_at <= now:
        return []
    free = session.capacity - _occupied(session)
    if free <= 0:
        return []
    promoted = list(Booking.objects.select_for_update().filter(session=session, status=BookingStatus.WAITLISTED)
                    .order_by("waitlisted_at", "id")[:free])
    for booking in promoted:
        booking.status = BookingStatus.BOOKED
        booking.promoted_at = now
        booking.save(update_fields=["status", "promoted_at"])
        notify_booking(booking, "promoted")
    return promoted


def booking_cancel(*, studio: Studio, actor: Actor, booking: Booking, by_staff: bool,
                   waive_late_cancel: bool = False, now: datetime | None = None) -> Booking:
    """Cancel a booking or leave the waitlist; the freed spot goes to the first waitlisted client.

    Inside the studio's late-cancellation window a booked client's cancel is recorded as a
    late cancel (staff may waive it). Clients cancel until the class starts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(booking.session)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
            raise BookingError(_("This booking cannot be cancelled any more."))
        if not by_staff and now >= session.starts_at:
            raise BookingError(_("The class has started; ask the studio."))
        held_a_spot = booking.status == BookingStatus.BOOKED
        window = timedelta(minutes=studio.late_cancel_window_minutes)
        late = held_a_spot and not waive_late_cancel and now > session.starts_at - window
        booking.status = BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = CancelReason.STAFF if by_staff else CancelReason.CLIENT
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(studio=studio, actor=actor, action=f"booking.{booking.status}", obj=booking,
                     changes={"session": session.pk, "by": "staff" if by_staff else "client"})
        notify_booking(booking, "cancelled")
        if late:
            send_after_commit(signals.booking_late_cancelled, Booking, booking=booking)
        if held_a_spot:
            waitlist_promote(session=session, now=now)
    return booking


def booking_check_in(*, studio: Studio, actor: Actor, booking: Booking, via: str = "staff",
                     now: datetime | None = None) -> Booking:
    """Mark a booked client present (from the roster, or by the client at the kiosk)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related("session").get(pk=booking.pk)
        if booking.status == BookingStatus.CHECKED_IN:
            return booking
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
            raise BookingError(_("Only booked clients can be checked in."))
        if booking.session.is_cancelled:
            raise BookingError(_("This class is cancelled."))
        if via == "kiosk" and not (booking.session.starts_at - KIOSK_CHECK_IN_OPENS <= now <= booking.session.ends_at):
            raise BookingError(_("Check-in for this class is not open."))
        booking.status = BookingStatus.CHECKED_IN
        booking.checked_in_at = now
        booking.checked_in_via = via
        booking.save(update_fields=["status", "checked_in_at", "checked_in_via"])
        audit_record(studio=studio, actor=actor, action="booking.checked_in", obj=booking, changes={"via": via})
    return booking


def booking_set_attendance(*, studio: Studio, actor: Actor, booking: Booking, status: str,
                           now: datetime | None = None) -> Booking:
    """Staff correct attendance: present, absent (no-show) or back to simply booked."""
    if status == BookingStatus.CHECKED_IN:
        return booking_check_in(studio=studio, actor=actor, booking=booking, now=now)
    if status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
        raise BookingError(_("Choose present, absent or booked."))
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in OCCUPYING_STATUSES:
            raise BookingError(_("This booking is not in the class."))
        if booking.status == status:
            return booking
        old = booking.status
        booking.status = status
        booking.checked_in_at = None
        booking.checked_in_via = ""
        booking.save(update_fields=["status", "checked_in_at", "checked_in_via"])
        audit_record(studio=studio, actor=actor, action="booking.attendance_changed", obj=booking,
                     changes={"status": [old, status]})
        if status == BookingStatus.NO_SHOW:
            send_after_commit(signals.booking_no_show, Booking, booking=booking)
    return booking


def attendance_mark_no_shows(*, studio: Studio, now: datetime | None = None) -> int:
    """The beat task's work for one studio: once a session has ended, who is still merely
    'booked' did not come (no-show), and the waitlist closes. Appointments likewise.

    Idempotent: only rows still in the waiting state change.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Booking.objects.select_for_update(of=("self",)).filter(
            studio=studio, status=BookingStatus.BOOKED, session__ends_at__lte=now,
        ).values_list("id", flat=True))
        Booking.objects.filter(pk__in=due).update(status=BookingStatus.NO_SHOW)
        Booking.objects.filter(studio=studio, status=BookingStatus.WAITLISTED, session__ends_at__lte=now).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancel_reason=CancelReason.WAITLIST_EXPIRED)
        missed = list(Appointment.objects.select_for_update().filter(
            studio=studio, status=AppointmentStatus.BOOKED, ends_at__lte=now).values_list("id", flat=True))
        Appointment.objects.filter(pk__in=missed).update(status=AppointmentStatus.NO_SHOW)
        for booking in Booking.objects.filter(pk__in=due).select_related("session", "client"):
            send_after_commit(signals.booking_no_show, Booking, booking=booking)
        for appointment in Appointment.objects.filter(pk__in=missed).select_related("client"):
            send_after_commit(signals.appointment_no_show, Appointment, appointment=appointment)
    return len(due) + len(missed)
