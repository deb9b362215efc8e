"""Pieces every scheduling service shares: the refusal type, mail and events after commit.

Services name tasks instead of importing them (`enqueue_by_name`): tasks import services, so
an import the other way would be a loop.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from scheduling.timeutils import local_date_label, local_when_label
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)


__all__ = [
    "BookingError",
    "local_date_label",
    "local_when_label",
    "notify_appointment",
    "notify_booking",
    "send_event",
]


class BookingError(ValidationError):
    """A booking, cancellation or check-in that the rules refuse; the message says why."""


def notify_booking(booking, kind: str) -> None:
    """Email the client about `booking` once the transaction commits."""
    enqueue_by_name("scheduling.send_booking_email", booking.studio_id, booking.pk, kind)


def notify_appointment(appointment, kind: str) -> None:
    """Email the client about `appointment` once the transaction commits."""
    enqueue_by_name("scheduling.send_appointment_email", appointment.studio_id, appointment.pk, kind)


def send_event(signal, sender, **kwargs) -> None:
    """Tell listeners (penalty rules, refunds, payroll) once the change is committed.

    `kwargs` are ids and plain values only. `send_robust` catches a receiver's error (logged
    here), and the robust on_commit callback keeps one failure from skipping the callbacks
    registered after it: a committed request never turns into a 500 because of a listener.
    """

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Receiver %r of a scheduling event failed: %s",
                    receiver,
                    result,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send, robust=True)
