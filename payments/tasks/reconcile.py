"""Reconcile payments whose outcome at Stripe is unknown (beat), per studio."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from payments.models import Payment
from payments.services.charges import payment_reconcile, payments_needing_reconcile
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="payments.reconcile_studio")
def payments_reconcile_studio(studio_id: int) -> int:
    """Reconcile every old-enough unsettled payment of one studio; returns how many settled."""
    studio = Studio.objects.get(pk=studio_id)
    settled = 0
    for payment in payments_needing_reconcile(studio=studio):
        if payment_reconcile(payment=payment).status != payment.status:
            settled += 1
    return settled


@shared_task(name="payments.reconcile_all")
def payments_reconcile_all() -> int:
    """Beat: one reconcile task per studio that has unsettled payments."""
    with scopes_disabled():
        studio_ids = list(
            Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.PROCESSING])
            .values_list("studio_id", flat=True)
            .distinct()
        )
    for studio_id in studio_ids:
        payments_reconcile_studio.delay(studio_id)
    return len(studio_ids)
