"""Outcome tasks: tell a payment's source kind how the payment ended, and sweep what was missed."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled

from payments.models.ledger import PaymentOutcome
from payments.services.outcomes import MAX_DELIVERY_ATTEMPTS, outcome_deliver, outcomes_deliver_pending
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="payments.deliver_outcome", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_outcome(studio_id: int, outcome_id: int) -> str:
    """Run one outcome's hook inside its studio's scope; a raising hook is retried with backoff."""
    return outcome_deliver(outcome_id=outcome_id)


@studio_task(name="payments.deliver_outcomes_studio")
def deliver_outcomes_studio(studio_id: int) -> int:
    """The sweep for one studio: every outcome still undelivered; returns how many were delivered."""
    return outcomes_deliver_pending(studio=Studio.objects.get(pk=studio_id))


@shared_task(name="payments.sweep_outcomes")
def sweep_outcomes() -> int:
    """Beat: one sweep task per studio with undelivered outcomes (a lost enqueue loses nothing)."""
    horizon = timezone.now() - timedelta(minutes=2)
    with scopes_disabled():  # which studios have work: the per-studio task re-enters each scope
        studio_ids = list(
            PaymentOutcome.objects.filter(
                delivered_at__isnull=True, created_at__lte=horizon, attempts__lt=MAX_DELIVERY_ATTEMPTS
            )
            .values_list("studio_id", flat=True)
            .distinct()
        )
    for studio_id in studio_ids:
        deliver_outcomes_studio.delay(studio_id)
    return len(studio_ids)
