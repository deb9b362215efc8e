"""Bookings, the waitlist and attendance (SCH-4, SCH-5).

Capacity is guarded by one lock: every write that can take or free a spot first locks the
session row (`SELECT … FOR UPDATE`), then counts. Concurrent requests for the last spots are
served one after another, so the count they see is always the truth.
"""

from __future__ import annotations

from datetime import datetime

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
    SessionStatus,
)
from studio.models import Client, FamilyLink, Studio
from studio.services import Actor, audit_record

from .checks import BookingAttempt, booking_checks_run, booking_payment_decide, cancel_would_be_late
from .common import BookingError, local_when_label, notify_booking, send_event


def client_can_book_for(*, booker: Client, client: Client) -> bool:
    """A client books for themselves and for their dependants (CORE-4)."""
    if booker.pk == client.pk:
        return True
    return FamilyLink.objects.filter(guardian=booker, dependant=client).exists()


def _lock_session(session: ClassSession) -> ClassSession:
    # Template and location come along for the audit entry's description (and nothing else is locked).
    return (
        ClassSession.objects.select_for_update(of=("self",))
        .select_related("template", "location")
        .get(pk=session.pk)
    )


def _occupied(session: ClassSession) -> int:
    return Booking.objects.filter(session=session, status__in=OCCUPYING_STATUSES).count()


def booking_create(
    *,
    studio: Studio,
    actor: Actor,
    session: ClassSession,
    client: Client,
    booked_by: str,
    booker: Client | None = None,
    join_waitlist: bool = True,
    overbook: bool = False,
    payment_kind: str | None = None,
    payment_ref: str = "",
    notify: bool = True,
    now: datetime | None = None,
) -> Booking:
    """Book `client` into `session`, or add them to its waitlist when it is full.

    `notify=False` leaves the confirmation email to the caller (`booking_notify`): an online
    order holds the place before the card is charged and confirms it once paid.

    Clients book until the class starts, for themselves or a dependant (`booker` is the client
    signed in); staff book until it ends (walk-ins). A full class that has started has no
    waitlist any more (nobody is promoted after the start). `overbook` (staff holding the
    overbook permission, checked by the caller) books past the capacity on purpose. The
    registered booking checks (scheduling.services.checks) run under the session lock.

    Payment: a `payment_kind` given by the caller (staff booking as complimentary, the POS a
    drop-in with its `payment_ref`) is recorded as is. Without one the registered payers
    decide (a membership or a class pack; their refusal refuses the booking) and take what
    pays in this transaction, right after the row is saved — a client on the waitlist holds
    it too, so a promotion never fails for want of a credit; nobody deciding leaves the
    booking complimentary. Raises BookingError with the reason when the booking is refused.
    """
    now = now or timezone.now()
    if (
        booked_by == BookedBy.CLIENT
        and booker is not None
        and not client_can_book_for(booker=booker, client=client)
    ):
        raise BookingError(_("You can book only for yourself and your dependants."))
    if overbook and booked_by != BookedBy.STAFF:
        raise BookingError(_("Only staff can book past a class's capacity."))
    with transaction.atomic():
        session = _lock_session(session)
        if session.is_cancelled:
            raise BookingError(_("This class is cancelled."))
        closes = session.starts_at if booked_by == BookedBy.CLIENT else session.ends_at
        if now >= closes:
            if booked_by == BookedBy.CLIENT:
                raise BookingError(_("Bookings for this class closed when it started; ask the studio."))
            raise BookingError(_("This class has ended: bookings are closed."))
        existing = Booking.objects.filter(session=session, client=client, status__in=ACTIVE_STATUSES).first()
        if existing is not None:
            if existing.status == BookingStatus.WAITLISTED:
                raise BookingError(_("%(name)s is already on the waitlist.") % {"name": client.full_name})
            raise BookingError(_("%(name)s is already booked.") % {"name": client.full_name})
        has_room = overbook or _occupied(session) < session.capacity
        started = now >= session.starts_at
        if not has_room and (not join_waitlist or started):
            if started:
                raise BookingError(
                    _(
                        "This class is full and has started, so its waitlist is closed. Staff who "
                        "may overbook can still add the client."
                    )
                )
            raise BookingError(_("This class is full."))
        attempt = BookingAttempt(
            studio=studio,
            session=session,
            client=client,
            booked_by=booked_by,
            booker=booker,
            waitlist=not has_room,
            now=now,
        )
        refusal = booking_checks_run(attempt)
        if refusal:
            raise BookingError(refusal)
        payment = booking_payment_decide(attempt, payment_kind=payment_kind, payment_ref=payment_ref)
        booking = Booking(
            studio=studio,
            session=session,
            client=client,
            booked_by_kind=booked_by,
            booked_by=actor.user,
            payment_kind=payment.kind,
            payment_ref=payment.ref,
        )
        if has_room:
            booking.status = BookingStatus.BOOKED
        else:
            booking.status = BookingStatus.WAITLISTED
            booking.waitlisted_at = now
        booking.save()
        if payment.take is not None:
            payment.take(booking)
        changes = {"session": session.pk, "by": booked_by, "paid": payment.kind}
        if overbook and _occupied(session) > session.capacity:
            changes["overbooked"] = True
        audit_record(
            studio=studio, actor=actor, action=f"booking.{booking.status}", obj=booking, changes=changes
        )
        if notify:
            notify_booking(booking, "confirmed" if booking.status == BookingStatus.BOOKED else "waitlisted")
    return booking


