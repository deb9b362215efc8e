"""Telling the thing bought how its payment ended (the source kinds' outcome hooks).

Three steps, each safe to repeat:
1. **record** — the transaction that moves a payment to a final state (or settles one of its
   refunds) also writes a `PaymentOutcome` row, unique per (payment, change), and asks for its
   delivery after commit (`enqueue_by_name`, robust: a broker outage is logged, not raised);
2. **deliver** — the worker, inside the studio's scope, locks the row, runs the source kind's
   hook in a savepoint and marks the row delivered in the same transaction, so the hook's own
   writes happen exactly once; a hook that raises leaves the row undelivered, with its error,
   and the task retries it;
3. **sweep** — a beat task delivers every row still undelivered a few minutes later (the
   enqueue was lost, the worker died, the retries ran out), one row at a time, so a row whose
   hook keeps failing never holds up the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from payments.models import Payment, Refund
from payments.models.ledger import PaymentOutcome
from payments.services.sources import source_kind_get
from studio.models import Studio
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

#: Past this many failed deliveries the sweep stops trying; the row stays visible with its error.
MAX_DELIVERY_ATTEMPTS = 20

_FINAL = {
    Payment.Status.SUCCEEDED: PaymentOutcome.State.SUCCEEDED,
    Payment.Status.FAILED: PaymentOutcome.State.FAILED,
    Payment.Status.CANCELED: PaymentOutcome.State.CANCELED,
}


def outcome_record_status(*, payment: Payment) -> PaymentOutcome | None:
    """Call inside the transaction that just set `payment.status` (the payment row locked).

    Records the change when the status is final and the payment pays for a source; else nothing.
    """
    state = _FINAL.get(payment.status)
    if state is None:
        return None
    return _record(payment, state=state, change=f"status:{payment.status}", refund=None)


def outcome_record_refund(*, payment: Payment, refund: Refund) -> PaymentOutcome | None:
    """Call inside the transaction that just settled `refund` as succeeded (the payment row locked).

    The state says whether the payment is now refunded in whole or in part, counting settled
    refunds only (a pending one may still fail and give its reservation back).
    """
    settled = (
        Refund.objects.filter(
            studio_id=payment.studio_id, payment_id=payment.pk, status=Refund.Status.SUCCEEDED
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    state = (
        PaymentOutcome.State.REFUNDED
        if settled >= payment.amount
        else PaymentOutcome.State.PARTIALLY_REFUNDED
    )
    return _record(payment, state=state, change=f"refund:{refund.pk}", refund=refund)


def _record(payment: Payment, *, state: str, change: str, refund: Refund | None) -> PaymentOutcome | None:
    if not payment.source_type:
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not break the caller's transaction
            row = PaymentOutcome.objects.create(
                studio_id=payment.studio_id,
                payment=payment,
                state=state,
                change=change,
                refund=refund,
                source_type=payment.source_type,
            )
    except IntegrityError:
        return None  # this change was recorded already (a redelivered webhook, a second reconcile)
    enqueue_by_name("payments.deliver_outcome", payment.studio_id, row.pk)
    return row


def outcome_deliver(*, outcome_id: int, now: datetime | None = None) -> str:
    """Run the hook for one recorded outcome, once. Raises what the hook raised (for the retry).

    Returns "delivered", "already delivered" or "busy" (another worker holds the row right now).
    """
    failure: Exception | None = None
    with transaction.atomic():
        row = (
            PaymentOutcome.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("payment", "refund")
            .filter(pk=outcome_id)
            .first()
        )
        if row is None:
            return "busy"
        if row.delivered_at is not None:
            return "already delivered"
        kind = source_kind_get(row.source_type)
        row.attempts += 1
        try:
            with transaction.atomic():  # the hook's writes are kept only if it returns
                if kind is not None and kind.on_outcome is not None:
                    kind.on_outcome(row)
        except Exception as exc:  # any hook failure is retried; it must not lose the row
            failure = exc
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["attempts", "last_error"])
        else:
            row.delivered_at = now or timezone.now()
            row.last_error = ""
            row.save(update_fields=["attempts", "last_error", "delivered_at"])
    if failure is not None:
        logger.warning("payment outcome %s (%s) hook failed: %s", outcome_id, row.source_type, row.last_error)
        raise failure
    return "delivered"


def outcomes_needing_delivery(
    *, studio: Studio, older_than: timedelta = timedelta(minutes=2), now: datetime | None = None
):
    """Undelivered outcomes old enough that their own delivery task should have run by now."""
    now = now or timezone.now()
    return PaymentOutcome.objects.filter(
        studio=studio,
        delivered_at__isnull=True,
        created_at__lte=now - older_than,
        attempts__lt=MAX_DELIVERY_ATTEMPTS,
    ).order_by("id")


def outcomes_deliver_pending(*, studio: Studio, now: datetime | None = None) -> int:
    """The sweep for one studio: deliver each pending outcome; a failing hook skips to the next."""
    delivered = 0
    for outcome_id in list(outcomes_needing_delivery(studio=studio, now=now).values_list("pk", flat=True)):
        try:
            if outcome_deliver(outcome_id=outcome_id) == "delivered":
                delivered += 1
        except Exception:  # recorded on the row by outcome_deliver; the next sweep tries again
            logger.info("payment outcome %s still failing; moving on to the next", outcome_id)
    return delivered
