"""Invoice reminders (PAY-11): a beat fan-out, then one task per studio."""

from __future__ import annotations

from celery import shared_task

from payments.services.invoices import invoice_reminders_send
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="payments.invoice_reminders_studio")
def invoice_reminders_studio(studio_id: int) -> int:
    """Send the studio's due reminders (each once); returns how many messages."""
    return invoice_reminders_send(studio=Studio.objects.get(pk=studio_id))


@shared_task(name="payments.invoice_reminders_sweep")
def invoice_reminders_sweep() -> int:
    """Beat: one reminder task per studio (the studio directory needs no scope; each task enters its own)."""
    studio_ids = list(Studio.objects.values_list("pk", flat=True))
    for studio_id in studio_ids:
        invoice_reminders_studio.delay(studio_id)
    return len(studio_ids)
