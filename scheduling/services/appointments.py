"""Appointment services, calendars, availability, and booking appointments (SCH-3).

Two bookings racing for one slot are serialised by locking the calendar row; the slot is
recomputed under the lock before the appointment is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from scheduling import selectors, signals
from scheduling.models import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    AppointmentStatus,
    Availability,
    AvailabilityException,
    BookedBy,
    CalendarService,
)
from scheduling.timeutils import local_date_label, local_today, weekday_label
from studio.models import Client, Studio
from studio.services import Actor, audit_record, field_changes, snapshot

from .bookings import client_can_book_for
from .checks import (
    APPOINTMENT,
    BookingAttempt,
    booking_checks_run,
    booking_payment_decide,
    cancel_would_be_late,
)
from .common import BookingError, notify_appointment, send_event

SERVICE_FIELDS = [
    "name",
    "description",
    "duration_minutes",
    "price_amount",
    "buffer_before_minutes",
    "buffer_after_minutes",
]


def appointment_service_save(
    *, studio: Studio, actor: Actor, service: AppointmentService
) -> AppointmentService:
    """Create or edit a service. Booked appointments keep the length and buffers they were booked with."""
    creating = service.pk is None
    service.studio = studio
    with transaction.atomic():
        before = {} if creating else snapshot(AppointmentService.objects.get(pk=service.pk), SERVICE_FIELDS)
        service.save()
        audit_record(
            studio=studio,
            actor=actor,
            obj=service,
            action="appointment_service.created" if creating else "appointment_service.changed",
            changes={} if creating else field_changes(service, SERVICE_FIELDS, before),
        )
    return service


def appointment_calendar_save(
    *, studio: Studio, actor: Actor, calendar: AppointmentCalendar, services: list[AppointmentService]
) -> AppointmentCalendar:
    """Create or edit a calendar (teacher + location) and the services it offers."""
    creating = calendar.pk is None
    calendar.studio = studio
    try:
        with transaction.atomic():
            calendar.save()
            CalendarService.objects.filter(calendar=calendar).exclude(service__in=services).delete()
            have = set(CalendarService.objects.filter(calendar=calendar).values_list("service_id", flat=True))
            CalendarService.objects.bulk_create(
                [
                    CalendarService(studio=studio, calendar=calendar, service=s)
                    for s in services
                    if s.pk not in have
                ]
            )
            audit_record(
                studio=studio,
                actor=actor,
                obj=calendar,
                action="appointment_calendar.created" if creating else "appointment_calendar.changed",
                changes={"services": sorted(s.name for s in services)},
            )
    except IntegrityError as exc:
        raise ValidationError(_("This teacher already has a calendar at this location.")) from exc
    return calendar


def availability_add(*, studio: Studio, actor: Actor, availability: Availability) -> Availability:
    """Add a weekly opening to a calendar; one that overlaps another on the same day is refused
    (say it as one longer opening instead). The calendar row is locked so two adds cannot race."""
    availability.studio = studio
    with transaction.atomic():
        AppointmentCalendar.objects.select_for_update().filter(pk=availability.calendar_id).first()
        clash = (
            Availability.objects.filter(
                calendar_id=availability.calendar_id,
                weekday=availability.weekday,
                start_time__lt=availability.end_time,
                end_time__gt=availability.start_time,
            )
            .order_by("start_time")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                _(
                    "This overlaps the opening of %(day)s from %(start)s to %(end)s. Remove it "
                    "first, or add only the hours it does not cover."
                )
                % {
                    "day": weekday_label(clash.weekday),
                    "start": formats.time_format(clash.start_time, "TIME_FORMAT"),
                    "end": formats.time_format(clash.end_time, "TIME_FORMAT"),
                }
            )
        availability.save()
        audit_record(
            studio=studio,
            actor=actor,
            action="availability.added",
            obj=availability.calendar,
            changes={
                "weekday": availability.weekday,
                "from": str(availability.start_time),
                "until": str(availability.end_time),
            },
        )
    return availability


def availability_remove(*, studio: Studio, actor: Actor, availability: Availability) -> None:
    with transaction.atomic():
        audit_record(
            studio=studio,
            actor=actor,
            action="availability.removed",
            obj=availability.calendar,
            changes={"weekday": availability.weekday, "from": str(availability.start_time)},
        )
        availability.delete()


def availability_exception_add(
    *, studio: Studio, actor: Actor, exception: AvailabilityException
) -> AvailabilityException:
    """Add time off or extra hours on one date; one overlapping another of the same kind on that
    date is refused (a whole day overlaps everything that day)."""
    exception.studio = studio
    with transaction.atomic():
        AppointmentCalendar.objects.select_for_update().filter(pk=exception.calendar_id).first()
        same_day = AvailabilityException.objects.filter(
            calendar_id=exception.calendar_id, date=exception.date, is_available=exception.is_available
        )
        if exception.start_time is not None and exception.end_time is not None:
            same_day = same_day.filter(
                Q(start_time__isnull=True)
                | Q(start_time__lt=exception.end_time, end_time__gt=exception.start_time)
            )
        if same_day.exists():
            raise ValidationError(
                _(
                    "Another exception of this kind already covers part of %(date)s. Remove it "
                    "first, or choose hours it does not cover."
                )
                % {"date": local_date_label(exception.date)}
            )
        exception.save()
        audit_record(
            studio=studio,
            actor=actor,
            action="availability.exception_added",
            obj=exception.calendar,
            changes={"date": str(exception.date), "available": exception.is_available},
        )
    return exception


def availability_exception_remove(*, studio: Studio, actor: Actor, exception: AvailabilityException) -> None:
    with transaction.atomic():
        audit_record(
            studio=studio,
            actor=actor,
            action="availability.exception_removed",
            obj=exception.calendar,
            changes={"date": str(exception.date)},
        )
        exception.delete()


def appointment_book(
    *,
    studio: Studio,
    actor: Actor,
    calendar: AppointmentCalendar,
    service: AppointmentService,
    client: Client,
    starts_at: datetime,
    booked_by: str,
    booker: Client | None = None,
    notes: str = "",
    payment_kind: str | None = None,
    payment_ref: str = "",
    notify: bool = True,
    now: datetime | None = None,
) -> Appointment:
    """Book an appointment at one of the calendar's bookable slots, by staff or by a client.
    `notify=False` leaves the confirmation email to the caller (`appointment_notify`).

    Payment as for classes (`booking_create`): the caller's `payment_kind`, else the registered
    payers (a plan covering the service pays, and takes its credit in this transaction), else
    complimentary — the price stays on the appointment, settled at the visit.
    """
    now = now or timezone.now()
    if (
        booked_by == BookedBy.CLIENT
        and booker is not None
        and not client_can_book_for(booker=booker, client=client)
    ):
        raise BookingError(_("You can book only for yourself and your dependants."))
    with transaction.atomic():
        calendar = (
            AppointmentCalendar.objects.select_for_update(of=("self",))
            .select_related("location", "teacher")
            .get(pk=calendar.pk)
        )
        if (
            calendar.archived_at
            or not CalendarService.objects.filter(calendar=calendar, service=service).exists()
        ):
            raise BookingError(_("This service is not offered on this calendar."))
        local_day = local_today(calendar.location.time_zone, starts_at)
        slots = selectors.appointment_slots(calendar=calendar, service=service, day=local_day, now=now)
        if starts_at not in slots:
            raise BookingError(_("This time is no longer available; choose another."))
        attempt = BookingAttempt(
            studio=studio,
            session=None,
            client=client,
            booked_by=booked_by,
            booker=booker,
            waitlist=False,
            now=now,
            kind=APPOINTMENT,
            service=service,
            calendar=calendar,
            starts_at=starts_at,
        )
        # The registered checks (waivers: "has signed") have their say as for classes.
        refusal = booking_checks_run(attempt)
        if refusal:
            raise BookingError(refusal)
        payment = booking_payment_decide(attempt, payment_kind=payment_kind, payment_ref=payment_ref)
        appointment = Appointment.objects.create(
            studio=studio,
            calendar=calendar,
            service=service,
            client=client,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=service.duration_minutes),
            buffer_before_minutes=service.buffer_before_minutes,
            buffer_after_minutes=service.buffer_after_minutes,
            booked_by_kind=booked_by,
            booked_by=actor.user,
            price_amount=service.price_amount,
            currency=studio.currency,
            notes=notes,
            payment_kind=payment.kind,
            payment_ref=payment.ref,
        )
        if payment.take is not None:
            payment.take(appointment)
        audit_record(
            studio=studio,
            actor=actor,
            action="appointment.booked",
            obj=appointment,
            changes={"by": booked_by, "starts_at": starts_at.isoformat(), "paid": payment.kind},
        )
        if notify:
            notify_appointment(appointment, "appointment_confirmed")
    return appointment


def appointment_cancel(
    *,
    studio: Studio,
    actor: Actor,
    appointment: Appointment,
    by_staff: bool,
    notify: bool = True,
    now: datetime | None = None,
) -> Appointment:
    """Cancel an appointment; inside the late-cancellation window a client's cancel is late.
    `notify=False`: no "cancelled" email (a slot held for a payment that never came)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status != AppointmentStatus.BOOKED:
            raise BookingError(_("This appointment cannot be cancelled any more."))
        if not by_staff and now >= appointment.starts_at:
            raise BookingError(_("The appointment has started; ask the studio."))
        late = cancel_would_be_late(
            studio=studio, appointment=appointment, now=now, by="staff" if by_staff else "client"
        )
        appointment.status = AppointmentStatus.LATE_CANCELLED if late else AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.save(update_fields=["status", "cancelled_at"])
        audit_record(studio=studio, actor=actor, action=f"appointment.{appointment.status}", obj=appointment)
        if notify:
            notify_appointment(appointment, "appointment_cancelled")
        send_event(
            signals.appointment_cancelled,
            Appointment,
            studio_id=studio.pk,
            appointment_id=appointment.pk,
            client_id=appointment.client_id,
            late=late,
            by="staff" if by_staff else "client",
        )
        if late:
            send_event(
                signals.appointment_late_cancelled,
                Appointment,
                studio_id=studio.pk,
                appointment_id=appointment.pk,
                client_id=appointment.client_id,
            )
    return appointment


def appointment_notify(*, appointment: Appointment, kind: str) -> None:
    """Email the client about `appointment` ("appointment_confirmed"…) once the transaction
    commits: for a caller that booked with `notify=False`."""
    notify_appointment(appointment, kind)


def appointment_check_in(
    *, studio: Studio, actor: Actor, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW):
            raise BookingError(_("Only booked appointments can be checked in."))
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = now
        appointment.save(update_fields=["status", "checked_in_at"])
        audit_record(studio=studio, actor=actor, action="appointment.checked_in", obj=appointment)
    return appointment
