"""Offline tenders: cash at the counter, or the client's studio credit (PAY-7).

A tender is the same `Payment` row as a card payment — routed (the account and location the
money belongs to, for reports), priced with the same taxes (no card fee, no platform fee), keyed,
with its status history, audit line and its source kind's outcome hook — but nothing is sent to
Stripe, so phase 2 of the money services (`payments.services.common`) is skipped and the whole
thing is one transaction: the row, the credit spent (through the credit ledger, which refuses
to go below zero), the settled status and the outcome. Either all of it is written or none.

Refunds need nothing special: `refund_create` hands cash back at the counter and returns a
credit payment to credit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from payments.models import Payment, PaymentStatusChange
from payments.services.charges import payment_create_or_found
from payments.services.credit import credit_spend
from payments.services.fees import Quote
from payments.services.outcomes import outcome_record_status
from studio.models import Client, Location, Studio
from studio.services import Actor, audit_record

TENDERS = frozenset({Payment.Method.CASH, Payment.Method.CREDIT})


def payment_record_tender(
    *,
    studio: Studio,
    actor: Actor,
    tender: str,
    client: Client | None,
    subtotal: int,
    item_kind: str,
    channel: str,
    description: str,
    item_location: Location | None = None,
    pos_location: Location | None = None,
    idempotency_key: str | None = None,
    source_type: str = "",
    source_id: str = "",
    quote: Quote | None = None,
) -> Payment:
    """Record a cash or studio-credit payment, settled at once, in one transaction.

    `tender` is `Payment.Method.CASH` or `Payment.Method.CREDIT`. Credit needs a client and
    enough balance (ValidationError otherwise, and nothing is written). With `idempotency_key`,
    a second call (a double click, a retried task) returns the payment the first one recorded.
    """
    if tender not in TENDERS:
        raise ValueError(f"not an offline tender: {tender!r}")
    if tender == Payment.Method.CREDIT and client is None:
        raise ValidationError(_("Studio credit needs a client."), code="no_client")
    if client is not None and client.studio_id != studio.pk:
        raise ValidationError(_("This client belongs to another studio."), code="studio")
    with transaction.atomic():
        payment, created = payment_create_or_found(
            studio=studio,
            actor=actor,
            client=client,
            subtotal=subtotal,
            item_kind=item_kind,
            channel=channel,
            description=description,
            method=tender,
            item_location=item_location,
            pos_location=pos_location,
            idempotency_key=idempotency_key,
            source_type=source_type,
            source_id=source_id,
            quote=quote,
        )
        # A row made now, in this transaction, is seen by nobody else yet: no need to lock it.
        locked = payment if created else Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.PENDING:
            return locked  # the key named a tender recorded before
        if locked.method != tender:
            raise ValidationError(_("This payment was started with another method."), code="method")
        if tender == Payment.Method.CREDIT:
            credit_spend(
                studio=studio,
                actor=actor,
                client=client,
                amount=locked.amount,
                payment=locked,
                note=description,
            )
        locked.status = Payment.Status.SUCCEEDED
        locked.save(update_fields=["status", "updated_at"])
        PaymentStatusChange.objects.create(
            studio_id=studio.pk, payment=locked, status=locked.status, source="staff", detail=tender
        )
        outcome_record_status(payment=locked)
        audit_record(
            studio=studio,
            actor=actor,
            action="payment.tendered",
            obj=locked,
            changes={"amount": locked.amount, "tender": tender},
        )
    return locked
