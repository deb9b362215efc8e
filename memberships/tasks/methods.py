"""Tasks: a membership's lifecycle days and its payment method (H6).

Beat runs `memberships.lifecycle_daily_all_studios` every hour; it fans out one
`memberships.lifecycle_daily` per studio (the global directory), which — by the studio's own
calendar, so an hourly run flips within an hour of local midnight — starts and ends pauses and
sends the "your card expires before the renewal" emails (each once, so reruns are harmless).
`memberships.home_changed` runs after a client's home location changed: it emails a link to
add a payment method where the renewals now go, when none is there.
"""

from __future__ import annotations

from celery import shared_task

from memberships.services.lifecycle import membership_pauses_apply, studio_today
from memberships.services.methods import card_expiry_reminders_send, method_needed_notify
from studio.models import Client, Studio
from studio.tasking import studio_task


@shared_task(name="memberships.lifecycle_daily_all_studios")
def lifecycle_daily_all_studios() -> int:
    """Fan out: one lifecycle day per studio."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        lifecycle_daily.delay(studio_id)
    return len(ids)


@studio_task(name="memberships.lifecycle_daily")
def lifecycle_daily(studio_id: int) -> dict:
    studio = Studio.objects.get(pk=studio_id)
    today = studio_today(studio)
    return {
        "pauses": membership_pauses_apply(studio=studio, today=today),
        "card_expiring": card_expiry_reminders_send(studio=studio, today=today),
    }


@studio_task(name="memberships.home_changed")
def home_changed(studio_id: int, client_id: int) -> int:
    client = Client.objects.select_related("home_location").filter(pk=client_id).first()
    if client is None:
        return 0
    studio = Studio.objects.get(pk=studio_id)
    return method_needed_notify(studio=studio, client=client, today=studio_today(studio))
