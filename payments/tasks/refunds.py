"""Refund tasks: settle refunds whose outcome at Stripe is unknown (beat), per studio."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from payments.models import Refund
from payments.services.refunds import refund_reconcile, refunds_needing_reconcile
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="payments.refund_reconcile_studio")
def refunds_reconcile_studio(studio_id: int) -> int:
    """Reconcile every old-enough pending Stripe refund of one studio; returns how many settled."""
    studio = Studio.objects.get(pk=studio_id)
    settled = 0
    for refund in refunds_needing_reconcile(studio=studio):
        if refund_reconcile(refund=refund).status != Refund.Status.PENDING:
            settled += 1
    return settled


@shared_task(name="payments.refund_reconcile_all")
def refunds_reconcile_all() -> int:
    """Beat: one reconcile task per studio that has pending Stripe refunds."""
    with scopes_disabled():
        studio_ids = list(
            Refund.objects.filter(status=Refund.Status.PENDING, destination=Refund.Destination.ORIGINAL)
            .values_list("studio_id", flat=True)
            .distinct()
        )
    for studio_id in studio_ids:
        refunds_reconcile_studio.delay(studio_id)
    return len(studio_ids)
