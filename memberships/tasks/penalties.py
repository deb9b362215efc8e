"""Tasks: penalty fees (POL-4).

Scheduling's events (a late cancel, a no-show) enqueue `memberships.penalties_assess` per event;
beat runs `memberships.charge_penalties_all_studios` every five minutes, which fans out one
`memberships.charge_penalties` per studio (fees whose grace delay is over are charged); a
corrected attendance enqueues `memberships.penalties_reverse`; staff's "retry" enqueues
`memberships.penalty_charge`. All idempotent: the (rule, event) row and its key make one fee
and one charge, however often they run.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from memberships.services import penalties as service
from studio.models import Studio
from studio.tasking import studio_task

# A fee still being charged when its no-show is corrected: try the reversal again this much later.
REVERSE_RETRY_SECONDS = 600
REVERSE_RETRIES = 12


@studio_task(name="memberships.penalties_assess")
def penalties_assess(studio_id: int, event_kind: str, event_id: int) -> int:
    """The fees of one late cancel or no-show (get or create): how many the event has."""
    studio = Studio.objects.get(pk=studio_id)
    return len(service.penalties_assess(studio=studio, event_kind=event_kind, event_id=int(event_id)))


@shared_task(name="memberships.charge_penalties_all_studios")
def charge_penalties_all_studios() -> int:
    """Fan out (beat): each studio's run of fees past their grace delay."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        charge_penalties.delay(studio_id)
    return len(ids)


@studio_task(name="memberships.charge_penalties")
def charge_penalties(studio_id: int) -> int:
    return service.penalties_charge_due(studio=Studio.objects.get(pk=studio_id), now=timezone.now())


@studio_task(name="memberships.penalty_charge")
def penalty_charge(studio_id: int, penalty_id: int) -> str:
    """Charge one fee marked CHARGING (staff's retry)."""
    penalty = service.penalty_charge(studio=Studio.objects.get(pk=studio_id), penalty_id=int(penalty_id))
    return penalty.status if penalty is not None else ""


@studio_task(name="memberships.penalties_reverse", bind=True, max_retries=REVERSE_RETRIES)
def penalties_reverse(task, studio_id: int, event_kind: str, event_id: int) -> int:
    """The event's no-show fees go (attendance corrected). A fee still being charged is waited
    for: the task runs again later, when its charge has settled, and refunds it then."""
    waiting = service.penalties_reverse_for_event(
        studio=Studio.objects.get(pk=studio_id), event_kind=event_kind, event_id=int(event_id)
    )
    if waiting:
        raise task.retry(countdown=REVERSE_RETRY_SECONDS)
    return waiting


@studio_task(name="memberships.penalty_refund_unowed")
def penalty_refund_unowed(studio_id: int, penalty_id: int, payment_id: int) -> None:
    """Give back money that arrived for a fee waived or reversed meanwhile."""
    studio = Studio.objects.get(pk=studio_id)
    service.penalty_refund_unowed(studio=studio, penalty_id=int(penalty_id), payment_id=int(payment_id))
