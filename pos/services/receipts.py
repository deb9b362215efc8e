"""A completed sale's receipt (POS-1 "finish"): the printable page, the PDF, the email.

The receipt is built from the sale's frozen rows alone (`sale_receipt_context`): lines, the
cart's discount, taxes, the card-fee line, the tenders with the card's brand and last four
digits, the tip, the change given and any refunds. The page, the PDF and the email's PDF all
render the same context, the PDF through the platform's one PDF path (`studio.documents`) in
the reader's language, times in the location's zone.

The email goes through `notification_send`, to each addressee in their own language with the
PDF rendered in that language. The sale's own automatic email (the task
`pos.sale_receipt_email`, enqueued by the sale's completion) is sent once per sale; the clerk's
"Email" button sends whenever asked (to the client or to an address typed at the counter).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from payments.models import Refund
from payments.services.accounts import account_for_location
from pos.models import LineKind, Sale, SaleLine, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.pricing import discount_of
from studio.documents.services import document_render_pdf
from studio.models import StaffMember, Studio
from studio.notifications.models import Message
from studio.notifications.placeholders import LocalMoney
from studio.notifications.services import Addressee, Attachment, addressees_for, notification_send
from studio.services import Actor, audit_record

RECEIPT_PDF_TEMPLATE = "pos/till/receipt_pdf.html"
RECEIPT_EMAIL = "pos.sale_receipt"
AUTOMATIC_EMAIL_TASK = "pos.sale_receipt_email"
RECEIPT_STATUSES = frozenset({SaleStatus.COMPLETED})


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    kind: str
    quantity: int
    unit_amount: int
    line_subtotal: int
    own_discount: int  # the line's own discount (the cart's share is shown once, as the cart discount)
    line_total: int
    returned_quantity: int


@dataclass(frozen=True)
class ReceiptTender:
    kind: str
    label: str
    amount: int
    card_fee: int
    tip: int
    brand: str
    last4: str
    cash_received: int | None
    change_due: int


@dataclass(frozen=True)
class ReceiptRefund:
    amount: int
    destination: str
    label: str
    created_at: dt.datetime
    status: str


@dataclass
class Receipt:
    sale: Sale
    number: str
    studio_name: str
    location_name: str
    location_address: str
    legal_name: str
    when: dt.datetime | None  # in the location's zone
    time_zone: str
    clerk: str
    client_name: str
    currency: str
    lines: list[ReceiptLine] = field(default_factory=list)
    subtotal: int = 0
    lines_discount: int = 0
    cart_discount: int = 0
    tax_lines: list[dict] = field(default_factory=list)
    card_fee: int = 0
    total: int = 0  # the goods: subtotal − discounts + taxes
    tips: int = 0
    paid: int = 0  # what the client paid: total + card fees + tips
    tenders: list[ReceiptTender] = field(default_factory=list)
    refunds: list[ReceiptRefund] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == Refund.Status.SUCCEEDED)

    @property
    def change_due(self) -> int:
        return sum(t.change_due for t in self.tenders)


def _own_discount(line: SaleLine) -> int:
    """The line's own discount, as the pricing took it (the cart's share is shown once, apart)."""
    try:
        return discount_of(
            base=line.line_subtotal,
            kind=line.discount_kind,
            amount=line.discount_amount,
            percent=line.discount_percent,
        )
    except ValueError:  # a row the pricing would refuse today: show no discount rather than fail
        return 0


def _zone_name(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _clerk_name(sale: Sale) -> str:
    """The name the clerk shows clients (their staff display name), else their account's name."""
    if not sale.created_by_id:
        return ""
    shown = (
        StaffMember.objects.filter(studio_id=sale.studio_id, user_id=sale.created_by_id)
        .values_list("display_name", flat=True)
        .first()
    )
    return shown or sale.created_by.get_full_name()


def sale_for_receipt(*, studio: Studio, pk: int) -> Sale:
    """The sale with what its receipt shows, read in a fixed number of queries (404-able: DoesNotExist)."""
    return (
        Sale.objects.select_related("location", "client", "created_by", "cash_session")
        .prefetch_related("lines")
        .get(studio=studio, pk=pk)
    )


