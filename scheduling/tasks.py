"""Scheduling work for the worker, and the beat entries that drive it.

Beat entries sweep every studio (the global directory) and fan out one task per studio, which
runs inside that studio's scope. `SchedulingConfig.ready()` merges BEAT_SCHEDULE into
`settings.CELERY_BEAT_SCHEDULE`, which the Celery app reads when beat starts (it runs
django.setup() first), so no settings module names scheduling's tasks.
"""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from studio.models import Studio
from studio.tasking import studio_task

BEAT_SCHEDULE = {
    "scheduling-extend-series": {
        "task": "scheduling.extend_series_all_studios",
        # Hourly: cheap when nothing is due, and a new day's sessions appear soon after midnight
        # in every time zone.
        "schedule": crontab(minute=7),
    },
    "scheduling-mark-no-shows": {
        "task": "scheduling.mark_no_shows_all_studios",
        "schedule": 300.0,
    },
}


@shared_task(name="scheduling.extend_series_all_studios")
def extend_series_all_studios() -> int:
    """Fan out: keep every studio's series scheduled their N weeks ahead."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        extend_series.delay(studio_id)
    return len(ids)


@studio_task(name="scheduling.extend_series")
def extend_series(studio_id: int) -> int:
    from scheduling import services

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
    from scheduling import services

    return services.attendance_mark_no_shows(studio=Studio.objects.get(pk=studio_id))


@studio_task(name="scheduling.send_booking_email")
def send_booking_email(studio_id: int, booking_id: int, kind: str) -> int:
    from scheduling import emails
    from scheduling.models import Booking

    booking = (Booking.objects.select_related("client", "studio", "session__template", "session__location",
                                              "session__room", "session__teacher__user", "session__studio")
               .filter(pk=booking_id).first())
    if booking is None:
        return 0
    return emails.send_booking_email(booking=booking, kind=kind)


@studio_task(name="scheduling.send_appointment_email")
def send_appointment_email(studio_id: int, appointment_id: int, kind: str) -> int:
    from scheduling import emails
    from scheduling.models import Appointment

    appointment = (Appointment.objects.select_related("client", "studio", "service", "calendar__location",
                                                      "calendar__teacher__user")
                   .filter(pk=appointment_id).first())
    if appointment is None:
        return 0
    return emails.send_appointment_email(appointment=appointment, kind=kind)
