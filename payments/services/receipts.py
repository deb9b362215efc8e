"""Receipts: one receipt for every succeeded payment, whatever the tender (card, reader, cash, credit).

The receipt is built from the ledger row alone (`payment_receipt_context`), so a cash or credit
payment recorded by `payment_record_tender` gets exactly the receipt a card payment gets. It is
rendered through the one PDF function (`studio.documents`), in the reader's language, and may
be kept for download, scoped to its studio (`payment_receipt_store`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from payments.models import Payment, PaymentStatusChange, Refund
from studio.documents.models import StoredDocument
from studio.documents.services import document_render_pdf, document_store
from studio.models import User
from studio.permissions import Perm

RECEIPT_TEMPLATE = "payments/documents/receipt.html"


def payment_receipt_context(*, payment: Payment) -> dict:
    """What a receipt shows, as codes and numbers (worded and formatted when rendered)."""
    if payment.status != Payment.Status.SUCCEEDED:
        raise ValidationError(_("Only a succeeded payment has a receipt."), code="status")
    refunds = list(
        Refund.objects.filter(studio_id=payment.studio_id, payment=payment, status=Refund.Status.SUCCEEDED)
        .order_by("created_at", "id")
        .values_list("amount", flat=True)
    )
    paid = (
        PaymentStatusChange.objects.filter(
            studio_id=payment.studio_id, payment=payment, status=Payment.Status.SUCCEEDED
        )
        .order_by("at", "id")
        .first()
    )
    # Shown in the zone of the place it was paid for, else the studio's (DESIGN.md "Time").
    zone = payment.location.time_zone if payment.location_id else payment.studio.time_zone
    return {
        "number": f"{payment.pk}",
        "paid_at": paid.at if paid else payment.updated_at,
        "time_zone": zone,
        "client_name": f"{payment.client.first_name} {payment.client.last_name}".strip()
        if payment.client
        else "",
        "description": payment.description,
        "currency": payment.currency,
        "subtotal": payment.subtotal,
        "tax_lines": list(payment.tax_lines or []),
        "card_fee": payment.card_fee_amount,
        "total": payment.amount,
        "refunds": refunds,
        "method": payment.method,
        "method_label": str(payment.get_method_display()),
    }


def payment_receipt_pdf(*, payment: Payment, language: str) -> bytes:
    """The payment's receipt as PDF bytes, in `language` (the reader's)."""
    return document_render_pdf(
        template=RECEIPT_TEMPLATE,
        context={"receipt": payment_receipt_context(payment=payment)},
        language=language,
        studio=payment.studio,
    )


def payment_receipt_store(
    *, payment: Payment, language: str, created_by: User | None = None
) -> StoredDocument:
    """Render the receipt and keep it for download (staff with Perm.VIEW_REPORTS), in its studio."""
    pdf = payment_receipt_pdf(payment=payment, language=language)
    return document_store(
        studio=payment.studio,
        title=_("Receipt %(number)s") % {"number": payment.pk},
        pdf=pdf,
        template=RECEIPT_TEMPLATE,
        language=language,
        permission=Perm.VIEW_REPORTS,
        client=payment.client,
        created_by=created_by,
    )