def booking_notify(*, booking: Booking, kind: str) -> None:
    """Email the client about `booking` ("confirmed", "cancelled"…) once the transaction commits:
    for a caller that booked with `notify=False`."""
    notify_booking(booking, kind)


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
    promoted = list(
        Booking.objects.select_for_update()
        .filter(session=session, status=BookingStatus.WAITLISTED)
        .order_by("waitlisted_at", "id")[:free]
    )
    for booking in promoted:
        booking.status = BookingStatus.BOOKED
        booking.promoted_at = now
        booking.save(update_fields=["status", "promoted_at"])
        notify_booking(booking, "promoted")
    return promoted


def booking_cancel(
    *,
    studio: Studio,
    actor: Actor,
    booking: Booking,
    by_staff: bool,
    waive_late_cancel: bool = False,
    notify: bool = True,
    now: datetime | None = None,
) -> Booking:
    """Cancel a booking or leave the waitlist; the freed spot goes to the first waitlisted client.
    `notify=False`: no "cancelled" email (a place held for a payment that never came was never
    confirmed to the client).

    Inside the studio's late-cancellation window a booked client's cancel is recorded as a
    late cancel (staff may waive it). Clients cancel until the class starts. Listeners hear
    `booking_cancelled` (with `late` and `by`) once it commits.
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(booking.session)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
            raise BookingError(
                _("This booking cannot be cancelled any more: it is %(status)s.")
                % {"status": booking.get_status_display().lower()}
            )
        if not by_staff and now >= session.starts_at:
            raise BookingError(
                _("The class has started, so it can no longer be cancelled online; ask the studio.")
            )
        held_a_spot = booking.status == BookingStatus.BOOKED  # its place goes to the waitlist
        booking.session = session  # the locked row: the late rule reads its start
        by = "staff" if by_staff else "client"
        late = cancel_would_be_late(
            studio=studio, booking=booking, now=now, by=by, waive_late=waive_late_cancel
        )
        booking.status = BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = CancelReason.STAFF if by_staff else CancelReason.CLIENT
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit_record(
            studio=studio,
            actor=actor,
            action=f"booking.{booking.status}",
            obj=booking,
            changes={"session": session.pk, "by": by},
        )
        if notify:
            notify_booking(booking, "cancelled")
        ids = {
            "studio_id": studio.pk,
            "booking_id": booking.pk,
            "session_id": session.pk,
            "client_id": booking.client_id,
        }
        send_event(signals.booking_cancelled, Booking, **ids, late=late, by=by)
        if late:
            send_event(signals.booking_late_cancelled, Booking, **ids, by=by)
        if held_a_spot:
            waitlist_promote(session=session, now=now)
    return booking


def _event_ids(booking: Booking) -> dict:
    return {
        "studio_id": booking.studio_id,
        "booking_id": booking.pk,
        "session_id": booking.session_id,
        "client_id": booking.client_id,
    }


def _check_attendance_window(session: ClassSession, status: str, now: datetime) -> None:
    """Attendance is taken around the class, not days before it: check-in opens an hour before
    the start, "absent" at the start. Corrections afterwards have no end."""
    if session.is_cancelled:
        raise BookingError(_("This class is cancelled."))
    if status == BookingStatus.CHECKED_IN and now < session.check_in_opens_at:
        raise BookingError(
            _("Check-in opens one hour before the class, on %(when)s.")
            % {"when": local_when_label(session.check_in_opens_at, session.time_zone)}
        )
    if status == BookingStatus.NO_SHOW and now < session.starts_at:
        raise BookingError(
            _("A client can be marked absent once the class has started, on %(when)s.")
            % {"when": local_when_label(session.starts_at, session.time_zone)}
        )


def booking_check_in(
    *, studio: Studio, actor: Actor, booking: Booking, via: str = "staff", now: datetime | None = None
) -> Booking:
    """Mark a booked client present (from the roster, or by the client at the kiosk).

    From an hour before the start; at the kiosk only until the class ends, on the roster also
    afterwards (a no-show corrected to present sends `attendance_corrected`).
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("session", "session__location", "session__studio")
            .get(pk=booking.pk)
        )
        if booking.status == BookingStatus.CHECKED_IN:
            return booking
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
            raise BookingError(
                _("Only booked clients can be checked in; this booking is %(status)s.")
                % {"status": booking.get_status_display().lower()}
            )
        _check_attendance_window(booking.session, BookingStatus.CHECKED_IN, now)
        if via == "kiosk" and now > booking.session.ends_at:
            raise BookingError(_("This class has ended; ask the front desk."))
        old = booking.status
        booking.status = BookingStatus.CHECKED_IN
        booking.checked_in_at = now
        booking.checked_in_via = via
        booking.save(update_fields=["status", "checked_in_at", "checked_in_via"])
        audit_record(
            studio=studio,
            actor=actor,
            action="booking.checked_in",
            obj=booking,
            changes={"via": via, "status": [old, booking.status]},
        )
        if old == BookingStatus.NO_SHOW:
            send_event(
                signals.attendance_corrected, Booking, **_event_ids(booking), old=old, new=booking.status
            )
    return booking


