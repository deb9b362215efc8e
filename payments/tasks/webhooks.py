"""Webhook tasks: process one stored Stripe event; sweep the events left unprocessed."""

from __future__ import annotations

from celery import shared_task

from payments.models import StripeEvent
from payments.services.webhooks import webhook_events_needing_processing, webhook_process


@shared_task(
    name="payments.process_stripe_event", autoretry_for=(Exception,), retry_backoff=True, max_retries=8
)
def process_stripe_event(event_pk: int) -> str:
    """Global task: the event row knows its studio; `webhook_process` enters that scope."""
    row = StripeEvent.objects.filter(pk=event_pk).first()
    return webhook_process(event_row=row) if row else "missing"


@shared_task(name="payments.sweep_stripe_events")
def sweep_stripe_events() -> int:
    """Beat: queue every stored event still unprocessed (never queued, or failed past its retries)."""
    event_pks = webhook_events_needing_processing()
    for event_pk in event_pks:
        process_stripe_event.delay(event_pk)
    return len(event_pks)
