"""Tasks: the renewal engine (MEM-3, MEM-5).

Beat runs `memberships.run_renewals_all_studios` every few minutes; it fans out one
`memberships.run_renewals` per studio (the global directory, no unscoped tenant read), which finds
what is due by the studio's own calendar and enqueues one `memberships.attempt_renewal` per renewal.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from memberships.services.renewals import renewal_attempt, renewals_run_due
from studio.models import Studio
from studio.tasking import studio_task


@shared_task(name="memberships.run_renewals_all_studios")
def run_renewals_all_studios() -> int:
    """Fan out: one renewal run per studio."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        run_renewals.delay(studio_id)
    return len(ids)


@studio_task(name="memberships.run_renewals")
def run_renewals(studio_id: int) -> int:
    return renewals_run_due(studio=Studio.objects.get(pk=studio_id), now=timezone.now())


@studio_task(name="memberships.attempt_renewal")
def attempt_renewal(studio_id: int, renewal_id: int) -> str:
    return renewal_attempt(renewal_id=renewal_id, now=timezone.now()).status
