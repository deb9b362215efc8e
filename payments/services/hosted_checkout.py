"""Stripe Checkout's hosted payment page for one PENDING payment (CHK-2: a studio may have its
clients type new cards on Stripe's own page rather than in Stripe's fields on ours).

The session is keyed from the payment (`checkout_session:<payment key>`), so asking for it again
(a reload, a second click, the return page) answers the same session — Stripe's idempotency —
never a second one; no session id needs storing. The intent the session creates carries the
payment's id in its metadata, so the webhooks (`checkout.session.completed`,
`payment_intent.*`) and `checkout_session_read` record it on the payment like any other."""

from __future__ import annotations

import logging

from payments import gateway
from payments.models import Payment
from payments.services.charges import payment_record, payment_record_failure
from payments.services.common import account_ref

logger = logging.getLogger(__name__)

#: The failure code of a payment whose hosted page the client left (our own code, not Stripe's).
CHECKOUT_CANCELED = "checkout_canceled"


def checkout_session_for_payment(
    *, payment: Payment, success_url: str, cancel_url: str, customer_email: str | None, locale: str | None
):
    """The payment's hosted session (created once, answered again for the same key), with its
    `url`, `status` and `id`; None when Stripe cannot be reached (the caller shows "pending")."""
    if payment.status != Payment.Status.PENDING or payment.stripe_payment_intent_id:
        raise ValueError("only a PENDING payment without an intent is paid on a hosted session")
    try:
        return gateway.checkout_session_create(
            account=account_ref(payment),
            idempotency_key=f"checkout_session:{payment.idempotency_key}",
            amount=payment.amount,
            currency=payment.currency,
            description=payment.description or f"payment {payment.pk}",
            success_url=success_url,
            cancel_url=cancel_url,
            metadata={"atelier_payment": str(payment.pk), "atelier_studio": str(payment.studio_id)},
            customer_email=customer_email or None,
            setup_future_usage="off_session" if payment.save_method else None,
            application_fee_amount=payment.application_fee_amount or None,
            locale=locale,
        )
    except gateway.GatewayError as exc:
        logger.warning("checkout session for payment %s: %s", payment.pk, exc)
        return None


def checkout_session_read(*, payment: Payment, session) -> Payment:
    """Record what the client did on the hosted page: the session's intent, read back."""
    try:
        current = gateway.checkout_session_retrieve(account=account_ref(payment), session_id=session.id)
        if current.metadata.get("atelier_payment") != str(payment.pk) or not current.payment_intent_id:
            return payment
        intent = gateway.payment_intent_retrieve(
            account=account_ref(payment), payment_intent_id=current.payment_intent_id
        )
    except gateway.GatewayError as exc:
        logger.info("checkout session of payment %s not read: %s", payment.pk, exc)
        return payment
    return payment_record(payment=payment, intent=intent, source="reconcile")


def checkout_session_expire(*, payment: Payment, session) -> Payment:
    """Close the session the client left, so it can never be paid late; the payment then fails
    with `CHECKOUT_CANCELED`. A session completed meanwhile is recorded instead."""
    try:
        expired = gateway.checkout_session_expire(
            account=account_ref(payment), session_id=session.id, idempotency_key=f"expire:{session.id}"
        )
    except gateway.InvalidRequest:
        return checkout_session_read(payment=payment, session=session)  # no longer open: completed
    except gateway.GatewayError as exc:
        logger.info("checkout session of payment %s not expired: %s", payment.pk, exc)
        return payment
    if expired.status != "expired":
        return payment
    return payment_record_failure(
        payment=payment, code=CHECKOUT_CANCELED, message="", intent_id=expired.payment_intent_id, source="api"
    )
