"""The sale's receipt by email (POS-1 "finish"), with the receipt's PDF attached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications.registry import MailTemplate, register

SALE_RECEIPT = register(
    MailTemplate(
        name="pos.sale_receipt",
        label=_("Point-of-sale receipt (with its PDF)"),
        files="pos/till/email/receipt",
        variables=("sale_number", "location_name", "client"),
    )
)
