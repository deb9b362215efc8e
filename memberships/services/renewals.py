"""The renewal engine (MEM-3) and payment-plan instalments (MEM-5), run by the worker.

One `Renewal` row per (membership, period start) — unique — carries the charge of that period
and its idempotency key (`renewal:<membership_id>:<period start>`, `instalment:…` for a payment
plan). Attempt n > 1, started only after attempt n − 1 failed for certain, charges under
`<key>:<n>`; an attempt whose answer is unknown (a lost response, a bank debit still
`processing`) is never followed by another one: it is settled by the payment's outcome hook. So
a beat run twice, a retried task or a worker killed between Stripe's answer and our write can
only ever resubmit the same key, which Stripe answers with the first result.

The phases, each in its own transaction, no Stripe call inside one:
1. `renewals_run_due` — what happens at period end (cancel at period end, change of plan), the
   Renewal row (get or create), one `memberships.attempt_renewal` task per renewal;
2. `renewal_attempt` — lock, mark the attempt, commit; charge the default method
   (`payments.services.automatic.payment_charge_default`) outside any transaction;
3. `_record` — succeeded: the next period opens (credits reset) and the receipt is emailed;
   pending or processing: the renewal waits for the outcome hook; failed: the studio's retry
   schedule (days after the first failure), the membership past due, an email with the link to
   fix it; after the last retry, the studio's choice (stay past due, or cancel).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from memberships.models import (
    AfterLastRetry,
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PlanKind,
    Renewal,
    RenewalStatus,
)
from memberships.periods import studio_today
from memberships.services.periods import next_period_end, period_open
from memberships.services.settings import membership_settings_for
from payments.models import Payment
from payments.services.routing import ItemKind
from studio.models import Studio
from studio.services import SYSTEM, Actor, audit_record, change
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

SOURCE_KIND = "membership_renewal"
ATTEMPT_TASK = "memberships.attempt_renewal"

# Renewals whose next step is ours (charge or wait); the others are settled.
# A 3-D Secure confirmation the client started and left this long ago is given up (cancelled).
ABANDONED_AFTER = dt.timedelta(days=1)
OPEN_STATUSES = (RenewalStatus.DUE, RenewalStatus.PROCESSING, RenewalStatus.RETRYING)
# A membership in these may be charged for its next period.
CHARGEABLE_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
# Due memberships read and given their Renewal rows per batch (a few queries per batch).
RUN_BATCH = 500


# --- keys and dates ----------------------------------------------------------------------------


def renewal_base_key(*, membership: Membership, period_start: dt.date) -> str:
    """The period's idempotency key: `renewal:<id>:<start>` (`instalment:…` for a payment plan)."""
    prefix = "instalment" if membership.plan.kind == PlanKind.PAYMENT_PLAN else "renewal"
    return f"{prefix}:{membership.pk}:{period_start.isoformat()}"


def renewal_attempt_key(renewal: Renewal) -> str:
    """The key of the renewal's current attempt: the base key, then `<key>:<n>` from the second."""
    if renewal.attempts <= 1:
        return renewal.idempotency_key
    return f"{renewal.idempotency_key}:{renewal.attempts}"


def _zone(studio: Studio) -> ZoneInfo:
    return ZoneInfo(studio.time_zone or "UTC")


def _plus_days(moment: dt.datetime, days: int, zone: ZoneInfo) -> dt.datetime:
    """`days` later at the same local wall-clock time (a DST change does not shift the hour)."""
    local = timezone.localtime(moment, zone)
    return (local.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=zone)


# --- 1. the run: what is due --------------------------------------------------------------------


def _due_filter(*, today: dt.date, include_today: bool) -> Q:
    dated = Q(next_renewal_on__lte=today) if include_today else Q(next_renewal_on__lt=today)
    paused_now = Q(paused_from__isnull=False, paused_from__lte=today) & (
        Q(paused_until__isnull=True) | Q(paused_until__gt=today)
    )
    return (
        Q(status__in=CHARGEABLE_STATUSES)
        & Q(plan__kind__in=[PlanKind.SUBSCRIPTION, PlanKind.PAYMENT_PLAN])
        & dated
        & ~paused_now
    )


