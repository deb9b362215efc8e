"""The webhook inbox (PAY-5): store each event once by id, handle it in the worker.

Handlers never trust the event's copy of an object when order matters: they re-read the
object from Stripe and record its current state. Delivered twice, or in any order, events
leave the same state as once in order.

Several handlers may listen to one event type (`handles`, from any app's module); each runs,
and one that raises does not stop the others (the event is retried, so every handler must be
idempotent). Nothing is lost between "stored" and "processed": a redelivered event whose row
is still unprocessed is queued again (`webhook_receive`), and a beat sweep queues every event
left unprocessed — never queued (the broker was down), or failed past its retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from payments import gateway
from payments.models import (
    ConnectedAccount,
    Payment,
    Refund,
    SetupRequest,
    StripeAccountDirectory,
    StripeEvent,
)
from payments.services.accounts import connected_account_sync
from payments.services.charges import payment_record, payment_record_failure
from payments.services.common import account_ref
from payments.services.refunds import refund_record
from payments.services.saved_methods import setup_complete
from studio.services import SYSTEM
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

Handler = Callable[[StripeEvent, int], str]
#: event type -> its handlers, in registration order. Several per type: a second never replaces the first.
HANDLERS: dict[str, list[Handler]] = {}

#: Past this many attempts the sweep leaves an event alone; it shows among the studio's failures.
MAX_EVENT_ATTEMPTS = 20


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register a handler `(event, studio_id) -> outcome` for event types (other apps use it too).

    Registering the same function twice for a type is harmless (a module imported again).
    """

    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            handlers = HANDLERS.setdefault(event_type, [])
            if fn not in handlers:
                handlers.append(fn)
        return fn

    return register


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers registered for `event_type` (a copy)."""
    return list(HANDLERS.get(event_type, ()))


def _studio_for(event: gateway.types.Event) -> int | None:
    """Unscoped by design: the inbox is where an account id becomes a studio (DESIGN.md)."""
    if event.account:
        entry = StripeAccountDirectory.objects.filter(stripe_account_id=event.account).first()
        return entry.studio_id if entry else None
    studio_id = (event.object.get("metadata") or {}).get("atelier_studio")
    return int(studio_id) if studio_id and str(studio_id).isdigit() else None


def webhook_store(*, event: gateway.types.Event) -> tuple[StripeEvent, bool]:
    """Store a verified event once. Returns (row, created); a duplicate delivery is not stored again."""
    existing = StripeEvent.objects.filter(event_id=event.id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                event_id=event.id,
                type=event.type,
                account=event.account or "",
                studio_id=_studio_for(event),
                livemode=bool(event.raw.get("livemode")),
                created=event.created,
                payload=event.raw,
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event.id), False
    return row, True


def webhook_receive(*, event: gateway.types.Event) -> StripeEvent:
    """Store a verified event and queue its processing after commit.

    A redelivery of an event we stored but have not processed yet (its task was lost, or failed)
    is queued again; processing twice is harmless (`webhook_process` skips a processed row).
    """
    row, created = webhook_store(event=event)
    if created or row.processed_at is None:
        enqueue_by_name("payments.process_stripe_event", row.pk)
    return row


def webhook_events_needing_processing(
    *, older_than: timedelta = timedelta(minutes=5), now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Ids of stored events still unprocessed well after they arrived (for the beat sweep).

    The inbox is global (an event may not know its studio yet), so this reads across studios by
    design; each event's processing then enters its own studio's scope.
    """
    now = now or timezone.now()
    return list(
        StripeEvent.objects.filter(
            processed_at__isnull=True, received_at__lte=now - older_than, attempts__lt=MAX_EVENT_ATTEMPTS
        )
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_process(*, event_row: StripeEvent) -> str:
    """Handle one stored event inside its studio's scope. Idempotent; records the outcome."""
    with transaction.atomic():
        row = StripeEvent.objects.select_for_update(skip_locked=True).filter(pk=event_row.pk).first()
        if row is None or row.processed_at is not None:
            return "skipped"
        row.attempts += 1
        row.save(update_fields=["attempts"])
    handlers = handlers_for(row.type)
    if not handlers:
        outcome = "ignored"
    elif row.studio_id is None:
        outcome = "unknown account"
    else:
        outcomes, failure = [], None
        for handler in handlers:  # each runs even when an earlier one raised
            try:
                with scope(studio=row.studio_id):
                    outcomes.append(handler(row, row.studio_id))
            except gateway.StripeUnavailable as exc:
                failure = failure or exc
                StripeEvent.objects.filter(pk=row.pk).update(last_error=f"retry: {exc.message}"[:2000])
            except Exception as exc:
                failure = failure or exc
                logger.exception(
                    "webhook %s failed in %s", row.event_id, getattr(handler, "__name__", handler)
                )
                StripeEvent.objects.filter(pk=row.pk).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        if failure is not None:
            raise failure  # the task retries the event; every handler is idempotent
        outcome = "; ".join(outcomes)
    StripeEvent.objects.filter(pk=row.pk).update(
        processed_at=timezone.now(), last_error="", outcome=outcome[:80]
    )
    return outcome


# --- handlers -----------------------------------------------------------------------------------


@handles("account.updated", "capability.updated")
def _account_changed(event: StripeEvent, studio_id: int) -> str:
    account_id = event.account or event.payload["data"]["object"].get("id", "")
    if event.type == "capability.updated":
        account_id = event.account or event.payload["data"]["object"].get("account", "")
    account = ConnectedAccount.objects.filter(studio_id=studio_id, stripe_account_id=account_id).first()
    if account is None:
        return "no such account"
    connected_account_sync(account=account)
    return "synced"


def _payment_for_intent(studio_id: int, intent: dict) -> Payment | None:
    payment = Payment.objects.filter(
        studio_id=studio_id, stripe_payment_intent_id=intent.get("id", "")
    ).first()
    if payment is None:
        own_id = (intent.get("metadata") or {}).get("atelier_payment", "")
        if str(own_id).isdigit():
            payment = Payment.objects.filter(studio_id=studio_id, pk=int(own_id)).first()
    return payment


def _resync_intent(payment: Payment, intent_id: str) -> str:
    intent = gateway.payment_intent_retrieve(account=account_ref(payment), payment_intent_id=intent_id)
    payment_record(payment=payment, intent=intent, source="webhook")
    return "recorded"


@handles(
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
)
def _intent_changed(event: StripeEvent, studio_id: int) -> str:
    intent = event.payload["data"]["object"]
    payment = _payment_for_intent(studio_id, intent)
    if payment is None:
        return "no such payment"
    return _resync_intent(payment, intent["id"])


@handles("checkout.session.completed")
def _checkout_completed(event: StripeEvent, studio_id: int) -> str:
    session = event.payload["data"]["object"]
    intent_id = session.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    if not intent_id:
        return "setup session"  # setup-mode sessions are handled by the saved-methods module
    own_id = (
        (session.get("metadata") or {}).get("atelier_payment") or session.get("client_reference_id") or ""
    )
    payment = Payment.objects.filter(studio_id=studio_id, stripe_payment_intent_id=intent_id).first()
    if payment is None and str(own_id).isdigit():
        payment = Payment.objects.filter(studio_id=studio_id, pk=int(own_id)).first()
    if payment is None:
        return "no such payment"
    return _resync_intent(payment, intent_id)


@handles("terminal.reader.action_succeeded", "terminal.reader.action_failed")
def _reader_action(event: StripeEvent, studio_id: int) -> str:
    """A reader finished (or failed) taking a payment (POS-3). The intent is re-read from Stripe
    and recorded through `payment_record`, exactly as the POS's own poll does: whichever of the
    two comes first records it, the other changes nothing."""
    reader = event.payload["data"]["object"]
    action = reader.get("action") or {}
    intent_id = (action.get("process_payment_intent") or {}).get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    if not intent_id:
        return "no payment intent"
    payment = _payment_for_intent(studio_id, {"id": intent_id})
    intent = None
    if payment is None and event.account:
        # The intent's id may not be on our row yet (the answer to its creation was lost): its
        # metadata names our payment.
        intent = gateway.payment_intent_retrieve(account=event.account, payment_intent_id=intent_id)
        payment = _payment_for_intent(studio_id, {"id": intent_id, "metadata": intent.metadata})
        if payment is not None and payment.stripe_account_id != event.account:
            payment = None
    if payment is None:
        return "no such payment"
    if intent is None:
        intent = gateway.payment_intent_retrieve(account=account_ref(payment), payment_intent_id=intent_id)
    # The intent first: a card approved after a failed action (or a late duplicate) must win.
    payment = payment_record(payment=payment, intent=intent, source="webhook")
    if event.type == "terminal.reader.action_failed" and payment.status not in (
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.CANCELED,
    ):
        payment_record_failure(
            payment=payment,
            code=action.get("failure_code") or "reader_failed",
            message=action.get("failure_message") or "",
            intent_id=intent_id,
            source="webhook",
        )
        return "failed"
    return "recorded"


@handles("charge.refunded", "refund.updated", "refund.created")
def _refund_changed(event: StripeEvent, studio_id: int) -> str:
    obj = event.payload["data"]["object"]
    intent_id = obj.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    pending = Refund.objects.filter(
        studio_id=studio_id, payment__stripe_payment_intent_id=intent_id, status=Refund.Status.PENDING
    ).exclude(stripe_refund_id="")
    settled = 0
    for refund in pending.select_related("payment"):
        remote = gateway.refund_retrieve(
            account=account_ref(refund.payment), refund_id=refund.stripe_refund_id
        )
        # The refunds service settles it (audit, released reservation, outcome), as for its own answer.
        if refund_record(refund=refund, remote=remote).status != Refund.Status.PENDING:
            settled += 1
    return f"refunds settled: {settled}"


def recent_events(*, studio_id: int, failures_only: bool = False, limit: int = 100):
    """The studio's own events (the inbox is global; this filter is the studio's view of it)."""
    qs = StripeEvent.objects.filter(studio_id=studio_id)
    if failures_only:
        qs = qs.exclude(last_error="")
    return list(qs.order_by("-received_at")[:limit])


@handles("setup_intent.succeeded")
def _setup_succeeded(event: StripeEvent, studio_id: int) -> str:
    """A method was saved while our page was closed (or before it called back): record it."""
    intent = event.payload["data"]["object"]
    request = (
        SetupRequest.objects.filter(
            studio_id=studio_id,
            stripe_setup_intent_id=intent.get("id", ""),
            status=SetupRequest.Status.PENDING,
        )
        .select_related("account", "customer")
        .first()
    )
    if request is None:
        return "no pending setup"
    try:
        setup_complete(studio=request.studio, actor=SYSTEM, setup_request=request, consent=True)
    except ValidationError as exc:
        return f"refused: {' '.join(exc.messages)}"[:80]
    return "saved"
