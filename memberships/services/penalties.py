"""Penalty fees (POL-4): assessed on a late cancel or a no-show, charged after the grace delay,
waived, retried, reversed when the attendance is corrected, or marked paid when collected another way.

One `Penalty` row per (rule, event) — a unique constraint — carries the fee and its idempotency
key `penalty:<event_kind>:<event_id>:<rule_id>` (attempt n > 1 after a definite failure charges
under `<key>:<n>`). So the same signal delivered twice, the beat firing twice or a worker killed
after Stripe answered can only ever resubmit the same key, which Stripe answers with the first
result: a fee is never charged twice.

The phases, each in its own transaction, no Stripe call inside one:
1. `penalties_assess` (the worker, from scheduling's signals) — one PENDING row per firing rule,
   due at the event's end + the policy's grace delay;
2. `penalties_charge_due` (beat, every few minutes) — rows past due are marked CHARGING under
   their lock and committed; then each is charged off-session through payments'
   `payment_charge_default` (source kind "penalty"), outside any transaction;
3. `penalty_record` — succeeded: CHARGED; declined or no method: FAILED (an amount owed, which
   POS and checkout collect: `memberships.selectors.penalties.amounts_owed_for`); answer lost:
   stays CHARGING until the payment's outcome hook (`penalty_on_payment_outcome`) settles it.

Waiving locks the row first: a pending fee is waived and never charged (the sweep skips it); a
charged one is refunded to the original method, then marked waived. A fee being charged right now
(CHARGING) cannot be waived: its outcome is not known yet; staff are told to wait a minute.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import EventKind, Penalty, PenaltyStatus, PenaltyTrigger, PolicySettings
from payments.models import Payment
from payments.services.routing import ItemKind
from studio.models import Studio
from studio.permissions import Perm
from studio.services import SYSTEM, Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

SOURCE_KIND = "penalty"
ASSESS_TASK = "memberships.penalties_assess"
CHARGE_TASK = "memberships.penalty_charge"
REVERSE_TASK = "memberships.penalties_reverse"
WAIVE_REASON_MAX = 300
# A row left CHARGING this long without an answer (a worker died between marking it and calling
# Stripe, or the answer was lost) is charged again under the same key: Stripe deduplicates it.
STALE_CHARGING = dt.timedelta(minutes=10)
# Rows marked and charged per sweep (the next sweep, minutes later, takes the rest).
SWEEP_BATCH = 200

SIGNAL_TRIGGERS = {
    "booking_late_cancelled": (EventKind.CLASS, PenaltyTrigger.LATE_CANCEL),
    "booking_no_show": (EventKind.CLASS, PenaltyTrigger.NO_SHOW),
    "appointment_late_cancelled": (EventKind.APPOINTMENT, PenaltyTrigger.LATE_CANCEL),
    "appointment_no_show": (EventKind.APPOINTMENT, PenaltyTrigger.NO_SHOW),
}


# --- keys ------------------------------------------------------------------------------------


def penalty_base_key(*, event_kind: str, event_id: int, rule_id: int) -> str:
    """The fee's idempotency key, from the event and the rule (never from a clock)."""
    return f"penalty:{event_kind}:{int(event_id)}:{int(rule_id)}"


def penalty_attempt_key(penalty: Penalty) -> str:
    """The key of the fee's current attempt: the base key, then `<key>:<n>` from the second."""
    if penalty.attempts <= 1:
        return penalty.idempotency_key
    return f"{penalty.idempotency_key}:{penalty.attempts}"


def _grace(studio: Studio) -> dt.timedelta:
    hours = PolicySettings.objects.filter(studio=studio).values_list("grace_hours", flat=True).first()
    if hours is None:
        hours = PolicySettings._meta.get_field("grace_hours").default
    return dt.timedelta(hours=hours)


# --- 1. assessing an event ---------------------------------------------------------------------


