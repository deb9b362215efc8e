"""The sale's life-cycle tasks (tender): the beat's sweep of abandoned sales and stale carts, and
the refund of a card approved after its sale was voided."""

from __future__ import annotations

from celery import shared_task

from pos.services.checkout import sales_sweep, tender_refund_voided
from studio.models import Studio
from studio.tasking import studio_task


@shared_task(name="pos.sweep_sales_all_studios")
def sweep_sales_all_studios() -> int:
    """Fan out (beat): each studio's sweep of abandoned sales and stale carts."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        void_abandoned_sales.delay(studio_id)
    return len(ids)


@studio_task(name="pos.void_abandoned_sales")
def void_abandoned_sales(studio_id: int) -> dict:
    return sales_sweep(studio=Studio.objects.get(pk=studio_id))


@studio_task(name="pos.refund_voided_tender")
def refund_voided_tender(studio_id: int, tender_id: int) -> None:
    tender_refund_voided(studio=Studio.objects.get(pk=studio_id), tender_id=tender_id)
