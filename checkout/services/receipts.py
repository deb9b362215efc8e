"""A paid online order's receipt (CHK-2): the PDF, the email that carries it.

The receipt is built from the order's frozen rows alone (`order_receipt_context`): its number,
the date it was paid in the studio's zone, the lines, the taxes, the studio-credit part, the
card-fee line, the card's brand and last four digits, and the legal name of the account the
card payment was routed to (PAY-3) — the business the client actually paid. The confirmation
page, the account page's PDF link and the email's attachment all render the same PDF, through
the platform's one PDF path (`studio.documents`), in the reader's language.

The email (`checkout.receipt`, a template studios may edit — CHK-3) goes through
`notification_send` to the client, or to their guardians when the client is a child without an
address, each in their own language with the PDF rendered in that language. It is sent once per
order: the task that `order_mark_paid` enqueues finds a receipt already recorded and sends
nothing again.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from checkout.models import Order, OrderLine, OrderStatus
from payments.models import Payment
from studio.documents.services import document_render_pdf
from studio.models import Studio
from studio.notifications.models import Message
from studio.notifications.placeholders import LocalMoney
from studio.notifications.services import Attachment, addressees_for, notification_send
from studio.services import SYSTEM, Actor, audit_record

RECEIPT_PDF_TEMPLATE = "checkout/orders/receipt_pdf.html"
RECEIPT_EMAIL = "checkout.receipt"


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    kind: str
    quantity: int
    unit_amount: int
    line_subtotal: int
    line_total: int


@dataclass
class OrderReceipt:
    order: Order
    number: str
    studio_name: str
    legal_name: str
    when: dt.datetime | None  # in the studio's zone
    time_zone: str
    client_name: str
    currency: str
    lines: list[ReceiptLine] = field(default_factory=list)
    subtotal: int = 0
    tax_lines: list[dict] = field(default_factory=list)
    total: int = 0  # the goods: subtotal + taxes
    credit_applied: int = 0
    card_fee: int = 0
    card_amount: int = 0  # what the card was charged: total − credit + fee
    card_brand: str = ""
    card_last4: str = ""
    transaction_id: str = ""

    @property
    def paid(self) -> int:
        return self.credit_applied + self.card_amount


def order_number_label(order: Order) -> str:
    """The number printed on the receipt and shown to the client: "W-12" (W for web)."""
    return f"W-{order.number}" if order.number else ""


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def order_for_receipt(*, studio: Studio, pk: int) -> Order:
    """The order with what its receipt shows, in a fixed number of queries (DoesNotExist: 404)."""
    return (
        Order.objects.select_related("client", "payment__account", "credit_payment")
        .prefetch_related("lines")
        .get(studio=studio, pk=pk)
    )


def order_receipt_context(*, order: Order) -> OrderReceipt:
    """What the receipt shows, as numbers and codes (worded and formatted when rendered)."""
    studio = order.studio
    payment: Payment | None = order.payment if order.payment_id else None
    card_paid = payment is not None and payment.status == Payment.Status.SUCCEEDED
    account = payment.account if card_paid and payment.account_id else None
    zone = _zone(studio.time_zone)
    lines: list[OrderLine] = list(order.lines.all())
    return OrderReceipt(
        order=order,
        number=order_number_label(order),
        studio_name=studio.name,
        legal_name=account.display_name if account is not None else studio.name,
        when=timezone.localtime(order.paid_at, zoneinfo.ZoneInfo(zone)) if order.paid_at else None,
        time_zone=zone,
        client_name=order.client.full_name if order.client_id else "",
        currency=order.currency,
        lines=[
            ReceiptLine(
                description=line.label,
                kind=line.kind,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                line_subtotal=line.line_subtotal,
                line_total=line.line_total,
            )
            for line in lines
        ],
        subtotal=order.subtotal,
        tax_lines=list(order.tax_lines or []),
        total=order.total,
        credit_applied=order.credit_applied,
        card_fee=order.card_fee if card_paid else 0,
        card_amount=order.amount_due if card_paid else 0,
        card_brand=(payment.card_brand or "") if card_paid else "",
        card_last4=(payment.card_last4 or "") if card_paid else "",
        transaction_id=(payment.stripe_charge_id or payment.stripe_payment_intent_id or "")
        if card_paid
        else "",
    )


def _require_paid(order: Order) -> None:
    if order.status != OrderStatus.PAID:
        raise ValidationError(_("Only a paid order has a receipt."), code="status")


def order_receipt_pdf(*, order: Order, language: str | None = None) -> bytes:
    """The paid order's receipt as PDF bytes, worded in `language` (default: the client's, else
    the studio's)."""
    _require_paid(order)
    if not language:
        client_language = order.client.language if order.client_id else ""
        language = client_language or order.studio.language or "fr"
    with translation.override(language):
        return document_render_pdf(
            template=RECEIPT_PDF_TEMPLATE,
            context={"receipt": order_receipt_context(order=order)},
            language=language,
            studio=order.studio,
        )


def order_receipt_filename(order: Order) -> str:
    """`receipt-<studio>-W<number>-<id>.pdf`, ASCII only (a header value); the id makes it unique."""
    return f"receipt-{order.studio.slug}-W{order.number or 0}-{order.pk}.pdf"


def order_receipt_email(*, studio: Studio, order: Order, actor: Actor = SYSTEM) -> int:
    """Email the receipt with its PDF attached to the order's client (or their guardians), each
    in their own language; returns the number of messages recorded (0: nobody has an address)."""
    _require_paid(order)
    if order.studio_id != studio.pk:
        raise ValidationError(_("This order belongs to another studio."), code="studio")
    client = order.client
    if client is None:
        return 0
    addressees = addressees_for(studio=studio, recipient=client)
    filename = order_receipt_filename(order)
    context = {
        "order_number": order_number_label(order),
        "total": LocalMoney(order.credit_applied + order.amount_due, order.currency),
        "client": client,
    }
    sent = 0
    for addressee in addressees:
        pdf = order_receipt_pdf(order=order, language=addressee.language)
        messages = notification_send(
            studio=studio,
            recipient=addressee,
            template=RECEIPT_EMAIL,
            context=context,
            attachments=[Attachment(filename=filename, content=pdf, content_type="application/pdf")],
        )
        sent += len(messages)
    if addressees:
        audit_record(
            studio=studio,
            actor=actor,
            action="checkout.receipt_emailed",
            obj=order,
            changes={"recipients": len(addressees)},
        )
    return sent


def order_receipt_sent(*, order: Order) -> bool:
    """Whether the order's receipt email is recorded (the worker may not have run yet)."""
    return Message.objects.filter(
        studio_id=order.studio_id, template=RECEIPT_EMAIL, attachments__filename=order_receipt_filename(order)
    ).exists()


def order_receipt_auto_email(*, studio: Studio, order: Order) -> int:
    """The order's own receipt email, once per order (the paid order's task; a redelivered task
    or a second enqueue finds it recorded). Nothing when the order has no client."""
    if order.status != OrderStatus.PAID or order.client_id is None:
        return 0
    if order_receipt_sent(order=order):
        return 0
    return order_receipt_email(studio=studio, order=order)