def booking_set_attendance(
    *, studio: Studio, actor: Actor, booking: Booking, status: str, now: datetime | None = None
) -> Booking:
    """Staff take or correct attendance: present, absent (no-show), or back to simply booked.

    Every change away from a recorded attendance (present or absent) is a correction, sent as
    `attendance_corrected` (old → new); a change to absent also sends `booking_no_show`. A
    class that has ended cannot go back to "booked" (the sweep would mark it absent again):
    choose present or absent.
    """
    now = now or timezone.now()
    if status == BookingStatus.CHECKED_IN:
        return booking_check_in(studio=studio, actor=actor, booking=booking, now=now)
    if status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
        raise BookingError(_("Choose present, absent or booked."))
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("session", "session__location", "session__studio")
            .get(pk=booking.pk)
        )
        if booking.status not in OCCUPYING_STATUSES:
            raise BookingError(
                _("This booking is not in the class any more (it is %(status)s).")
                % {"status": booking.get_status_display().lower()}
            )
        if booking.status == status:
            return booking
        _check_attendance_window(booking.session, status, now)
        if status == BookingStatus.BOOKED and now >= booking.session.ends_at:
            raise BookingError(_("This class has ended: mark the client present or absent."))
        old = booking.status
        booking.status = status
        booking.checked_in_at = None
        booking.checked_in_via = ""
        booking.save(update_fields=["status", "checked_in_at", "checked_in_via"])
        audit_record(
            studio=studio,
            actor=actor,
            action="booking.attendance_changed",
            obj=booking,
            changes={"status": [old, status]},
        )
        if old in (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW):
            send_event(signals.attendance_corrected, Booking, **_event_ids(booking), old=old, new=status)
        if status == BookingStatus.NO_SHOW:
            send_event(signals.booking_no_show, Booking, **_event_ids(booking))
    return booking


def attendance_mark_no_shows(*, studio: Studio, now: datetime | None = None) -> int:
    """The beat task's work for one studio: once a session has ended, who is still merely
    'booked' did not come (no-show), and the waitlist closes. Appointments likewise. Each
    ended class is reported once as taught (`session_taught`, for payroll).

    Idempotent: only rows still in the waiting state change.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(
                studio=studio,
                status=BookingStatus.BOOKED,
                session__ends_at__lte=now,
            )
            .order_by("id")
            .values_list("id", "session_id", "client_id")
        )
        Booking.objects.filter(pk__in=[row[0] for row in due]).update(status=BookingStatus.NO_SHOW)
        expired = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(studio=studio, status=BookingStatus.WAITLISTED, session__ends_at__lte=now)
            .order_by("id")
            .values_list("id", flat=True)
        )
        Booking.objects.filter(pk__in=expired).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancel_reason=CancelReason.WAITLIST_EXPIRED
        )
        missed = list(
            Appointment.objects.select_for_update()
            .filter(studio=studio, status=AppointmentStatus.BOOKED, ends_at__lte=now)
            .order_by("id")
            .values_list("id", "client_id")
        )
        Appointment.objects.filter(pk__in=[row[0] for row in missed]).update(status=AppointmentStatus.NO_SHOW)
        taught = list(
            ClassSession.objects.select_for_update(of=("self",))
            .filter(
                studio=studio,
                status=SessionStatus.SCHEDULED,
                ends_at__lte=now,
                taught_reported_at__isnull=True,
            )
            .order_by("id")
            .values_list("id", "teacher_id", "starts_at", "ends_at")
        )
        ClassSession.objects.filter(pk__in=[row[0] for row in taught]).update(taught_reported_at=now)
        for booking_id, session_id, client_id in due:
            send_event(
                signals.booking_no_show,
                Booking,
                studio_id=studio.pk,
                booking_id=booking_id,
                session_id=session_id,
                client_id=client_id,
            )
        if expired:  # a waitlist place held a credit: its payer gives it back
            send_event(signals.waitlist_expired, Booking, studio_id=studio.pk, booking_ids=expired)
        for appointment_id, client_id in missed:
            send_event(
                signals.appointment_no_show,
                Appointment,
                studio_id=studio.pk,
                appointment_id=appointment_id,
                client_id=client_id,
            )
        for session_id, teacher_id, starts_at, ends_at in taught:
            send_event(
                signals.session_taught,
                ClassSession,
                studio_id=studio.pk,
                session_id=session_id,
                teacher_id=teacher_id,
                starts_at=starts_at,
                ends_at=ends_at,
            )
    return len(due) + len(missed)