def renewals_run_due(*, studio: Studio, now: dt.datetime) -> int:
    """The run for one studio: every membership due by its local date is renewed once per period.

    Due: active or past due, a plan that renews, not paused, `next_renewal_on` before today — or
    today once the studio's renewal hour has come (its local hour, so DST moves nothing). Period
    end comes first: a cancellation at period end ends the membership (no renewal), a change of
    plan switches plan and price before the charge. Then one Renewal row per (membership, period
    start), got or created, and one attempt task per renewal still to charge; retrying renewals
    whose next attempt has come are enqueued too, and ended passes, packs and paid-off plans
    expire. Safe to run twice at once: the Renewal row is unique per period (a second run's
    insert is ignored and it reads the first run's row), and what changes the membership itself
    is done under its lock. Returns how many attempts were enqueued.

    The queries are per batch of `RUN_BATCH` memberships, not per membership (a night of 10,000
    renewals is a few dozen queries): the plain renewals — no cancellation, no change of plan,
    not a paid-off payment plan — get their rows in one insert; only the others take the
    membership's lock one by one.
    """
    today = studio_today(studio=studio, now=now)
    settings = membership_settings_for(studio=studio)
    include_today = timezone.localtime(now, _zone(studio)).hour >= settings.renewal_hour
    memberships_expire_ended(studio=studio, today=today, now=now)
    due_ids = list(
        Membership.objects.filter(studio=studio)
        .filter(_due_filter(today=today, include_today=include_today))
        .order_by("next_renewal_on", "id")
        .values_list("pk", flat=True)
    )
    to_attempt: list[int] = []
    for start in range(0, len(due_ids), RUN_BATCH):
        to_attempt += _renewals_prepare_batch(
            studio=studio,
            membership_ids=due_ids[start : start + RUN_BATCH],
            today=today,
            now=now,
            include_today=include_today,
        )
    chosen = set(to_attempt)
    to_attempt += [
        pk
        for pk in Renewal.objects.filter(
            studio=studio, status=RenewalStatus.RETRYING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
        if pk not in chosen
    ]
    chosen = set(to_attempt)
    to_attempt += [
        pk
        for pk in Renewal.objects.filter(
            studio=studio,
            status=RenewalStatus.PROCESSING,
            payment__status=Payment.Status.REQUIRES_ACTION,
            payment__updated_at__lte=now - ABANDONED_AFTER,
        ).values_list("pk", flat=True)
        if pk not in chosen
    ]
    for renewal_id in to_attempt:
        enqueue_by_name(ATTEMPT_TASK, studio.pk, renewal_id)
    return len(to_attempt)


def _needs_lock(membership: Membership) -> bool:
    """Period end changes this membership itself (ends it, switches its plan, or it is paid off)."""
    plan = membership.plan
    return bool(
        membership.cancel_at_period_end
        or (membership.next_plan_id and membership.next_plan_id != membership.plan_id)
        or (plan.kind == PlanKind.PAYMENT_PLAN and membership.periods_paid >= (plan.instalment_count or 0))
    )


def _renewals_prepare_batch(
    *, studio: Studio, membership_ids: list[int], today: dt.date, now: dt.datetime, include_today: bool
) -> list[int]:
    """One batch of due memberships: their period's Renewal rows; returns the ids still to charge.

    Read again with the due filter (a run at the same time may have moved one on). The plain ones
    get their rows in one insert that ignores the rows already there (the unique constraint per
    period is the last word on "once per period"), read back in one query; the others go
    through `_renewal_prepare`, under the membership's lock, as before.
    """
    memberships = list(
        Membership.objects.filter(studio=studio, pk__in=membership_ids)
        .filter(_due_filter(today=today, include_today=include_today))
        .select_related("plan")
        .order_by("next_renewal_on", "id")
    )
    plain = [m for m in memberships if not _needs_lock(m)]
    locked = [m for m in memberships if _needs_lock(m)]
    out: list[int] = []
    if plain:
        Renewal.objects.bulk_create(
            [
                Renewal(
                    studio=studio,
                    membership=membership,
                    period_start=membership.next_renewal_on,
                    amount=membership.price_amount,
                    currency=membership.currency,
                    idempotency_key=renewal_base_key(
                        membership=membership, period_start=membership.next_renewal_on
                    ),
                )
                for membership in plain
            ],
            ignore_conflicts=True,
        )
        rows = Renewal.objects.filter(
            studio=studio,
            membership_id__in=[m.pk for m in plain],
            period_start__in={m.next_renewal_on for m in plain},
        ).values_list("pk", "membership_id", "period_start", "status")
        found = {
            (membership_id, period_start): (pk, status) for pk, membership_id, period_start, status in rows
        }
        for membership in plain:
            pk, status = found.get((membership.pk, membership.next_renewal_on), (None, None))
            if pk is not None and status == RenewalStatus.DUE:
                out.append(pk)
    for membership in locked:
        renewal = _renewal_prepare(
            studio=studio, membership_id=membership.pk, today=today, now=now, include_today=include_today
        )
        if renewal is not None and renewal.status == RenewalStatus.DUE:
            out.append(renewal.pk)
    return out


def _renewal_prepare(
    *, studio: Studio, membership_id: int, today: dt.date, now: dt.datetime, include_today: bool
) -> Renewal | None:
    """Under the membership's lock: period end, then the period's Renewal row (got or created)."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("plan", "next_plan")
            .filter(pk=membership_id)
            .filter(_due_filter(today=today, include_today=include_today))
            .first()
        )
        if membership is None:
            return None  # another run got here first and changed it
        period_start = membership.next_renewal_on
        existing = Renewal.objects.filter(membership=membership, period_start=period_start).first()
        if existing is not None:
            return existing
        if membership.cancel_at_period_end:
            _end(membership, status=MembershipStatus.CANCELLED, on=period_start, now=now)
            audit_record(
                studio=studio,
                actor=SYSTEM,
                action="memberships.cancelled_at_period_end",
                obj=membership,
                changes={"ends_on": period_start.isoformat()},
            )
            return None
        plan = membership.plan
        if plan.kind == PlanKind.PAYMENT_PLAN and membership.periods_paid >= (plan.instalment_count or 0):
            membership.next_renewal_on = None  # paid off: expires when its last period ends
            membership.save(update_fields=["next_renewal_on", "updated_at"])
            return None
        if membership.next_plan_id and membership.next_plan_id != membership.plan_id:
            old_plan = membership.plan
            membership.plan = membership.next_plan
            membership.price_amount = membership.next_plan.price_amount
            membership.currency = membership.next_plan.currency
            membership.next_plan = None
            membership.save(update_fields=["plan", "price_amount", "currency", "next_plan", "updated_at"])
            audit_record(
                studio=studio,
                actor=SYSTEM,
                action="memberships.plan_changed_at_renewal",
                obj=membership,
                changes={"plan": change(old_plan.name, membership.plan.name)},
            )
        try:
            with transaction.atomic():  # the unique constraint is the last word on "once per period"
                renewal, _created = Renewal.objects.get_or_create(
                    studio=studio,
                    membership=membership,
                    period_start=period_start,
                    defaults={
                        "amount": membership.price_amount,
                        "currency": membership.currency,
                        "idempotency_key": renewal_base_key(membership=membership, period_start=period_start),
                    },
                )
        except IntegrityError:
            renewal = Renewal.objects.get(membership=membership, period_start=period_start)
        return renewal


def _end(membership: Membership, *, status: str, on: dt.date | None, now: dt.datetime) -> None:
    membership.status = status
    membership.next_renewal_on = None
    membership.ends_on = on or membership.current_period_end
    if status == MembershipStatus.CANCELLED and membership.cancelled_at is None:
        membership.cancelled_at = now
    membership.save()


def memberships_expire_ended(*, studio: Studio, today: dt.date, now: dt.datetime) -> int:
    """Passes, packs, paid-off payment plans and cancellations at period end whose last period is
    over: expired (or cancelled when that was asked). Nothing renews them. Returns how many."""
    ended = Membership.objects.filter(
        studio=studio,
        status__in=CHARGEABLE_STATUSES,
        next_renewal_on__isnull=True,
        current_period_end__isnull=False,
        current_period_end__lte=today,
    ).values_list("pk", flat=True)
    count = 0
    for membership_id in list(ended):
        with transaction.atomic():
            membership = (
                Membership.objects.select_for_update()
                .filter(pk=membership_id, status__in=CHARGEABLE_STATUSES, next_renewal_on__isnull=True)
                .first()
            )
            if membership is None:
                continue
            status = (
                MembershipStatus.CANCELLED if membership.cancel_at_period_end else MembershipStatus.EXPIRED
            )
            _end(membership, status=status, on=membership.current_period_end, now=now)
            count += 1
    return count


# --- 2. an attempt --------------------------------------------------------------------------------


def renewal_attempt(*, renewal_id: int, now: dt.datetime) -> Renewal:
    """Charge one renewal's current attempt (the worker's task); returns the renewal as it ends up.

    A settled renewal, one waiting for its payment's outcome, or one retrying later is left as it
    is. A renewal already in flight (a previous run died mid-way) is charged again under the same
    key — Stripe answers with the first result — never under a new one.
    """
    abandoned = None
    with transaction.atomic():
        renewal = (
            Renewal.objects.select_for_update(of=("self",))
            .select_related("membership__plan", "membership__client__home_location", "studio", "payment")
            .get(pk=renewal_id)
        )
        membership = renewal.membership
        marked = renewal.attempts
        if renewal.status == RenewalStatus.RETRYING:
            if renewal.next_attempt_at is not None and renewal.next_attempt_at > now:
                return renewal
            # The previous attempt failed for certain: this one is a new charge, with its own key.
            renewal.attempts += 1
            renewal.status = RenewalStatus.DUE
            marked = None
        elif renewal.status == RenewalStatus.DUE:
            renewal.attempts = max(renewal.attempts, 1)
        elif renewal.status == RenewalStatus.PROCESSING and _abandoned(renewal, now):
            abandoned = renewal.payment
        else:
            return renewal  # succeeded, failed for good, skipped, or processing (the hook settles it)
        if abandoned is None:
            if membership.status not in CHARGEABLE_STATUSES:
                renewal.status = RenewalStatus.SKIPPED  # cancelled, paused or ended since it fell due
                renewal.next_attempt_at = None
                renewal.save()
                return renewal
            # Committed before Stripe is called: a rerun of this attempt reuses its key.
            if marked != renewal.attempts:
                renewal.save(update_fields=["attempts", "status", "updated_at"])
            key = renewal_attempt_key(renewal)
    if abandoned is not None:
        return _close_abandoned(renewal, abandoned, now=now)
    from payments.services.automatic import payment_charge_default

    # Already read with the renewal: the charge's reads of them (saved methods' switch) need no query.
    membership.client.studio = renewal.studio
    plan = membership.plan
    instalment = plan.kind == PlanKind.PAYMENT_PLAN
    charge = payment_charge_default(
        studio=renewal.studio,
        client=membership.client,
        subtotal=renewal.amount,
        # Rule 3 for a renewal: the client's home location *now*; rule 2 for a course's instalment.
        item_kind=ItemKind.PAYMENT_PLAN if instalment else ItemKind.RENEWAL,
        item_location=plan.location if instalment else None,
        description=f"{plan.name} · {renewal.period_start.isoformat()}",
        idempotency_key=key,
        source_type=SOURCE_KIND,
        source_id=str(renewal.pk),
        today=studio_today(studio=renewal.studio, now=now),
    )
    return renewal_record(
        renewal_id=renewal.pk,
        key=key,
        status=charge.status,
        payment=charge.payment,
        code=charge.code,
        now=now,
    )


def _abandoned(renewal: Renewal, now: dt.datetime) -> bool:
    """A confirmation the client started on the hosted page (3-D Secure) and left unfinished."""
    payment = renewal.payment
    return (
        payment is not None
        and payment.status == Payment.Status.REQUIRES_ACTION
        and payment.updated_at <= now - ABANDONED_AFTER
    )


def _close_abandoned(renewal: Renewal, payment: Payment, *, now: dt.datetime) -> Renewal:
    """Cancel the unfinished payment at Stripe (it can then never be confirmed late, so the next
    attempt cannot charge twice) and count it as a failed attempt: the retry schedule goes on."""
    from payments.services.charges import payment_cancel_unconfirmed

    payment = payment_cancel_unconfirmed(payment=payment)
    if payment.status == Payment.Status.SUCCEEDED:  # the client finished it after all
        status, code = "succeeded", ""
    elif payment.status == Payment.Status.CANCELED:
        status, code = "failed", "authentication_required"
    elif payment.status == Payment.Status.FAILED:
        status, code = "failed", payment.failure_code or "failed"
    else:
        return renewal  # Stripe could not be reached: the next run tries again
    return renewal_record(
        renewal_id=renewal.pk, key=payment.idempotency_key, status=status, payment=payment, code=code, now=now
    )


# --- 3. recording what happened ---------------------------------------------------------------------


def renewal_record(
    *, renewal_id: int, key: str, status: str, payment: Payment | None, code: str, now: dt.datetime
) -> Renewal:
    """Record the outcome of the attempt charged under `key`; idempotent.

    Called by the attempt with the charge's answer and by the outcome hook when a payment reaches
    a final state, in whichever order they come: the first one records, the second finds the
    renewal settled (or moved on to another attempt) and changes nothing. `status`: "succeeded",
    "pending" (processing or unknown), "failed" or "no_method".
    """
    with transaction.atomic():
        # The renewal and its membership locked in one query (plan, client and studio read, not locked).
        renewal = (
            Renewal.objects.select_for_update(of=("self", "membership"))
            .select_related("studio", "membership__plan", "membership__client")
            .get(pk=renewal_id)
        )
        membership = renewal.membership
        current = renewal_attempt_key(renewal) == key
        if status == "succeeded":
            # Money taken for this period is the period paid, even from an older attempt's late answer.
            if renewal.status in OPEN_STATUSES or renewal.status == RenewalStatus.FAILED:
                if not current and renewal.status == RenewalStatus.DUE:
                    logger.warning("renewal %s: attempt %s succeeded while a later one runs", renewal.pk, key)
                _succeed(renewal, membership, payment=payment, now=now)
            elif renewal.status == RenewalStatus.SUCCEEDED and payment and renewal.payment_id != payment.pk:
                logger.error(
                    "renewal %s was paid twice (payments %s and %s)",
                    renewal.pk,
                    renewal.payment_id,
                    payment.pk,
                )
            return renewal
        if not current or renewal.status not in (RenewalStatus.DUE, RenewalStatus.PROCESSING):
            return renewal
        if status == "pending":
            renewal.status = RenewalStatus.PROCESSING
            renewal.payment = payment
            renewal.save()
            return renewal
        _fail(renewal, membership, payment=payment, code=code or status, now=now)
        return renewal


def _succeed(renewal: Renewal, membership: Membership, *, payment: Payment | None, now: dt.datetime) -> None:
    kind = (
        MembershipPeriod.Kind.INSTALMENT
        if membership.plan.kind == PlanKind.PAYMENT_PLAN
        else MembershipPeriod.Kind.RENEWAL
    )
    period_open(
        membership=membership,
        starts_on=renewal.period_start,
        ends_on=next_period_end(membership=membership, starts_on=renewal.period_start),
        kind=kind,
        payment_id=payment.pk if payment else None,
    )
    renewal.status = RenewalStatus.SUCCEEDED
    renewal.payment = payment
    renewal.failure_code = ""
    renewal.next_attempt_at = None
    renewal.save()
    audit_record(
        studio=renewal.studio,
        actor=SYSTEM,
        action="memberships.renewal_succeeded",
        obj=membership,
        changes={
            "period": renewal.period_start.isoformat(),
            "amount": renewal.amount,
            "attempts": renewal.attempts,
        },
    )
    _email(renewal, membership, "succeeded")


def _fail(
    renewal: Renewal, membership: Membership, *, payment: Payment | None, code: str, now: dt.datetime
) -> None:
    studio = renewal.studio
    settings = membership_settings_for(studio=studio)
    renewal.payment = payment
    renewal.failure_code = code[:40]
    if renewal.first_failed_at is None:
        renewal.first_failed_at = now
    days = list(settings.retry_days or [])
    failures = max(renewal.attempts, 1)
    final = failures > len(days)
    if final:
        renewal.status = RenewalStatus.FAILED
        renewal.next_attempt_at = None
    else:
        renewal.status = RenewalStatus.RETRYING
        renewal.next_attempt_at = _plus_days(renewal.first_failed_at, days[failures - 1], _zone(studio))
    renewal.save()
    if membership.status in CHARGEABLE_STATUSES:
        if final and settings.after_last_retry == AfterLastRetry.CANCEL:
            _end(membership, status=MembershipStatus.CANCELLED, on=renewal.period_start, now=now)
        else:
            membership.status = MembershipStatus.PAST_DUE
            membership.save(update_fields=["status", "updated_at"])
    audit_record(
        studio=studio,
        actor=SYSTEM,
        action="memberships.renewal_failed",
        obj=membership,
        changes={
            "period": renewal.period_start.isoformat(),
            "code": renewal.failure_code,
            "attempt": renewal.attempts,
            "final": final,
        },
    )
    kind = "action_required" if renewal.failure_code == "authentication_required" else "failed"
    _email(renewal, membership, kind)


def _email(renewal: Renewal, membership: Membership, kind: str) -> None:
    """Recorded in the same transaction as the state change: one change, one message."""
    from memberships.emails.renewals import send_renewal_email

    renewal.membership = membership
    send_renewal_email(renewal=renewal, kind=kind)


# --- the outcome hook and staff's "retry now" ---------------------------------------------------------


def renewal_on_payment_outcome(outcome) -> None:
    """The `membership_renewal` source kind's hook: a renewal's payment reached a final state.

    Runs in the worker inside the transaction that marks the outcome delivered; it only writes
    rows and enqueues (never calls Stripe). Refunds change nothing here (lifecycle's business).
    """
    payment = outcome.payment
    if outcome.state == "succeeded":
        status, code = "succeeded", ""
    elif outcome.state in ("failed", "canceled"):
        # A cancelled on-session payment is a 3-D Secure step the client never finished.
        unfinished = outcome.state == "canceled" and not payment.off_session
        status, code = (
            "failed",
            payment.failure_code or ("authentication_required" if unfinished else outcome.state),
        )
    else:
        return
    try:
        renewal_id = int(payment.source_id)
    except (TypeError, ValueError):
        return
    if not Renewal.objects.filter(pk=renewal_id).exists():
        return
    renewal_record(
        renewal_id=renewal_id,
        key=payment.idempotency_key,
        status=status,
        payment=payment,
        code=code,
        now=timezone.now(),
    )


def renewal_retry_now(
    *, studio: Studio, actor: Actor, renewal: Renewal, now: dt.datetime | None = None
) -> Renewal:
    """Staff's "retry now" (or the client's "pay now" once their card is fixed): the next attempt
    is due at once and enqueued; audited. Only a renewal that failed (retrying, or failed for
    good) can be retried: one in flight or processing is waiting for its answer."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Renewal.objects.select_for_update(of=("self",))
            .select_related("membership")
            .get(pk=renewal.pk, studio=studio)
        )
        if locked.status not in (RenewalStatus.RETRYING, RenewalStatus.FAILED):
            raise ValidationError(_("This renewal is not waiting for a retry."), code="renewal_status")
        if locked.membership.status not in CHARGEABLE_STATUSES:
            raise ValidationError(_("This membership can no longer be charged."), code="membership_status")
        locked.status = RenewalStatus.RETRYING
        locked.next_attempt_at = now
        locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="memberships.renewal_retry_now",
            obj=locked.membership,
            changes={"period": locked.period_start.isoformat(), "attempt": locked.attempts + 1},
        )
        enqueue_by_name(ATTEMPT_TASK, studio.pk, locked.pk)
    return locked


