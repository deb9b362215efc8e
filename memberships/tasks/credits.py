"""Tasks: credits a cancelled booking gives back (SCH-4).

Enqueued by memberships' receivers of scheduling's events (a cancel before the late window, a
class cancelled by the studio, a waitlist place that expired); idempotent, so a retry or a
duplicate event gives nothing twice.
"""

from __future__ import annotations

from celery import shared_task

from memberships.services.entitlements import credit_return, credit_returns_sweep
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="memberships.return_credit")
def return_credit(studio_id: int, booking_kind: str, booking_ids: list[int]) -> int:
    """Give back the credits of these cancelled bookings ("class" or "appointment"); how many
    uses were closed."""
    studio = Studio.objects.get(pk=studio_id)
    return sum(
        credit_return(studio=studio, booking_kind=booking_kind, booking_id=int(booking_id))
        for booking_id in booking_ids
    )


@shared_task(name="memberships.return_lost_credits_all_studios")
def return_lost_credits_all_studios() -> int:
    """Fan out (beat, hourly): each studio's sweep of credits whose return never ran."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        return_lost_credits.delay(studio_id)
    return len(ids)


@studio_task(name="memberships.return_lost_credits")
def return_lost_credits(studio_id: int) -> int:
    return credit_returns_sweep(studio=Studio.objects.get(pk=studio_id))
