"""Charging a client (PAY-4): pending row → Stripe call → recorded result; reconcile the unknown.

The three phases every money service follows (`payments.services.common`, DESIGN.md):
1. `payment_create` commits a PENDING row carrying the routed account, the priced quote and a
   deterministic idempotency key (`payment:<id>` unless the caller's own row gives one, e.g.
   `renewal:<membership_id>:<period_start>` — then the unique constraint also stops a second
   row for the same renewal).
2. `payment_submit` calls Stripe outside any transaction with that key.
3. The answer is recorded by `payment_record` (or `payment_record_failure`) in a new
   transaction. A definite failure (declined) ends the attempt; an ambiguous one (timeout, 5xx,
   lost response, 429) leaves the row PENDING with `outcome_unknown`, for the webhook or
   `payment_reconcile` to settle.

A final status (succeeded, failed, canceled) is recorded for the payment's source kind in the
same transaction (`payments.services.outcomes`), and its hook runs in the worker.

Retries always reuse the same key, so Stripe answers a retry with the first result instead of
charging again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from payments import gateway
from payments.models import CardReader, Payment, PaymentStatusChange
from payments.services.common import account_ref, may_resubmit
from payments.services.fees import Quote, quote_build
from payments.services.outcomes import outcome_record_status
from payments.services.routing import Purchase, Route, route_payment
from payments.services.sources import source_validate
from studio.compiled_sql import compiled_models
from studio.models import Client, Location, Studio
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name

_RANK = {
    Payment.Status.PENDING: 0,
    Payment.Status.REQUIRES_ACTION: 1,
    Payment.Status.PROCESSING: 2,
    Payment.Status.AUTHORIZED: 3,
    Payment.Status.FAILED: 3,
    Payment.Status.SUCCEEDED: 5,
    Payment.Status.CANCELED: 5,
}

_FROM_INTENT = {
    "succeeded": Payment.Status.SUCCEEDED,
    "requires_capture": Payment.Status.AUTHORIZED,
    "processing": Payment.Status.PROCESSING,
    "requires_action": Payment.Status.REQUIRES_ACTION,
    "requires_confirmation": Payment.Status.PENDING,
    "canceled": Payment.Status.CANCELED,
}


@dataclass(frozen=True)
class ChargeTarget:
    """What to charge on Stripe: a saved method (off- or on-session), or nothing yet (client confirms)."""

    customer_id: str | None = None
    payment_method_id: str | None = None
    off_session: bool = False


#: Tenders settled at the counter or from the credit ledger: no card, so no card fee, no Stripe.
OFFLINE_METHODS = frozenset({Payment.Method.CASH, Payment.Method.CREDIT})


def _history(payment: Payment, status: str, source: str, detail: str = "") -> None:
    PaymentStatusChange.objects.create(
        studio_id=payment.studio_id, payment=payment, status=status, source=source, detail=detail[:300]
    )


def payment_create(**fields) -> Payment:
    """Commit a PENDING payment: `payment_create_or_found`'s payment (the same keyword-only
    arguments), for callers that do not need to know whether it was made now."""
    return payment_create_or_found(**fields)[0]


def payment_create_or_found(
    *,
    studio: Studio,
    actor: Actor,
    client: Client | None,
    subtotal: int,
    item_kind: str,
    channel: str,
    description: str,
    method: str = Payment.Method.CARD,
    item_location: Location | None = None,
    pos_location: Location | None = None,
    target: ChargeTarget | None = None,
    idempotency_key: str | None = None,
    source_type: str = "",
    source_id: str = "",
    quote: Quote | None = None,
    route: Route | None = None,
    save_method: bool = False,
    reader: CardReader | None = None,
) -> tuple[Payment, bool]:
    """Commit a PENDING payment: routed (PAY-3), priced (PAY-8/9), keyed. Stripe is not called here.

    `source_type`/`source_id` name what is paid for: a kind registered with
    `payments.services.sources.source_kind_register` (anything else raises ValidationError), and
    its hook hears how the payment ends. A key that names an existing payment returns that one.

    `save_method` (SPM-3, the client's consent given): the card is kept at Stripe for later and
    saved on the payment's account once the payment succeeded. `reader`: the card reader a
    `card_present` payment will be pushed to; it must sit on the account the payment is routed
    to (PAY-3 rule 1), else ValidationError.

    Returns `(payment, created)`: `created` is True when the row was made now (inside the caller's
    transaction, which nobody else sees yet), False when its key already named one.
    """
    source_validate(source_type=source_type, source_id=str(source_id))
    if reader is not None and method != Payment.Method.CARD_PRESENT:
        raise ValueError("only a card_present payment is taken on a card reader")
    if save_method and (client is None or method in OFFLINE_METHODS or method == Payment.Method.SAVED_METHOD):
        raise ValueError("only a new card of a known client can be saved")
    home = client.home_location if client is not None else None
    route = route or route_payment(
        studio=studio,
        purchase=Purchase(
            channel=channel,
            item_kind=item_kind,
            item_location=item_location,
            client_home_location=home,
            pos_location=pos_location,
        ),
    )
    quote = quote or quote_build(
        studio=studio, subtotal=subtotal, item_kind=item_kind, by_card=method not in OFFLINE_METHODS
    )
    offline = method in OFFLINE_METHODS
    if quote.total <= 0:
        raise ValueError("nothing to charge")
    if reader is not None and (route.account is None or route.account.pk != reader.account_id):
        raise ValidationError(
            _(
                "This reader takes payments for another account than the one this sale is paid to: pick a "
                "reader of the selling location."
            )
        )
    target = target or ChargeTarget()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                studio=studio,
                client=client,
                amount=quote.total,
                currency=studio.currency,
                subtotal=quote.subtotal,
                tax_amount=quote.tax_total,
                tax_lines=[line.as_json() for line in quote.tax_lines],
                card_fee_amount=quote.card_fee,
                # Money that never reaches Stripe carries no platform fee and is never held in escrow.
                application_fee_amount=0 if route.is_escrow or offline else quote.application_fee,
                account=route.account,
                stripe_account_id=route.account.stripe_account_id if route.account else "",
                is_escrow=route.is_escrow and not offline,
                routing_rule=route.rule,
                routing_params=route.params,
                channel=channel,
                item_kind=item_kind,
                description=description[:200],
                method=method,
                location=item_location or pos_location,
                client_home_location=home,
                idempotency_key=idempotency_key or "pending",
                stripe_customer_id=target.customer_id or "",
                payment_method_id=target.payment_method_id or "",
                off_session=target.off_session,
                save_method=save_method and route.account is not None,
                reader=reader,
                source_type=source_type,
                source_id=str(source_id),
                created_by=actor.user,
            )
            if idempotency_key is None:
                payment.idempotency_key = f"payment:{payment.pk}"
                payment.save(update_fields=["idempotency_key"])
            _history(payment, Payment.Status.PENDING, "created")  # the route is shown from its stored params
            audit_record(
                studio=studio,
                actor=actor,
                action="payment.created",
                obj=payment,
                changes={
                    "amount": payment.amount,
                    "account": payment.stripe_account_id or "escrow",
                    "rule": route.rule,
                },
            )
    except IntegrityError:
        # The caller's key names a payment that already exists (a second click, a retried task).
        existing = Payment.objects.filter(studio=studio, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return payment, True


def payment_submit(*, payment: Payment, method_types: list[str] | None = None) -> Payment:
    """Send the payment to Stripe with its own key. Safe to call again: the key makes it idempotent.

    `method_types`: the intent's allowed types when the caller already knows them (it holds the
    saved method being charged: `saved_method_types`); else they are read from the payment.
    """
    if payment.status != Payment.Status.PENDING:
        return payment
    if payment.method in OFFLINE_METHODS:
        raise ValueError("cash and credit are recorded with payment_record_tender, never sent to Stripe")
    metadata = {"atelier_payment": str(payment.pk), "atelier_studio": str(payment.studio_id)}
    confirm = bool(payment.payment_method_id)
    try:
        if payment.save_method and not payment.stripe_customer_id:
            payment = _attach_customer(payment)
        intent = gateway.payment_intent_create(
            account=account_ref(payment),
            idempotency_key=payment.idempotency_key,
            amount=payment.amount,
            currency=payment.currency,
            metadata=metadata,
            customer_id=payment.stripe_customer_id or None,
            payment_method_id=payment.payment_method_id or None,
            confirm=confirm,
            off_session=payment.off_session and confirm,
            # Keep the card for later (SPM-3): a reader's charge then generates a reusable card.
            setup_future_usage="off_session" if payment.save_method and payment.stripe_customer_id else None,
            application_fee_amount=payment.application_fee_amount or None,
            payment_method_types=method_types or _method_types(payment),
            capture_method="automatic",
            description=payment.description,
        )
    except gateway.CardDeclined as exc:
        return payment_record_failure(
            payment=payment,
            code=exc.decline_code or exc.code or "card_declined",
            message=exc.message,
            intent_id=exc.payment_intent_id,
            source="api",
        )
    except gateway.StripeUnavailable as exc:
        return _record_unknown(payment, detail=f"{type(exc).__name__}: {exc.message}")
    return payment_record(payment=payment, intent=intent, source="api")


def _attach_customer(payment: Payment) -> Payment:
    """The client's Stripe customer on the payment's account, stored on the row before the intent
    is created with it, so a resubmission sends exactly the same request."""
    from payments.services.saved_methods import stripe_customer_ensure

    customer = stripe_customer_ensure(studio=payment.studio, client=payment.client, account=payment.account)
    Payment.objects.filter(pk=payment.pk, stripe_customer_id="").update(
        stripe_customer_id=customer.stripe_customer_id
    )
    payment.refresh_from_db()
    return payment


def _method_types(payment: Payment) -> list[str]:
    """The intent's allowed type: a saved bank account (ACSS/PAD, ACH) is charged as a bank debit."""
    if payment.method == Payment.Method.CARD_PRESENT:
        return ["card_present"]
    if payment.method == Payment.Method.SAVED_METHOD and payment.payment_method_id:
        from payments.models import SavedPaymentMethod

        kind = (
            SavedPaymentMethod.objects.filter(
                studio_id=payment.studio_id, stripe_payment_method_id=payment.payment_method_id
            )
            .values_list("kind", flat=True)
            .first()
        )
        return saved_method_types(kind)
    return ["card"]