# --- the client confirms on-session (3-D Secure) ------------------------------------------------------


@dataclass(frozen=True)
class OnSessionPayment:
    """What the hosted "confirm your payment" page needs: the renewal's state after the server's
    confirmation and, when the bank wants the client, the intent Stripe.js finishes in the browser."""

    renewal: Renewal
    status: str  # "succeeded", "requires_action", "pending", "failed", "no_method"
    client_secret: str = ""
    stripe_account_id: str = ""


def renewal_client_may_pay(renewal: Renewal) -> bool:
    """Whether the client's page offers to pay (or confirm) this renewal now."""
    return renewal.status in (RenewalStatus.RETRYING, RenewalStatus.FAILED) and (
        renewal.membership.status in CHARGEABLE_STATUSES
    )


def renewal_confirm_start(*, studio: Studio, client, renewal: Renewal, now: dt.datetime) -> OnSessionPayment:
    """The client, on the hosted page, pays a failed renewal with their default method on-session.

    A new attempt (the previous one failed for certain) with its own key, confirmed by the server
    with the client present: a card that needs 3-D Secure comes back `requires_action` and the
    page finishes it with Stripe.js (`renewal_confirm_finish` then reads the result). A renewal
    already waiting for that confirmation is offered again, under the same payment, never a new one.
    """
    from payments.services.charges import ChargeTarget, payment_create, payment_submit
    from payments.services.routing import Channel, Purchase, route_payment
    from payments.services.saved_methods import default_method_for

    with transaction.atomic():
        locked = (
            Renewal.objects.select_for_update(of=("self",))
            .select_related("membership__plan", "membership__client__home_location", "payment", "studio")
            .get(pk=renewal.pk, studio=studio, membership__client=client)
        )
        waiting = (
            locked.status == RenewalStatus.PROCESSING
            and locked.payment is not None
            and locked.payment.status == Payment.Status.REQUIRES_ACTION
        )
        if not waiting:
            if not renewal_client_may_pay(locked):
                return OnSessionPayment(locked, status="unavailable")
            locked.attempts += 1
            locked.status = RenewalStatus.DUE
            locked.next_attempt_at = None
            locked.save()
        key = renewal_attempt_key(locked)
    membership = locked.membership
    plan = membership.plan
    if waiting:
        payment = locked.payment
    else:
        instalment = plan.kind == PlanKind.PAYMENT_PLAN
        item_kind = ItemKind.PAYMENT_PLAN if instalment else ItemKind.RENEWAL
        item_location = plan.location if instalment else None
        payment = Payment.objects.filter(studio=studio, idempotency_key=key).first()
        if payment is None:
            route = route_payment(
                studio=studio,
                purchase=Purchase(
                    channel=Channel.ONLINE,
                    item_kind=item_kind,
                    item_location=item_location,
                    client_home_location=membership.client.home_location,
                ),
            )
            default = default_method_for(
                client=membership.client,
                account=route.account,
                today=studio_today(studio=studio, now=now),
            )
            if default.method is None:
                renewal_record(
                    renewal_id=locked.pk, key=key, status="no_method", payment=None, code="no_method", now=now
                )
                return OnSessionPayment(fresh_renewal(locked.pk), status="no_method")
            payment = payment_create(
                studio=studio,
                actor=SYSTEM,
                client=membership.client,
                subtotal=locked.amount,
                item_kind=item_kind,
                channel=Channel.ONLINE,
                description=f"{plan.name} · {locked.period_start.isoformat()}",
                method=Payment.Method.SAVED_METHOD,
                item_location=item_location,
                target=ChargeTarget(
                    customer_id=default.method.customer.stripe_customer_id,
                    payment_method_id=default.method.stripe_payment_method_id,
                    off_session=False,  # the client is here: the bank may ask them to authenticate
                ),
                idempotency_key=key,
                source_type=SOURCE_KIND,
                source_id=str(locked.pk),
                route=route,
            )
        payment = payment_submit(payment=payment)
    return _on_session_result(locked.pk, key, payment, now=now)


