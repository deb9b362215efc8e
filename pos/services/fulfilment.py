"""Completing a sale: number it, make what was bought exist — exactly once (POS-1).

`sale_complete` runs inside the transaction that settled the sale's last tender, with the sale
row locked (`pos.services.tenders.tender_settle`), so the hook and the poll racing on the last
tender complete it once: the second finds it COMPLETED. Each line is fulfilled in a savepoint
and names what it made (`fulfilment_ref`), so a line already fulfilled is never fulfilled
again; a line whose fulfilment fails (a fee waived meanwhile, a plan archived) leaves its
reference empty, is logged and audited for a person, and does not undo a sale already paid.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from payments.models import Payment
from pos.models import LineKind, Sale, SaleStatus, SaleTender, TenderStatus
from studio.models import Studio
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

RECEIPT_TASK = "pos.sale_receipt_email"


def _next_number(studio: Studio) -> int:
    """The next receipt number of the studio: no gaps, no duplicates under concurrency.

    The studio row is locked FOR NO KEY UPDATE: completions in one studio take their numbers one
    after another, while inserts elsewhere in the studio (which only share-lock its key) go on."""
    Studio.objects.select_for_update(no_key=True).filter(pk=studio.pk).first()
    last = Sale.objects.filter(studio=studio, number__isnull=False).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _paying_payment(sale: Sale) -> Payment | None:
    """The payment that stands for the sale where one row must (a membership's period, a fee):
    the largest succeeded tender's (the first of equals)."""
    tender = (
        SaleTender.objects.filter(studio_id=sale.studio_id, sale=sale, status=TenderStatus.SUCCEEDED)
        .exclude(payment=None)
        .select_related("payment")
        .order_by("-amount", "id")
        .first()
    )
    return tender.payment if tender is not None else None


def _fulfil_line(*, studio: Studio, actor: Actor, sale: Sale, line, payment: Payment | None, now) -> str:
    from memberships.services import pos_sales
    from payments.services.credit import credit_grant

    if line.kind == LineKind.PLAN:
        membership = pos_sales.pos_membership_grant(
            studio=studio,
            actor=actor,
            client=sale.client,
            plan=line.plan,
            payment=payment,
            sale_id=sale.pk,
            line_id=line.pk,
            now=now,
        )
        return f"membership:{membership.pk}"
    if line.kind == LineKind.OWED:
        return pos_sales.pos_owed_pay(
            studio=studio,
            actor=actor,
            owed_kind=line.owed_kind,
            owed_id=line.owed_id,
            payment=payment,
            now=now,
        )
    if line.kind == LineKind.CREDIT_TOPUP:
        entry = credit_grant(
            studio=studio,
            actor=actor,
            client=sale.client,
            amount=line.line_total,
            note=f"POS #{sale.number}",
        )
        return f"credit:{entry.pk}"
    return ""  # products: the stock movement names the sale; drop-ins: booked when the sale froze


def sale_complete(*, studio: Studio, actor: Actor, sale: Sale, now=None) -> Sale:
    """TENDERING → COMPLETED, once: call with the sale row locked, inside the transaction that
    settled its last tender. Numbers the sale, fulfils every line (memberships, fees, renewals,
    credit; drop-ins were booked when it froze, products left the stock then) and asks the
    worker for the receipt email when the client has an address."""
    now = now or timezone.now()
    if sale.status != SaleStatus.TENDERING:
        return sale
    sale.number = _next_number(studio)
    sale.status = SaleStatus.COMPLETED
    sale.completed_at = now
    sale.save(update_fields=["number", "status", "completed_at", "updated_at"])
    payment = _paying_payment(sale)
    for line in sale.lines.select_related("plan").order_by("position", "id"):
        if line.fulfilment_ref or line.kind in (LineKind.PRODUCT, LineKind.DROP_IN):
            continue
        try:
            with transaction.atomic():  # a savepoint: one line's failure must not undo the paid sale
                ref = _fulfil_line(studio=studio, actor=actor, sale=sale, line=line, payment=payment, now=now)
        except Exception as exc:
            logger.exception("pos sale %s: line %s could not be fulfilled", sale.pk, line.pk)
            audit_record(
                studio=studio,
                actor=actor,
                action="pos.line_unfulfilled",
                obj=sale,
                changes={"line": line.pk, "kind": line.kind, "error": f"{type(exc).__name__}: {exc}"[:200]},
            )
            continue
        if ref:
            line.fulfilment_ref = ref
            line.save(update_fields=["fulfilment_ref"])
    audit_record(
        studio=studio,
        actor=actor,
        action="pos.sale_completed",
        obj=sale,
        changes={"number": sale.number, "total": sale.total},
    )
    if sale.client_id is not None:  # the task writes to the client, or their guardians, or nobody
        enqueue_by_name(RECEIPT_TASK, studio.pk, sale.pk)
    return sale