def saved_method_types(kind: str | None) -> list[str]:
    """The allowed types of an intent charging a saved method of `kind` (a bank debit, or a card)."""
    from payments.models import SavedPaymentMethod

    if kind and kind != SavedPaymentMethod.Kind.CARD:
        return [kind]
    return ["card"]


def _locked_query(*, studio_id: int, payment_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(pk=payment_id).select_for_update()


def _locked(payment: Payment) -> Payment:
    """The payment's row, locked until the caller's transaction ends, as
    `Payment.objects.select_for_update().get(pk=)` reads it: every recorded answer from Stripe
    reads it so, and its SQL is compiled once per process (`studio.compiled_sql`, in the
    payment's studio), held to the ORM by `payments/tests/test_charge_compiled.py`."""
    with scope(studio=payment.studio_id):
        found = compiled_models(
            "payments-payment-locked", _locked_query, model=Payment, payment_id=payment.pk
        )
    if not found:
        raise Payment.DoesNotExist("No payment matches the given query.")
    return found[0]


def _record_unknown(payment: Payment, *, detail: str) -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == Payment.Status.PENDING:
            locked.outcome_unknown = True
            locked.save(update_fields=["outcome_unknown", "updated_at"])
            _history(locked, locked.status, "api", f"outcome unknown — {detail}")
    return locked


def payment_record_failure(
    *, payment: Payment, code: str, message: str, intent_id: str | None, source: str
) -> Payment:
    """A definite failure (declined, reader refused): FAILED unless the payment already succeeded."""
    with transaction.atomic():
        locked = _locked(payment)
        if _RANK[locked.status] < _RANK[Payment.Status.SUCCEEDED]:
            locked.status = Payment.Status.FAILED
            locked.outcome_unknown = False
            locked.failure_code = code[:60]
            locked.failure_message = message[:300]
            if intent_id:
                locked.stripe_payment_intent_id = intent_id
            locked.save()
            _history(locked, locked.status, source, f"{code}: {message}")
            outcome_record_status(payment=locked)
    return locked


def payment_record(*, payment: Payment, intent: gateway.types.PaymentIntent, source: str) -> Payment:
    """Record what Stripe says about the payment's intent. Never moves a payment backwards."""
    if intent.status == "requires_payment_method":
        if intent.last_error_code or intent.last_error_decline_code:
            return payment_record_failure(
                payment=payment,
                code=intent.last_error_decline_code or intent.last_error_code or "failed",
                message=intent.last_error_message or "",
                intent_id=intent.id,
                source=source,
            )
        new_status = Payment.Status.PENDING
    else:
        new_status = _FROM_INTENT.get(intent.status, Payment.Status.PENDING)
    with transaction.atomic():
        locked = _locked(payment)
        # The columns this answer moves: the UPDATE writes those only (a payment row is wide).
        changed: set[str] = set()
        if not locked.stripe_payment_intent_id:
            locked.stripe_payment_intent_id = intent.id
            changed.add("stripe_payment_intent_id")
        if intent.latest_charge and locked.stripe_charge_id != intent.latest_charge:
            locked.stripe_charge_id = intent.latest_charge
            changed.add("stripe_charge_id")
        if locked.outcome_unknown:
            locked.outcome_unknown = False
            changed.add("outcome_unknown")
        changed |= _record_card_details(locked, intent)
        moves_forward = _RANK[new_status] > _RANK[locked.status] or (
            locked.status == Payment.Status.FAILED and new_status == Payment.Status.SUCCEEDED
        )
        if new_status != locked.status and moves_forward:
            locked.status = new_status
            changed.add("status")
            if new_status == Payment.Status.SUCCEEDED:
                locked.failure_code = locked.failure_message = ""
                changed |= {"failure_code", "failure_message"}
            _history(locked, new_status, source, intent.status)
            outcome_record_status(payment=locked)
            if new_status == Payment.Status.SUCCEEDED and locked.save_method:
                # Once per payment (the status moves to SUCCEEDED once); the worker reads the card back.
                enqueue_by_name("payments.saved_method_from_payment", locked.studio_id, locked.pk)
        if changed:
            locked.save(update_fields=[*sorted(changed), "updated_at"])
    return locked


def _record_card_details(locked: Payment, intent: gateway.types.PaymentIntent) -> set[str]:
    """The tip added on the reader (inside the intent's amount: ours grows by it) and the card's
    brand and last 4, as Stripe reports them. Idempotent: recording twice changes nothing.
    Returns the names of the columns it changed."""
    changed: set[str] = set()
    tip = intent.tip_amount or 0
    if (
        tip != locked.tip_amount
        and tip >= 0
        and intent.status in ("succeeded", "requires_capture", "processing")
    ):
        locked.amount = locked.amount - locked.tip_amount + tip
        locked.tip_amount = tip
        changed |= {"amount", "tip_amount"}
    if intent.card_brand and intent.card_brand != locked.card_brand:
        locked.card_brand = intent.card_brand[:40]
        changed.add("card_brand")
    if intent.card_last4 and intent.card_last4 != locked.card_last4:
        locked.card_last4 = intent.card_last4[:4]
        changed.add("card_last4")
    return changed


def payment_reconcile(*, payment: Payment, now=None) -> Payment:
    """Settle a payment whose outcome we do not know, by asking Stripe again.

    With an intent id: re-read it. Without one (the create's answer was lost): resubmit with the
    same idempotency key — Stripe replays the first answer if it got the request, or does it now
    if it did not; either way exactly one charge. Past Stripe's 24-hour key window a resubmission
    could charge twice, so such payments are left for a person (they show in the ledger).
    """
    now = now or timezone.now()
    if payment.status not in (
        Payment.Status.PENDING,
        Payment.Status.PROCESSING,
        Payment.Status.REQUIRES_ACTION,
    ):
        return payment
    try:
        if payment.stripe_payment_intent_id:
            intent = gateway.payment_intent_retrieve(
                account=account_ref(payment), payment_intent_id=payment.stripe_payment_intent_id
            )
            payment = payment_record(payment=payment, intent=intent, source="reconcile")
            if payment.status == Payment.Status.PENDING and payment.reader_id:
                payment = _reader_failure(payment, intent_id=intent.id)
            return payment
        if not payment.outcome_unknown:
            return payment  # never sent: the flow that created it will send it
        if not may_resubmit(created_at=payment.created_at, now=now):
            return payment
        return payment_submit(payment=payment)
    except gateway.StripeUnavailable:
        return payment  # still unknown; the next run tries again


def _reader_failure(payment: Payment, *, intent_id: str) -> Payment:
    """A reader payment nobody is watching (the screen closed, the webhook lost): a failed reader
    action (cancelled on the reader, timed out) leaves the intent open without an error, so the
    reader is asked too, and its failure recorded."""
    reader = payment.reader
    if reader is None or reader.deleted_at is not None:
        return payment
    try:
        remote = gateway.terminal_reader_retrieve(
            account=reader.account.stripe_account_id, reader_id=reader.stripe_reader_id
        )
    except gateway.InvalidRequest:
        return payment
    action = remote.action
    if action is None or action.payment_intent_id != intent_id or action.status != "failed":
        return payment
    return payment_record_failure(
        payment=payment,
        code=action.failure_code or "reader_failed",
        message=action.failure_message or "",
        intent_id=intent_id,
        source="reconcile",
    )


def payment_client_secret(*, payment: Payment) -> str | None:
    """The client secret of the payment's intent, for Stripe.js to finish a step the client must do
    on-session (3-D Secure); None without an intent or when Stripe cannot be reached."""
    if not payment.stripe_payment_intent_id:
        return None
    try:
        intent = gateway.payment_intent_retrieve(
            account=account_ref(payment), payment_intent_id=payment.stripe_payment_intent_id
        )
    except gateway.GatewayError:
        return None
    return intent.client_secret


def payment_cancel_unconfirmed(*, payment: Payment) -> Payment:
    """Cancel a payment still waiting for the client (`requires_action`: a 3-D Secure step left
    unfinished), at Stripe first, then here; a new attempt may then be charged without any risk
    of this one being confirmed too. If the client finished it meanwhile, its real state is
    recorded instead (read back from Stripe)."""
    if payment.status != Payment.Status.REQUIRES_ACTION or not payment.stripe_payment_intent_id:
        return payment
    try:
        intent = gateway.payment_intent_cancel(
            account=account_ref(payment),
            payment_intent_id=payment.stripe_payment_intent_id,
            idempotency_key=f"cancel:{payment.idempotency_key}",
        )
    except gateway.InvalidRequest:
        return payment_reconcile(payment=payment)  # no longer cancelable: it moved on at Stripe
    except gateway.StripeUnavailable:
        return payment  # the next run tries again
    return payment_record(payment=payment, intent=intent, source="api")


def payments_needing_reconcile(*, studio: Studio, older_than: timedelta = timedelta(minutes=2), now=None):
    """Unsettled payments old enough that the request which made them has surely finished."""
    now = now or timezone.now()
    return (
        Payment.objects.filter(
            studio=studio,
            created_at__lte=now - older_than,
            status__in=[Payment.Status.PENDING, Payment.Status.PROCESSING],
        )
        .exclude(outcome_unknown=False, stripe_payment_intent_id="")
        .order_by("id")
    )
