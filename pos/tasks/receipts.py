"""The sale's own receipt email, enqueued by name (`pos.sale_receipt_email`) when a sale completes."""

from __future__ import annotations

from pos.models import Sale
from pos.services.receipts import sale_receipt_auto_email
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="pos.sale_receipt_email")
def sale_receipt_email(studio_id: int, sale_id: int) -> int:
    """Email the receipt of sale `sale_id` to its client, once; returns the messages recorded."""
    sale = Sale.objects.select_related("location", "client").filter(pk=sale_id).first()
    if sale is None:
        return 0
    studio = Studio.objects.get(pk=studio_id)
    sale.studio = studio
    return sale_receipt_auto_email(studio=studio, sale=sale)
