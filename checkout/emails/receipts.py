"""The paid online order's receipt by email (CHK-2), with the receipt's PDF attached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register

ORDER_RECEIPT = register(
    MailTemplate(
        name="checkout.receipt",
        label=_("Online purchase receipt (with its PDF)"),
        files="checkout/orders/email/receipt",
        variables=("order_number", "client", "total"),
        # What a studio's own version of the email may say (CHK-3); the PDF is attached either way.
        placeholders=(
            ph.client_first_name(),
            ph.client_name(),
            ph.value("order_number", _("Order number"), key="order_number", sample="W-1042"),
            ph.amount("total", _("Total paid"), key="total", sample=6897),
        ),
    )
)