def sale_receipt_context(*, sale: Sale) -> Receipt:
    """What the receipt shows, as numbers and codes (worded and formatted when rendered)."""
    location = sale.location
    lines = list(sale.lines.all())
    tenders = list(
        SaleTender.objects.filter(studio_id=sale.studio_id, sale=sale, status=TenderStatus.SUCCEEDED)
        .select_related("payment__account")
        .order_by("created_at", "id")
    )
    payment_ids = [t.payment_id for t in tenders if t.payment_id]
    refunds = (
        list(
            Refund.objects.filter(studio_id=sale.studio_id, payment_id__in=payment_ids)
            .exclude(status=Refund.Status.FAILED)
            .order_by("created_at", "id")
        )
        if payment_ids
        else []
    )
    account = next((t.payment.account for t in tenders if t.payment_id and t.payment.account_id), None)
    if account is None:
        account = account_for_location(studio=sale.studio, location=location)
    zone = _zone_name(location.time_zone)
    when = sale.completed_at or sale.created_at
    tender_labels = dict(TenderKind.choices)
    destination_labels = dict(Refund.Destination.choices)
    receipt_lines = [
        ReceiptLine(
            description=line.description,
            kind=line.kind,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            line_subtotal=line.line_subtotal,
            own_discount=_own_discount(line),
            line_total=line.line_total,
            returned_quantity=line.returned_quantity,
        )
        for line in lines
    ]
    lines_discount = sum(line.own_discount for line in receipt_lines)
    card_fee = sum(t.card_fee_amount for t in tenders)
    tips = sum(t.tip_amount for t in tenders)
    address = ", ".join(
        part for part in (location.address_line, location.city, location.region, location.postal_code) if part
    )
    return Receipt(
        sale=sale,
        number=str(sale.number or sale.pk),
        studio_name=sale.studio.name,
        location_name=location.name,
        location_address=address,
        legal_name=account.display_name if account is not None else sale.studio.name,
        when=timezone.localtime(when, zoneinfo.ZoneInfo(zone)) if when else None,
        time_zone=zone,
        clerk=_clerk_name(sale),
        client_name=sale.client.full_name if sale.client_id else "",
        currency=sale.currency,
        lines=receipt_lines,
        subtotal=sale.subtotal,
        lines_discount=lines_discount,
        cart_discount=max(sale.discount_total - lines_discount, 0),
        tax_lines=list(sale.tax_lines or []),
        card_fee=card_fee,
        total=sale.total,
        tips=tips,
        paid=sale.total + card_fee + tips,
        tenders=[
            ReceiptTender(
                kind=t.kind,
                label=str(tender_labels.get(t.kind, t.kind)),
                amount=t.amount,
                card_fee=t.card_fee_amount,
                tip=t.tip_amount,
                brand=(t.payment.card_brand if t.payment_id else "") or "",
                last4=(t.payment.card_last4 if t.payment_id else "") or "",
                cash_received=t.cash_received,
                change_due=t.change_due,
            )
            for t in tenders
        ],
        refunds=[
            ReceiptRefund(
                amount=r.amount,
                destination=r.destination,
                label=str(destination_labels.get(r.destination, r.destination)),
                created_at=timezone.localtime(r.created_at, zoneinfo.ZoneInfo(zone)),
                status=r.status,
            )
            for r in refunds
        ],
    )


def _require_receipt(sale: Sale) -> None:
    if sale.status not in RECEIPT_STATUSES:
        raise ValidationError(_("Only a completed sale has a receipt."), code="status")


def sale_receipt_pdf(*, sale: Sale, language: str) -> bytes:
    """The sale's receipt as PDF bytes, worded in `language` (the reader's)."""
    _require_receipt(sale)
    return document_render_pdf(
        template=RECEIPT_PDF_TEMPLATE,
        context={"receipt": sale_receipt_context(sale=sale), "line_kinds": LineKind},
        language=language,
        studio=sale.studio,
    )


def sale_receipt_filename(sale: Sale) -> str:
    """`receipt-<studio>-<number>.pdf`, ASCII only (a header value); the sale's id makes it unique."""
    return f"receipt-{sale.studio.slug}-{sale.number or 0}-{sale.pk}.pdf"


def _paid_total(sale: Sale) -> int:
    """What the client paid in all: the goods, and each card tender's fee and tip."""
    from django.db.models import Sum

    extras = sale.tenders.filter(status=TenderStatus.SUCCEEDED).aggregate(
        fees=Sum("card_fee_amount"), tips=Sum("tip_amount")
    )
    return sale.total + (extras["fees"] or 0) + (extras["tips"] or 0)


def sale_receipt_email(*, studio: Studio, actor: Actor, sale: Sale, email: str | None = None) -> int:
    """Email the receipt with its PDF attached; returns the number of messages recorded.

    To `email` when given (typed at the counter; in the client's language, else the studio's),
    else to the sale's client — or their guardians, each in their own language. ValidationError
    when nobody can be written to.
    """
    _require_receipt(sale)
    if sale.studio_id != studio.pk:
        raise ValidationError(_("This sale belongs to another studio."), code="studio")
    client = sale.client
    fallback = studio.language or "fr"
    if email:
        language = (client.language if client is not None else "") or fallback
        addressees = [
            Addressee(
                email=email,
                language=language,
                name=client.first_name if client is not None and client.email == email else "",
                client=client if client is not None and client.email == email else None,
                about_client=client,
            )
        ]
    elif client is not None:
        addressees = addressees_for(studio=studio, recipient=client)
    else:
        addressees = []
    if not addressees:
        raise ValidationError(_("This sale has no email address to send to: type one."), code="no_email")
    filename = sale_receipt_filename(sale)
    sent = 0
    context = {
        "sale_number": str(sale.number or sale.pk),
        "location_name": sale.location.name,
        "total": LocalMoney(_paid_total(sale), sale.currency),
    }
    for addressee in addressees:
        with translation.override(addressee.language):
            pdf = sale_receipt_pdf(sale=sale, language=addressee.language)
        messages = notification_send(
            studio=studio,
            recipient=addressee,
            template=RECEIPT_EMAIL,
            context={**context, "client": client},
            attachments=[Attachment(filename=filename, content=pdf, content_type="application/pdf")],
        )
        sent += len(messages)
    audit_record(
        studio=studio,
        actor=actor,
        action="pos_sale.receipt_emailed",
        obj=sale,
        changes={"recipients": len(addressees)},
    )
    return sent


def sale_receipt_auto_email(*, studio: Studio, sale: Sale) -> int:
    """The sale's own receipt email, once per sale (the completion's task; a redelivered task or a
    second enqueue finds it recorded). Nothing when the client has no address (or no client)."""
    from studio.services import SYSTEM

    if sale.status not in RECEIPT_STATUSES or sale.client_id is None:
        return 0
    filename = sale_receipt_filename(sale)
    if Message.objects.filter(studio=studio, template=RECEIPT_EMAIL, attachments__filename=filename).exists():
        return 0
    try:
        return sale_receipt_email(studio=studio, actor=SYSTEM, sale=sale)
    except ValidationError:
        return 0
