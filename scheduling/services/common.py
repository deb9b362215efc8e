"""Pieces every scheduling service shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from scheduling import tasks
from studio.tasking import enqueue


class BookingError(ValidationError):
    """A booking, cancellation or check-in that the rules refuse; the message says why."""


def notify_booking(booking, kind: str) -> None:
    """Email the client about `booking` once the transaction commits."""
    enqueue(tasks.send_booking_email, booking.studio_id, booking.pk, kind)


def notify_appointment(appointment, kind: str) -> None:
    enqueue(tasks.send_appointment_email, appointment.studio_id, appointment.pk, kind)


def send_after_commit(signal, sender, **kwargs) -> None:
    """Tell listeners (penalty rules, refunds) once the change is committed."""
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))