def penalties_assess(
    *, studio: Studio, event_kind: str, event_id: int, now: dt.datetime | None = None
) -> list[Penalty]:
    """The fees a late cancel or no-show gives rise to: one PENDING row per rule that fires.

    The event is read again (`occurrence_for_event`: None when the booking is no longer a late
    cancel or no-show — the signal came late, the attendance was corrected) and the rules are
    evaluated on the client's history (`rules_firing`, in the studio's order and match mode).
    Each fee is got or created on the unique (rule, event): the same signal twice, or a replay,
    makes one row. `due_at` is the end of the class (appointment) plus the policy's grace delay;
    `membership` the one the rule applied to (its client's home location routes the charge).
    Returns the event's fees (found or created) for the rules firing now. (`now` is accepted like
    the other services' clock; the due date follows the event, not the moment of assessing.)
    """
    from memberships.selectors.penalties import event_facts
    from memberships.selectors.policy import occurrence_for_event, rules_firing

    if event_kind not in EventKind.values:
        raise ValueError(f"unknown event kind {event_kind!r}")
    occurrence = occurrence_for_event(studio=studio, event_kind=event_kind, event_id=event_id)
    if occurrence is None:
        return []
    rules = rules_firing(studio=studio, event=occurrence)
    if not rules:
        return []
    facts = event_facts(studio=studio, event_kind=event_kind, event_id=event_id)
    ends_at = facts.ends_at if facts is not None else occurrence.occurred_at
    due_at = ends_at + _grace(studio)
    out: list[Penalty] = []
    for rule in rules:
        defaults = {
            "client_id": occurrence.client_id,
            "trigger": occurrence.trigger,
            "occurred_at": occurrence.occurred_at,
            "membership_id": occurrence.membership_id,
            "amount": rule.fee_amount,
            "currency": rule.currency,
            "due_at": due_at,
            "idempotency_key": penalty_base_key(event_kind=event_kind, event_id=event_id, rule_id=rule.pk),
        }
        try:
            with transaction.atomic():  # the unique (rule, event) is the last word on "once"
                penalty, created = Penalty.objects.get_or_create(
                    studio=studio, rule=rule, event_kind=event_kind, event_id=event_id, defaults=defaults
                )
        except IntegrityError:
            penalty, created = (
                Penalty.objects.get(studio=studio, rule=rule, event_kind=event_kind, event_id=event_id),
                False,
            )
        if created:
            audit_record(
                studio=studio,
                actor=SYSTEM,
                action="penalty.assessed",
                obj=penalty,
                changes={"amount": penalty.amount, "trigger": penalty.trigger, "due_at": due_at.isoformat()},
            )
        out.append(penalty)
    return out


# --- 2. charging -------------------------------------------------------------------------------


