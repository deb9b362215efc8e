"""The sale's receipt by email (POS-1 "finish"), with the receipt's PDF attached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register

SALE_RECEIPT = register(
    MailTemplate(
        name="pos.sale_receipt",
        label=_("Point-of-sale receipt (with its PDF)"),
        files="pos/till/email/receipt",
        variables=("sale_number", "location_name", "client", "total"),
        # What a studio's own version of the email may say (CHK-3); the PDF is attached either way.
        placeholders=(
            ph.client_first_name(),
            ph.client_name(),
            ph.value("receipt_number", _("Receipt number"), key="sale_number", sample="1042"),
            ph.value("location_name", _("Location"), key="location_name", sample=_("Laval")),
            ph.amount("total", _("Total paid"), key="total", sample=6897),
        ),
    )
)
