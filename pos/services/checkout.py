"""The sale's life cycle (POS-1): OPEN → TENDERING → COMPLETED, or → VOIDED. docs/pos.md.

The public surface of the point of sale's checkout (CONTRACT.md "Sale life cycle and
tenders"): freezing and tenders live in `pos.services.tenders`, completion and fulfilment in
`pos.services.fulfilment`, voiding here; callers import every name from this module.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import Payment, Refund
from pos.models import LineKind, Sale, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.services.card_tenders import (
    sale_route,
    saved_cards_for_sale,
    tender_manual_card_finish,
    tender_manual_card_start,
    tender_reader_cancel,
    tender_reader_poll,
    tender_reader_start,
    tender_saved_card,
)
from pos.services.fulfilment import sale_complete
from pos.services.tenders import (
    CARD_KINDS,
    SOURCE_KIND,
    WaiverRequired,
    sale_balance,
    sale_drop_in_ref,
    sale_lock,
    sale_paid,
    tender_cash,
    tender_credit,
    tender_key,
    tender_on_payment_outcome,
    tender_refund_voided,
    tender_settle,
)
from studio.models import Studio
from studio.services import SYSTEM, Actor, audit_record

__all__ = [
    "CARD_KINDS",
    "SOURCE_KIND",
    "WaiverRequired",
    "sale_balance",
    "sale_complete",
    "sale_lock",
    "sale_paid",
    "sale_route",
    "sale_void",
    "sales_sweep",
    "saved_cards_for_sale",
    "tender_cash",
    "tender_credit",
    "tender_key",
    "tender_manual_card_finish",
    "tender_manual_card_start",
    "tender_on_payment_outcome",
    "tender_reader_cancel",
    "tender_reader_poll",
    "tender_reader_start",
    "tender_refund_voided",
    "tender_saved_card",
    "tender_settle",
]

logger = logging.getLogger(__name__)

#: A sale left TENDERING this long (the clerk walked away mid-payment) is voided by the sweep.
ABANDONED_AFTER = timedelta(hours=12)
#: A cart never paid (OPEN) this old is deleted: it took nothing, holds nothing.
STALE_CART_AFTER = timedelta(days=1)


def _release_places(*, studio: Studio, actor: Actor, sale: Sale) -> None:
    """Cancel the bookings the sale held for its drop-ins (no late-cancel fee: nobody was late)."""
    from scheduling.models import Booking
    from scheduling.services import BookingError, booking_cancel

    for line in sale.lines.filter(kind=LineKind.DROP_IN, fulfilment_ref__startswith="booking:"):
        booking_id = line.fulfilment_ref.removeprefix("booking:")
        booking = Booking.objects.filter(studio=studio, pk=int(booking_id)).select_related("session").first()
        if booking is None or booking.payment_ref != sale_drop_in_ref(sale):
            continue
        # Cancelled already (a second void, or staff cancelled it by hand): nothing more to do.
        with contextlib.suppress(BookingError):
            booking_cancel(studio=studio, actor=actor, booking=booking, by_staff=True, waive_late_cancel=True)


def sale_void(*, studio: Studio, actor: Actor, sale: Sale, reason: str = "") -> Sale:
    """Abandon a sale that is not completed; nothing lost, nothing doubled.

    In one transaction (the sale locked): VOIDED, the stock given back, the held places
    cancelled. Then, outside it: every succeeded tender refunded in full to where it came from
    (a card to the card, cash handed back at the counter and recorded, credit back to credit),
    and a card still waiting cancelled (on the reader, or the unconfirmed intent). A card that is
    approved anyway after this is refunded by the worker (`tender_settle` sees the sale voided).
    Voiding again refunds nothing more. A completed sale is refused: that is a return.
    """
    reason = (reason or "")[:200]
    with transaction.atomic():
        locked = (
            Sale.objects.select_for_update(of=("self",))
            .select_related("location", "client")
            .get(pk=sale.pk, studio=studio)
        )
        if locked.status == SaleStatus.COMPLETED:
            raise ValidationError(
                _("This sale is completed: refund it with a return instead."), code="completed"
            )
        if locked.status == SaleStatus.OPEN or locked.status == SaleStatus.TENDERING:
            was_tendering = locked.status == SaleStatus.TENDERING
            locked.status = SaleStatus.VOIDED
            locked.voided_at = timezone.now()
            locked.void_reason = reason
            locked.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
            if was_tendering:
                from pos.services.stock import stock_release_for_sale

                stock_release_for_sale(studio=studio, actor=actor, sale=locked, reason=reason)
                _release_places(studio=studio, actor=actor, sale=locked)
            audit_record(
                studio=studio,
                actor=actor,
                action="pos.sale_voided",
                obj=locked,
                changes={"reason": reason, "paid": sale_paid(sale=locked)},
            )
    tenders = list(
        SaleTender.objects.filter(studio=studio, sale=locked)
        .exclude(payment=None)
        .select_related("payment")
        .order_by("id")
    )
    for tender in tenders:
        if tender.status == TenderStatus.PENDING:
            _stop_pending(studio=studio, actor=actor, tender=tender)
        tender.refresh_from_db()
        if tender.status == TenderStatus.SUCCEEDED:
            _refund_tender(studio=studio, tender=tender, reason=reason)
    locked.refresh_from_db()
    return locked


def _stop_pending(*, studio: Studio, actor: Actor, tender: SaleTender) -> None:
    try:
        tender_reader_cancel(studio=studio, actor=actor, tender=tender)
    except Exception:
        logger.warning("pos tender %s: could not cancel while voiding", tender.pk, exc_info=True)


def _refund_tender(*, studio: Studio, tender: SaleTender, reason: str) -> None:
    from payments.services.refunds import refund_create

    payment = Payment.objects.get(pk=tender.payment_id)
    if payment.status != Payment.Status.SUCCEEDED or payment.refundable <= 0:
        return
    try:
        # The system gives the money back: voiding an unfinished sale is the clerk's to do
        # (Perm.SELL_POS), it is not a refund of goods the client keeps (Perm.REFUND, returns).
        refund_create(
            studio=studio,
            actor=SYSTEM,
            payment=payment,
            amount=payment.refundable,
            destination=Refund.Destination.ORIGINAL,
            reason=reason or "sale voided",
            expected_refunded=payment.amount_refunded,
        )
    except ValidationError:
        logger.info("pos tender %s: refunded meanwhile (a second void)", tender.pk)


def sale_refunds_due(*, sale: Sale) -> list[tuple[SaleTender, int]]:
    """What voiding would give back, per tender: (tender, amount) — for the confirm step."""
    out = []
    for tender in sale.tenders.exclude(payment=None).select_related("payment").order_by("id"):
        if tender.status == TenderStatus.SUCCEEDED and tender.payment.refundable > 0:
            out.append((tender, tender.payment.refundable))
    return out


def sales_sweep(*, studio: Studio, now: datetime | None = None) -> dict:
    """The beat's sweep for one studio: sales left TENDERING past `ABANDONED_AFTER` are voided
    (money back, stock and places released); OPEN carts older than `STALE_CART_AFTER`, which took
    nothing, are deleted. Returns the counts."""
    now = now or timezone.now()
    voided = deleted = 0
    abandoned = Sale.objects.filter(
        studio=studio, status=SaleStatus.TENDERING, locked_at__lt=now - ABANDONED_AFTER
    ).values_list("pk", flat=True)
    for sale_id in list(abandoned):
        sale = Sale.objects.get(pk=sale_id)
        try:
            sale_void(studio=studio, actor=SYSTEM, sale=sale, reason="abandoned")
            voided += 1
        except Exception:
            logger.exception("pos: could not void abandoned sale %s", sale_id)
    stale = Sale.objects.filter(studio=studio, status=SaleStatus.OPEN, updated_at__lt=now - STALE_CART_AFTER)
    for sale_id in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            sale = Sale.objects.select_for_update().filter(pk=sale_id, status=SaleStatus.OPEN).first()
            if sale is None or SaleTender.objects.filter(sale=sale).exists():
                continue
            sale.lines.all().delete()
            sale.delete()
            deleted += 1
    return {"voided": voided, "deleted": deleted}


# Kinds whose tender is a card at Stripe (reader, typed, saved): what the panel shows routing for.
CARD_TENDER_KINDS = (TenderKind.SAVED_CARD, TenderKind.MANUAL_CARD, TenderKind.READER)
