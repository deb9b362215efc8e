"""Scheduling work for the worker.

Beat entries (registered by `SchedulingConfig.ready()` through `studio.beat`) sweep every studio
(the global directory) and fan out one task per studio, which runs inside that studio's scope.
Tasks import services; services enqueue tasks by name (`studio.tasking.enqueue_by_name`), so
no import loop exists between the two.
"""

from __future__ import annotations

from celery import shared_task

from scheduling import emails, services
from scheduling.models import Appointment, Booking
from studio.models import Studio
from studio.tasking import studio_task


@shared_task(name="scheduling.extend_series_all_studios")
def extend_series_all_studios() -> int:
    """Fan out: keep every studio's series scheduled their N weeks ahead."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        extend_series.delay(studio_id)
    return len(ids)


@studio_task(name="scheduling.extend_series")
def extend_series(studio_id: int) -> int:
    return services.series_extend_all(studio=Studio.objects.get(pk=studio_id))


@shared_task(name="scheduling.mark_no_shows_all_studios")
def mark_no_shows_all_studios() -> int:
    """Fan out: bookings still 'booked' when their session has ended become no-shows."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        mark_no_shows.delay(studio_id)
    return len(ids)


@studio_task(name="scheduling.mark_no_shows")
def mark_no_shows(studio_id: int) -> int:
    return services.attendance_mark_no_shows(studio=Studio.objects.get(pk=studio_id))


@studio_task(name="scheduling.send_booking_email")
def send_booking_email(studio_id: int, booking_id: int, kind: str) -> int:
    booking = (
        Booking.objects.select_related(
            "client",
            "studio",
            "session__template",
            "session__location",
            "session__room",
            "session__teacher__user",
            "session__studio",
        )
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return 0
    return emails.send_booking_email(booking=booking, kind=kind)


@studio_task(name="scheduling.send_appointment_email")
def send_appointment_email(studio_id: int, appointment_id: int, kind: str) -> int:
    appointment = (
        Appointment.objects.select_related(
            "client", "studio", "service", "calendar__location", "calendar__teacher__user"
        )
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return 0
    return emails.send_appointment_email(appointment=appointment, kind=kind)