def renewal_confirm_finish(*, studio: Studio, client, renewal: Renewal, now: dt.datetime) -> OnSessionPayment:
    """After Stripe.js finished the client's confirmation: read the intent back and record it."""
    from payments.services.charges import payment_reconcile

    locked = (
        Renewal.objects.select_related("payment", "membership").filter(
            pk=renewal.pk, studio=studio, membership__client=client
        )
    ).get()
    if locked.payment is None or locked.status != RenewalStatus.PROCESSING:
        return OnSessionPayment(locked, status=locked.status)
    payment = payment_reconcile(payment=locked.payment, now=now)
    return _on_session_result(locked.pk, payment.idempotency_key, payment, now=now)


def fresh_renewal(renewal_id: int) -> Renewal:
    return Renewal.objects.select_related("membership", "payment").get(pk=renewal_id)


def _on_session_result(renewal_id: int, key: str, payment: Payment, *, now) -> OnSessionPayment:
    from payments.services.charges import payment_client_secret

    if payment.status == Payment.Status.SUCCEEDED:
        renewal = renewal_record(
            renewal_id=renewal_id, key=key, status="succeeded", payment=payment, code="", now=now
        )
        return OnSessionPayment(renewal, status="succeeded")
    if payment.status in (Payment.Status.FAILED, Payment.Status.CANCELED):
        renewal = renewal_record(
            renewal_id=renewal_id,
            key=key,
            status="failed",
            payment=payment,
            code=payment.failure_code or payment.status,
            now=now,
        )
        return OnSessionPayment(renewal, status="failed")
    renewal = renewal_record(
        renewal_id=renewal_id, key=key, status="pending", payment=payment, code="", now=now
    )
    if payment.status == Payment.Status.REQUIRES_ACTION:
        secret = payment_client_secret(payment=payment)
        if secret:
            return OnSessionPayment(
                renewal,
                status="requires_action",
                client_secret=secret,
                stripe_account_id=payment.stripe_account_id,
            )
    return OnSessionPayment(renewal, status="pending")
