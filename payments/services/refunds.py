"""Refunds (PAY-7): full or partial, to the original method or as studio credit.

The same three phases as a charge (`payments.services.common`), with the same names:
`refund_create` (phase 1, then phase 2 at once: its callers always want the money moving),
`refund_submit`, `refund_record` / `refund_record_failure`; `refund_reconcile` settles the unknown.
A settled refund is recorded for the payment's source kind (`payments.services.outcomes`).

Never more than was paid, even when two people refund the same payment at the same moment:
1. In one transaction, lock the Payment row (`select_for_update`), check what is still
   refundable, *reserve* the amount by raising `amount_refunded`, and create the PENDING
   Refund row whose idempotency key is `refund:<id>`. The CHECK constraint
   `0 ≤ amount_refunded ≤ amount` is the last wall behind the lock.
2. Commit; then call Stripe outside any transaction with that key.
3. Record the answer in a new transaction. A definite failure (invalid request) marks the
   refund FAILED and releases the reservation; an ambiguous one (timeout, 5xx, lost response)
   leaves it PENDING, reserved, for the webhook or `refund_reconcile` to settle.

Credit refunds never reach Stripe: the same transaction adds a positive CreditEntry. Cash
payments are handed back at the counter; payments made with credit return to credit. Escrow
payments (taken on the platform account) are refunded on the platform account.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from payments import gateway
from payments.models import CreditEntry, Payment, Refund
from payments.services.common import account_ref, may_resubmit
from payments.services.outcomes import outcome_record_refund
from studio.models import StaffMember, Studio
from studio.money import format_money
from studio.permissions import Perm
from studio.services import Actor, audit_record

_STRIPE_METHODS = frozenset(
    {Payment.Method.CARD, Payment.Method.CARD_PRESENT, Payment.Method.SAVED_METHOD, Payment.Method.CHECKOUT}
)


def _require_refund_permission(*, studio: Studio, actor: Actor) -> None:
    """Views check the permission too; this keeps any other caller honest. SYSTEM (no user) may refund."""
    if actor.user is None:
        return
    member = StaffMember.objects.select_related("role").filter(studio=studio, user=actor.user).first()
    if member is None or not member.has_perm(Perm.REFUND):
        raise PermissionDenied(Perm.REFUND)


def refund_goes_to_stripe(*, payment: Payment, destination: str) -> bool:
    return destination == Refund.Destination.ORIGINAL and payment.method in _STRIPE_METHODS


def refund_create(
    *,
    studio: Studio,
    actor: Actor,
    payment: Payment,
    amount: int,
    destination: str,
    reason: str = "",
    expected_refunded: int | None = None,
) -> Refund:
    """Refund `amount` minor units of `payment` to `destination`; returns the Refund (maybe still pending).

    Raises ValidationError when the payment cannot be refunded that much, PermissionDenied when
    the actor lacks Perm.REFUND. Stripe is called after the reservation commits.
    `expected_refunded` (what the person saw on the page) turns a double submit, or a colleague's
    refund made meanwhile, into a clear refusal instead of a second refund.
    """
    _require_refund_permission(studio=studio, actor=actor)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="amount")
    if destination not in Refund.Destination.values:
        raise ValidationError(_("Choose where the money goes."), code="destination")
    if payment.studio_id != studio.pk:
        raise ValidationError(_("This payment belongs to another studio."), code="studio")

    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk, studio=studio)
        if locked.status != Payment.Status.SUCCEEDED:
            raise ValidationError(_("Only succeeded payments can be refunded."), code="status")
        if destination == Refund.Destination.CREDIT and locked.client_id is None:
            raise ValidationError(_("This payment has no client to hold studio credit."), code="no_client")
        to_stripe = refund_goes_to_stripe(payment=locked, destination=destination)
        if to_stripe and not locked.stripe_payment_intent_id:
            raise ValidationError(
                _("This payment has no Stripe charge to refund; refund it as studio credit."),
                code="no_charge",
            )
        if expected_refunded is not None and locked.amount_refunded != expected_refunded:
            raise ValidationError(
                _(
                    "This payment was refunded meanwhile (another click or another person). "
                    "Check its refunds before refunding again."
                ),
                code="stale",
            )
        remaining = locked.amount - locked.amount_refunded
        if amount > remaining:
            raise ValidationError(
                _("At most %(amount)s can still be refunded on this payment.")
                % {"amount": format_money(remaining, locked.currency, language=get_language() or "en")},
                code="too_much",
            )
        locked.amount_refunded = F("amount_refunded") + amount
        locked.save(update_fields=["amount_refunded", "updated_at"])
        locked.refresh_from_db(fields=["amount_refunded"])
        refund = Refund.objects.create(
            studio=studio,
            payment=locked,
            amount=amount,
            destination=destination,
            reason=reason[:200],
            status=Refund.Status.PENDING,
            idempotency_key="pending",
            created_by=actor.user,
        )
        refund.idempotency_key = f"refund:{refund.pk}"
        fields = ["idempotency_key"]
        # Money that never reaches Stripe is settled now, in the same transaction as the reservation.
        if destination == Refund.Destination.CREDIT or (
            destination == Refund.Destination.ORIGINAL and locked.method == Payment.Method.CREDIT
        ):
            CreditEntry.objects.create(
                studio=studio,
                client_id=locked.client_id,
                amount=amount,
                currency=locked.currency,
                kind=CreditEntry.Kind.REFUND,
                refund=refund,
                payment=locked,
                note=reason[:200],
                created_by=actor.user,
            )
            refund.status = Refund.Status.SUCCEEDED
            fields.append("status")
        elif not to_stripe:  # cash handed back at the counter
            refund.status = Refund.Status.SUCCEEDED
            fields.append("status")
        refund.save(update_fields=fields)
        if refund.status == Refund.Status.SUCCEEDED:
            outcome_record_refund(payment=locked, refund=refund)
        audit_record(
            studio=studio,
            actor=actor,
            action="refund.created",
            obj=refund,
            changes={
                "payment": locked.pk,
                "amount": amount,
                "destination": destination,
                "reason": reason[:200],
            },
        )
    if to_stripe:
        refund = refund_submit(refund=refund)
    return refund


def refund_submit(*, refund: Refund) -> Refund:
    """Send a pending refund to Stripe with its own key. Safe to repeat: the key makes it idempotent."""
    if refund.status != Refund.Status.PENDING:
        return refund
    payment = refund.payment
    metadata = {
        "atelier_refund": str(refund.pk),
        "atelier_payment": str(payment.pk),
        "atelier_studio": str(refund.studio_id),
    }
    try:
        remote = gateway.refund_create(
            account=account_ref(payment),
            idempotency_key=refund.idempotency_key,
            payment_intent_id=payment.stripe_payment_intent_id,
            amount=refund.amount,
            metadata=metadata,
        )
    except gateway.StripeUnavailable:
        return refund  # outcome unknown: stays pending and reserved; reconcile settles it
    except (gateway.InvalidRequest, gateway.NotConfigured, gateway.CardDeclined) as exc:
        return refund_record_failure(refund=refund, message=exc.message or type(exc).__name__)
    except gateway.GatewayError:
        return refund  # unknown kind of failure: keep the money reserved rather than risk a double refund
    return refund_record(refund=refund, remote=remote)


def refund_record(*, refund: Refund, remote: gateway.types.Refund) -> Refund:
    """Record what Stripe says about a refund. Only ever moves PENDING forward."""
    if remote.status == "succeeded":
        return _refund_settle(refund, succeeded=True, stripe_refund_id=remote.id)
    if remote.status in ("failed", "canceled"):
        return refund_record_failure(
            refund=refund,
            stripe_refund_id=remote.id,
            message=_("Stripe reports the refund %(status)s.") % {"status": remote.status},
        )
    with transaction.atomic():  # pending / requires_action at Stripe: remember its id, settle later
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if not locked.stripe_refund_id:
            locked.stripe_refund_id = remote.id
            locked.save(update_fields=["stripe_refund_id"])
    return locked


def refund_record_failure(*, refund: Refund, message: str, stripe_refund_id: str = "") -> Refund:
    """A definite failure: FAILED, and the reserved amount is given back to the payment."""
    return _refund_settle(refund, succeeded=False, stripe_refund_id=stripe_refund_id, message=message)


def _refund_settle(
    refund: Refund, *, succeeded: bool, stripe_refund_id: str = "", message: str = ""
) -> Refund:
    with transaction.atomic():
        # Same lock order as refund_create (payment, then refund) so the two never deadlock.
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != Refund.Status.PENDING:
            return locked
        locked.status = Refund.Status.SUCCEEDED if succeeded else Refund.Status.FAILED
        if stripe_refund_id:
            locked.stripe_refund_id = stripe_refund_id
        locked.failure_message = message[:300]
        locked.save(update_fields=["status", "stripe_refund_id", "failure_message"])
        if succeeded:
            outcome_record_refund(payment=payment, refund=locked)
        else:
            Payment.objects.filter(pk=locked.payment_id).update(
                amount_refunded=F("amount_refunded") - locked.amount, updated_at=timezone.now()
            )
        audit_record(
            studio=locked.studio,
            actor=Actor(user=None),
            action="refund.succeeded" if succeeded else "refund.failed",
            obj=locked,
            changes={"stripe_refund_id": locked.stripe_refund_id, "message": message[:300]},
        )
    return locked


def refund_reconcile(*, refund: Refund, now=None) -> Refund:
    """Settle a pending Stripe refund whose outcome we do not know.

    With Stripe's refund id: re-read it. Without (the create's answer was lost): resubmit with the
    same key — Stripe replays the first answer or does it now, exactly one refund either way.
    Past Stripe's 24-hour key window that could refund twice, so such refunds wait for a person.
    """
    now = now or timezone.now()
    if refund.status != Refund.Status.PENDING or not refund_goes_to_stripe(
        payment=refund.payment, destination=refund.destination
    ):
        return refund
    try:
        if refund.stripe_refund_id:
            remote = gateway.refund_retrieve(
                account=account_ref(refund.payment), refund_id=refund.stripe_refund_id
            )
            return refund_record(refund=refund, remote=remote)
        if not may_resubmit(created_at=refund.created_at, now=now):
            return refund
        return refund_submit(refund=refund)
    except gateway.StripeUnavailable:
        return refund


def refunds_needing_reconcile(*, studio: Studio, older_than: timedelta = timedelta(minutes=2), now=None):
    """Pending Stripe refunds old enough that the request which made them has surely finished."""
    now = now or timezone.now()
    return (
        Refund.objects.filter(
            studio=studio,
            status=Refund.Status.PENDING,
            destination=Refund.Destination.ORIGINAL,
            created_at__lte=now - older_than,
        )
        .select_related("payment")
        .order_by("id")
    )
