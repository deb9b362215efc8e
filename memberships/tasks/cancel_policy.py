"""Tasks: what a cancel gives back under the studio's cancellation policy (POL-1).

Enqueued by memberships' receivers of scheduling's `booking_cancelled` / `appointment_cancelled`
events; the task decides with the cancel's own time (stored on the row), so a task that runs
late decides as the cancel page said. Idempotent: a duplicate event gives nothing twice.
"""

from __future__ import annotations

from memberships.services.entitlements import cancel_settle
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="memberships.cancel_settle")
def cancel_settle_task(studio_id: int, booking_kind: str, booking_ids: list[int]) -> list[str]:
    """Settle these cancelled bookings ("class") or appointments ("appointment"); the outcome
    codes, in order."""
    studio = Studio.objects.get(pk=studio_id)
    return [
        cancel_settle(studio=studio, booking_kind=booking_kind, booking_id=int(booking_id))
        for booking_id in booking_ids
    ]
