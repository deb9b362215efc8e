"""Tasks: the sweep of card sales whose charge was never made (a process died in between)."""

from __future__ import annotations

from celery import shared_task

from memberships.services.sales import sales_sweep_orphans
from studio.models import Studio
from studio.tasking import studio_task


@shared_task(name="memberships.sweep_orphan_sales_all_studios")
def sweep_orphan_sales_all_studios() -> int:
    """Fan out (beat): each studio's sweep of sales that no payment names."""
    ids = list(Studio.objects.values_list("id", flat=True))
    for studio_id in ids:
        remove_orphan_sales.delay(studio_id)
    return len(ids)


@studio_task(name="memberships.remove_orphan_sales")
def remove_orphan_sales(studio_id: int) -> int:
    return sales_sweep_orphans(studio=Studio.objects.get(pk=studio_id))