def penalties_charge_due(*, studio: Studio, now: dt.datetime | None = None) -> int:
    """The beat's run for one studio: fees whose grace delay is over are charged, once each.

    Each pending fee past `due_at` is marked CHARGING under its row lock and committed (a waive
    holding the lock first wins: the fee is then skipped); then charged outside any transaction.
    Fees left CHARGING for a while without an answer are charged again under the same key (Stripe
    returns the first result; nothing is charged twice). Safe to run twice at once: the lock and
    the status decide who marks a row, and the key names one payment. Returns how many fees were
    submitted in this run.
    """
    now = now or timezone.now()
    due_ids = list(
        Penalty.objects.filter(studio=studio, status=PenaltyStatus.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    marked: list[int] = []
    for penalty_id in due_ids:
        with transaction.atomic():
            penalty = (
                Penalty.objects.select_for_update(skip_locked=True)
                .filter(pk=penalty_id, studio=studio, status=PenaltyStatus.PENDING, due_at__lte=now)
                .first()
            )
            if penalty is None:
                continue  # waived meanwhile, or another run holds it
            penalty.status = PenaltyStatus.CHARGING
            penalty.attempts = max(penalty.attempts, 1)
            penalty.save(update_fields=["status", "attempts", "updated_at"])
            marked.append(penalty.pk)
    stale = [
        pk
        for pk in Penalty.objects.filter(
            studio=studio, status=PenaltyStatus.CHARGING, updated_at__lte=now - STALE_CHARGING
        )
        .order_by("updated_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
        if pk not in marked
    ]
    for penalty_id in [*marked, *stale]:
        penalty_charge(studio=studio, penalty_id=penalty_id, now=now)
    return len(marked) + len(stale)


def penalty_charge(*, studio: Studio, penalty_id: int, now: dt.datetime | None = None) -> Penalty:
    """Charge one CHARGING fee's current attempt on the client's default method; returns the fee.

    Routed by PAY-3 rule 3: the account of the client's home location (the home location of the
    membership's client when a membership is named), else the studio's default; the payment
    records the rule and its reason. Call it outside any transaction (a task, the sweep). A fee
    in any other state is returned unchanged.
    """
    from memberships.periods import studio_today
    from payments.services.automatic import payment_charge_default

    now = now or timezone.now()
    penalty = (
        Penalty.objects.select_related("client__home_location", "membership__client__home_location")
        .filter(pk=penalty_id, studio=studio)
        .first()
    )
    if penalty is None or penalty.status != PenaltyStatus.CHARGING:
        return penalty
    key = penalty_attempt_key(penalty)
    client = penalty.membership.client if penalty.membership_id else penalty.client
    client.studio = studio
    charge = payment_charge_default(
        studio=studio,
        client=client,
        subtotal=penalty.amount,
        # Not bound to a location (PAY-3 rule 3): the client's home location, like a renewal.
        item_kind=ItemKind.PENALTY,  # its own kind: the studio decides which taxes apply
        description=_penalty_description(penalty),
        idempotency_key=key,
        source_type=SOURCE_KIND,
        source_id=str(penalty.pk),
        today=studio_today(studio, now),
    )
    return penalty_record(
        penalty_id=penalty.pk,
        key=key,
        status=charge.status,
        payment=charge.payment,
        code=charge.code,
        now=now,
    )


def _penalty_description(penalty: Penalty) -> str:
    # Codes and a date, not a sentence: the ledger shows it to readers of either language.
    return f"{SOURCE_KIND} · {penalty.trigger} · {penalty.event_kind} {penalty.event_id}"[:200]


def penalty_record(
    *,
    penalty_id: int,
    key: str,
    status: str,
    payment: Payment | None,
    code: str = "",
    now: dt.datetime | None = None,
) -> Penalty:
    """Record the outcome of the attempt charged under `key`; idempotent.

    Called by the charge with its answer and by the outcome hook when the payment reaches a final
    state, in whichever order: the first records, the second finds the fee settled and changes
    nothing. `status`: "succeeded", "pending" (answer unknown), "failed" or "no_method".
    """
    now = now or timezone.now()
    with transaction.atomic():
        penalty = Penalty.objects.select_for_update(of=("self",)).select_related("studio").get(pk=penalty_id)
        current = penalty_attempt_key(penalty) == key
        if status == "succeeded":
            if penalty.status in (PenaltyStatus.CHARGING, PenaltyStatus.FAILED):
                penalty.status = PenaltyStatus.CHARGED
                penalty.payment = payment
                penalty.failure_code = ""
                penalty.save(update_fields=["status", "payment", "failure_code", "updated_at"])
                audit_record(
                    studio=penalty.studio,
                    actor=SYSTEM,
                    action="penalty.charged",
                    obj=penalty,
                    changes={"amount": penalty.amount, "attempt": penalty.attempts},
                )
                _email(penalty, "charged")
            elif payment is not None and penalty.status in (PenaltyStatus.WAIVED, PenaltyStatus.REVERSED):
                # Money arrived for a fee no longer owed (waived or reversed while the charge's
                # answer was unknown or read as failed): the worker gives it back.
                enqueue_by_name(
                    "memberships.penalty_refund_unowed", penalty.studio_id, penalty.pk, payment.pk
                )
            elif payment is not None and penalty.payment_id not in (None, payment.pk):
                logger.error("penalty %s: a second payment %s succeeded", penalty.pk, payment.pk)
            return penalty
        if not current or penalty.status != PenaltyStatus.CHARGING:
            return penalty
        if status == "pending":
            if payment is not None and penalty.payment_id != payment.pk:
                penalty.payment = payment
                penalty.save(update_fields=["payment", "updated_at"])
            return penalty
        penalty.status = PenaltyStatus.FAILED
        penalty.payment = payment
        penalty.failure_code = (code or status)[:40]
        penalty.save(update_fields=["status", "payment", "failure_code", "updated_at"])
        audit_record(
            studio=penalty.studio,
            actor=SYSTEM,
            action="penalty.charge_failed",
            obj=penalty,
            changes={"code": penalty.failure_code, "attempt": penalty.attempts},
        )
        _email(penalty, "failed")
        return penalty


def penalty_on_payment_outcome(outcome) -> None:
    """The "penalty" source kind's hook: a fee's payment reached a final state.

    Runs in the worker inside the transaction that marks the outcome delivered; writes rows only
    (never calls Stripe). A refund changes nothing here: waiving and reversing record their own.
    """
    payment = outcome.payment
    if outcome.state == "succeeded":
        status, code = "succeeded", ""
    elif outcome.state in ("failed", "canceled"):
        status, code = "failed", payment.failure_code or outcome.state
    else:
        return
    try:
        penalty_id = int(payment.source_id)
    except (TypeError, ValueError):
        return
    if not Penalty.objects.filter(pk=penalty_id).exists():
        return
    penalty_record(
        penalty_id=penalty_id, key=payment.idempotency_key, status=status, payment=payment, code=code
    )


def _email(penalty: Penalty, kind: str) -> None:
    """Recorded in the transaction of the state change: one change, one message."""
    from memberships.emails.penalties import send_penalty_email

    send_penalty_email(penalty=penalty, kind=kind)


# --- staff: waive, retry, mark paid ----------------------------------------------------------------


def _has_perm(*, studio: Studio, actor: Actor, perm: str) -> bool:
    from studio.models import StaffMember

    if actor.user is None:
        return True  # the system (a task) acts for the studio
    member = StaffMember.objects.select_related("role").filter(studio=studio, user=actor.user).first()
    return member is not None and member.has_perm(perm)


def penalty_waive(*, studio: Studio, actor: Actor, penalty: Penalty, reason: str) -> Penalty:
    """Waive a fee, with a reason (required, at most 300 characters; audited).

    Pending (inside the grace delay) or failed: waived at once, nothing is ever charged — the row
    lock orders it with the charge sweep, which skips a waived fee. Charged (or paid another way):
    the payment is refunded in full to the original method (`refund_create`, which needs
    Perm.REFUND), then the fee is waived. Being charged right now: refused (its outcome is not
    known yet; try again in a minute). Waived, reversed: refused, nothing changes.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the fee is waived."), code="reason")
    if len(reason) > WAIVE_REASON_MAX:
        raise ValidationError(
            _("Keep the reason under %(max)s characters.") % {"max": WAIVE_REASON_MAX}, code="reason"
        )
    if "\x00" in reason:
        raise ValidationError(_("The reason contains a character that is not allowed."), code="reason")
    refund_payment: Payment | None = None
    with transaction.atomic():
        locked = (
            Penalty.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=penalty.pk, studio=studio)
        )
        if locked.status == PenaltyStatus.CHARGING:
            raise ValidationError(
                _(
                    "This fee is being charged right now. Wait a minute and reload the page: once "
                    "charged it can be waived and refunded."
                ),
                code="charging",
            )
        if locked.status in (PenaltyStatus.WAIVED, PenaltyStatus.REVERSED):
            raise ValidationError(_("This fee was already waived or reversed."), code="status")
        if locked.status in (PenaltyStatus.CHARGED, PenaltyStatus.PAID):
            if not _has_perm(studio=studio, actor=actor, perm=Perm.REFUND):
                raise PermissionDenied(Perm.REFUND)
            refund_payment = locked.payment
        else:
            _mark_waived(locked, studio=studio, actor=actor, reason=reason, refund=None)
            return locked
    refund = _refund_in_full(studio=studio, actor=actor, payment=refund_payment, reason=reason)
    with transaction.atomic():
        locked = Penalty.objects.select_for_update(of=("self",)).get(pk=penalty.pk, studio=studio)
        if locked.status in (PenaltyStatus.CHARGED, PenaltyStatus.PAID):
            _mark_waived(locked, studio=studio, actor=actor, reason=reason, refund=refund)
        return locked


def _refund_in_full(*, studio: Studio, actor: Actor, payment: Payment | None, reason: str):
    """Refund what is left of `payment` to its original method (outside any transaction).

    The amount refunded so far, read now, is passed as `expected_refunded`: a second waive (or a
    refund made meanwhile) is refused by payments instead of refunding twice."""
    from payments.models import Refund
    from payments.services.refunds import refund_create

    if payment is None:
        return None
    payment = Payment.objects.get(pk=payment.pk, studio=studio)
    remaining = payment.amount - payment.amount_refunded
    if remaining <= 0:
        return None  # already refunded in full: nothing is held
    if payment.status != Payment.Status.SUCCEEDED:
        # Money may still be on its way (a bank debit settling): never call the fee waived while
        # what was taken is neither refunded nor known to have failed.
        raise ValidationError(
            _("The fee's payment has not settled yet. Waive it once it has, to refund it."),
            code="unsettled",
        )
    return refund_create(
        studio=studio,
        actor=actor,
        payment=payment,
        amount=remaining,
        destination=Refund.Destination.ORIGINAL,
        reason=reason[:200],
        expected_refunded=payment.amount_refunded,
    )


def _mark_waived(penalty: Penalty, *, studio: Studio, actor: Actor, reason: str, refund) -> None:
    old = penalty.status
    penalty.status = PenaltyStatus.WAIVED
    penalty.waived_by = actor.user
    penalty.waived_at = timezone.now()
    penalty.waive_reason = reason
    penalty.save(update_fields=["status", "waived_by", "waived_at", "waive_reason", "updated_at"])
    changes = {"waive_reason": reason, "status": [old, PenaltyStatus.WAIVED], "amount": penalty.amount}
    if refund is not None:
        changes["refund"] = refund.pk
    audit_record(studio=studio, actor=actor, action="penalty.waived", obj=penalty, changes=changes)


def penalty_retry(*, studio: Studio, actor: Actor, penalty: Penalty) -> Penalty:
    """Charge a failed fee again (the client has fixed their card): attempt n + 1 under
    `<key>:<n+1>`, marked CHARGING and committed, then charged by the worker. Audited. Only a
    FAILED fee can be retried; a second click finds it charging and changes nothing."""

    with transaction.atomic():
        locked = Penalty.objects.select_for_update(of=("self",)).get(pk=penalty.pk, studio=studio)
        if locked.status != PenaltyStatus.FAILED:
            raise ValidationError(_("Only a fee whose charge failed can be charged again."), code="status")
        locked.attempts = max(locked.attempts, 1) + 1
        locked.status = PenaltyStatus.CHARGING
        locked.failure_code = ""
        locked.save(update_fields=["attempts", "status", "failure_code", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="penalty.retried",
            obj=locked,
            changes={"attempt": locked.attempts},
        )
        enqueue_by_name(CHARGE_TASK, studio.pk, locked.pk)
    return locked


def penalty_mark_paid(
    *, studio: Studio, penalty: Penalty, payment: Payment, actor: Actor = SYSTEM
) -> Penalty:
    """The fee was collected another way (POS, checkout): PAID with that payment. For POS and
    checkout, which collect `amounts_owed_for`. Only a fee still owed (failed, or pending before
    it was charged) can be marked paid; the payment must be a succeeded one of the same client."""
    if payment.studio_id != studio.pk or payment.status != Payment.Status.SUCCEEDED:
        raise ValidationError(_("Only a succeeded payment of this studio can pay a fee."), code="payment")
    with transaction.atomic():
        locked = Penalty.objects.select_for_update(of=("self",)).get(pk=penalty.pk, studio=studio)
        if payment.client_id != locked.client_id:
            raise ValidationError(_("This payment is another client's."), code="payment")
        if locked.status not in (PenaltyStatus.FAILED, PenaltyStatus.PENDING):
            raise ValidationError(_("This fee is not owed any more."), code="status")
        locked.status = PenaltyStatus.PAID
        locked.payment = payment
        locked.save(update_fields=["status", "payment", "updated_at"])
        audit_record(
            studio=studio, actor=actor, action="penalty.paid", obj=locked, changes={"payment": payment.pk}
        )
    return locked


# --- attendance corrected: the no-show's fees go ---------------------------------------------------


def penalties_reverse_for_event(*, studio: Studio, event_kind: str, event_id: int) -> int:
    """The attendance of this booking was corrected away from a no-show: its no-show fees go.

    Pending or failed: REVERSED (nothing is owed). Charged or paid: refunded in full, then
    REVERSED. Returns how many fees are still CHARGING (their outcome is not known yet): the
    caller (the task) tries again later, when they have settled.
    """
    ids = list(
        Penalty.objects.filter(
            studio=studio, event_kind=event_kind, event_id=event_id, trigger=PenaltyTrigger.NO_SHOW
        ).values_list("pk", flat=True)
    )
    still_charging = 0
    for penalty_id in ids:
        refund_payment = None
        with transaction.atomic():
            locked = (
                Penalty.objects.select_for_update(of=("self",)).select_related("payment").get(pk=penalty_id)
            )
            if locked.status == PenaltyStatus.CHARGING:
                still_charging += 1
                continue
            if locked.status in (PenaltyStatus.PENDING, PenaltyStatus.FAILED):
                _mark_reversed(locked, studio=studio, refund=None)
                continue
            if locked.status not in (PenaltyStatus.CHARGED, PenaltyStatus.PAID):
                continue  # waived or reversed already
            refund_payment = locked.payment
        refund = _refund_in_full(
            studio=studio, actor=SYSTEM, payment=refund_payment, reason="attendance corrected"
        )
        with transaction.atomic():
            locked = Penalty.objects.select_for_update(of=("self",)).get(pk=penalty_id)
            if locked.status in (PenaltyStatus.CHARGED, PenaltyStatus.PAID):
                _mark_reversed(locked, studio=studio, refund=refund)
    return still_charging


def _mark_reversed(penalty: Penalty, *, studio: Studio, refund) -> None:
    old = penalty.status
    penalty.status = PenaltyStatus.REVERSED
    penalty.save(update_fields=["status", "updated_at"])
    changes: dict = {"status": [old, PenaltyStatus.REVERSED], "amount": penalty.amount}
    if refund is not None:
        changes["refund"] = refund.pk
    audit_record(studio=studio, actor=SYSTEM, action="penalty.reversed", obj=penalty, changes=changes)


# --- scheduling's events: receivers only enqueue ----------------------------------------------------


def on_booking_penalty_event(sender, *, studio_id: int, booking_id: int, **kwargs) -> None:
    """A class booking was late-cancelled or marked a no-show: the worker assesses its fees."""
    from studio.tasking import enqueue_by_name

    enqueue_by_name(ASSESS_TASK, studio_id, EventKind.CLASS, booking_id)


def on_appointment_penalty_event(sender, *, studio_id: int, appointment_id: int, **kwargs) -> None:
    """An appointment was late-cancelled or missed: the worker assesses its fees."""
    from studio.tasking import enqueue_by_name

    enqueue_by_name(ASSESS_TASK, studio_id, EventKind.APPOINTMENT, appointment_id)


def on_attendance_corrected(sender, *, studio_id: int, booking_id: int, old: str, **kwargs) -> None:
    """Staff corrected a recorded attendance: away from a no-show, the no-show's fees go."""
    from studio.tasking import enqueue_by_name

    if old == "no_show":
        enqueue_by_name(REVERSE_TASK, studio_id, EventKind.CLASS, booking_id)


def penalty_refund_unowed(*, studio: Studio, penalty_id: int, payment_id: int) -> None:
    """Refund in full a payment that succeeded for a fee waived or reversed meanwhile (from the
    worker, outside any transaction). Safe to run twice: what is left to refund is read now and
    payments refuses a refund made on a stale amount."""
    penalty = Penalty.objects.filter(pk=penalty_id, studio=studio).first()
    payment = Payment.objects.filter(pk=payment_id, studio=studio).first()
    if (
        penalty is None
        or payment is None
        or penalty.status not in (PenaltyStatus.WAIVED, PenaltyStatus.REVERSED)
    ):
        return
    if payment.source_type != SOURCE_KIND or payment.source_id != str(penalty.pk):
        return
    refund = _refund_in_full(studio=studio, actor=SYSTEM, payment=payment, reason="penalty waived")
    if refund is not None:
        audit_record(
            studio=studio,
            actor=SYSTEM,
            action="penalty.refunded_unowed",
            obj=penalty,
            changes={"amount": refund.amount},
        )
