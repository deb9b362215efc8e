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
from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scope

from payments.models import Payment
from pos.models import LineKind, Sale, SaleLine, SaleStatus, SaleTender, TenderStatus
from studio.compiled_sql import compiled_instance, compiled_joined, compiled_platform_rows, compiled_rows
from studio.models import Studio
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

RECEIPT_TASK = "pos.sale_receipt_email"
# On a sale locked by its caller: its lines as read under that lock (`sale_lines`).
LINES = "_pos_lines"
# On a sale locked by its caller: its succeeded tenders as read (or made) under that lock.
SUCCEEDED = "_pos_succeeded"


def _lines_query(*, studio_id: int, sale_id: int) -> QuerySet[SaleLine]:
    return SaleLine.objects.filter(sale_id=sale_id).select_related("plan").order_by("position", "id")


def sale_lines(sale: Sale) -> list[SaleLine]:
    """The sale's lines (with their plans), in order, as `sale.lines.select_related("plan")
    .order_by("position", "id")` reads them, from SQL compiled once per process
    (`pos/tests/test_tender_compiled.py` holds it to the ORM), and read once per locked
    instance: a cash tender that completes the sale names them in its payment and then fulfils
    them, under one lock. The caller that locked the sale drops them (`LINES`) when its
    transaction ends."""
    lines = sale.__dict__.get(LINES)
    if lines is not None:
        return lines
    lines = []
    with scope(studio=sale.studio_id):
        rows = compiled_rows("pos-sale-lines-plans", _lines_query, sale_id=sale.pk)
    for row in rows:
        line, end = compiled_instance(SaleLine, row)
        compiled_joined(line, "plan", row, end)
        line.sale = sale
        lines.append(line)
    sale.__dict__[LINES] = lines
    return lines


def _next_number(studio: Studio) -> int:
    """The next receipt number of the studio: no gaps, no duplicates under concurrency.

    The studio row is locked FOR NO KEY UPDATE: completions in one studio take their numbers one
    after another, while inserts elsewhere in the studio (which only share-lock its key) go on.
    Two statements, on purpose: the highest number is read by a statement that starts once the
    lock is held, so it sees the number the previous holder committed. Both are compiled once
    (`studio.compiled_sql`), held to the ORM by `pos/tests/test_tender_compiled.py`."""
    compiled_platform_rows("pos-number-studio-lock", _studio_lock_query, studio_pk=studio.pk)
    with scope(studio=studio):
        last = compiled_rows("pos-number-last", _last_number_query)
    return (last[0][0] if last else 0) + 1


def _studio_lock_query(*, studio_pk: int) -> QuerySet:
    return Studio.objects.select_for_update(no_key=True).filter(pk=studio_pk).values_list("pk")


def _last_number_query(*, studio_id: int) -> QuerySet:
    # The highest number as `aggregate(Max("number"))` finds it (numbers are never NULL here).
    return Sale.objects.filter(number__isnull=False).order_by("-number").values_list("number")[:1]


def _paying_payment(sale: Sale) -> Payment | None:
    """The payment that stands for the sale where one row must (a membership's period, a fee):
    the largest succeeded tender's (the first of equals). From the succeeded tenders the caller
    read (or made) under the sale's lock when it kept them (`SUCCEEDED`), else read now."""
    succeeded = sale.__dict__.get(SUCCEEDED)
    if succeeded is not None:
        paid = [row for row in succeeded if row.payment_id is not None]
        tender = min(paid, key=lambda row: (-row.amount, row.id), default=None)
        return tender.payment if tender is not None else None
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
    for line in sale_lines(sale):
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
