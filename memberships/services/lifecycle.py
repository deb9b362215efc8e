"""Pause, cancel and change a client's membership (MEM-4).

Every action locks the membership row, checks its state under the lock, writes and audits in
one transaction. The renewal engine (H4) honours what these set: `next_renewal_on` (None: never
charged again), `cancel_at_period_end` (turned cancelled at the end of the period), `next_plan`
(applied at the next renewal), `paused_from`/`paused_until` and `status`.

Pause. A pause lies inside the period paid for (it starts before the period's end): the period
end and the next renewal move later by the pause's length (`memberships.periods.shift_by_pause`),
so the client loses none of the days they paid for; the renewal day of the month moves with it
(`anchor_after_move`), so the periods after it are whole too. The status is `paused` from `paused_from`
to `paused_until` (exclusive): set at once when the pause starts today, else flipped by the
daily `membership_pauses_apply`, which also flips it back. Resuming early gives back the days
not paused: the renewal date moves earlier by what is left of the pause.

Cancel. At the period end: no more renewals (`next_renewal_on` cleared), the engine turns it
cancelled when the period is over; undo is possible until then. A minimum commitment not yet
served is refused, unless the person explicitly waives it (a move, an injury: the studio's
call, audited as such) — the studio sold a commitment, so ending it early is a decision, not a
side effect. Now: cancelled today, credits gone, and the unused days of the current period
prorated (`memberships.periods.prorated_unused`, day-based, half up) as the studio chooses:
nothing, a refund of the period's payment, or studio credit — never more than what is left
refundable of that payment, and never twice: the cancellation commits under the row lock
first (a double click finds it cancelled), then the refund runs outside any transaction, as
`payments.services.refunds.refund_create` requires.

Change plan. At the next renewal, to another subscription (same kind), not archived, same
currency; can be taken back until then.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import (
    Membership,
    MembershipPeriod,
    MembershipStatus,
    Plan,
    PlanKind,
    Proration,
    Renewal,
    RenewalStatus,
)
from memberships.periods import add_interval, prorated_unused, shift_by_pause, studio_today
from memberships.services.settings import membership_settings_for
from payments.models import Payment, Refund
from payments.services.refunds import refund_create
from studio.formats import date_format
from studio.inputs import date_in_range
from studio.models import StaffMember, Studio
from studio.permissions import Perm
from studio.services import SYSTEM, Actor, audit_record

# A pause longer than this is a cancellation in disguise: the studio cancels and sells again.
MAX_PAUSE_DAYS = 366

WHEN_PERIOD_END = "period_end"
WHEN_NOW = "now"

# Renewal rows that may still be charged: a cancellation or a pause closes them.
_OPEN_RENEWALS = (RenewalStatus.DUE, RenewalStatus.RETRYING)
CANCELLABLE = (
    MembershipStatus.PENDING,
    MembershipStatus.ACTIVE,
    MembershipStatus.PAST_DUE,
    MembershipStatus.PAUSED,
)


def _words(day: dt.date | None) -> str:
    return date_format(day, "DATE_FORMAT") if day else ""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _lock(studio: Studio, membership: Membership) -> Membership:
    if membership.studio_id != studio.pk:
        raise ValidationError(_("This membership belongs to another studio."), code="studio")
    # Only the membership row: its plan and client stay free for sales and renewals meanwhile.
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("plan", "client")
        .get(pk=membership.pk)
    )


def _sync(target: Membership) -> None:
    """Give the caller's instance the saved state (views render from it)."""
    target.refresh_from_db()


def anchor_after_move(membership: Membership, renewal: dt.date | None) -> int | None:
    """The day of the month later periods come back to once a pause moved the renewal to `renewal`.

    The renewal day moves with the pause (bought on the 1st, paused 10 days: renews on the 11th
    from then on), so the period after the pause is a whole month too. A move onto a month's
    last day keeps a later original day (bought on the 31st: back to the 31st when it can).
    """
    if renewal is None:
        return membership.anchor_day
    first_day = membership.started_on.day if membership.started_on else renewal.day
    last_of_month = calendar.monthrange(renewal.year, renewal.month)[1]
    if renewal.day == last_of_month and first_day > renewal.day:
        return first_day
    return renewal.day


def _period_row(membership: Membership) -> MembershipPeriod | None:
    if membership.current_period_start is None:
        return None
    return (
        MembershipPeriod.objects.filter(membership=membership, starts_on=membership.current_period_start)
        .select_related("payment")
        .first()
    )


def _close_open_renewals(membership: Membership) -> int:
    """A cancelled membership is charged nothing more: its pending renewals are not attempted."""
    return Renewal.objects.filter(membership=membership, status__in=_OPEN_RENEWALS).update(
        status=RenewalStatus.SKIPPED, next_attempt_at=None, updated_at=timezone.now()
    )


# --- pause ---------------------------------------------------------------------------------------


def pause_refusal(*, membership: Membership, today: dt.date) -> str:
    """Why `membership` cannot be paused now ("" when it can): shown before the form, too."""
    if membership.plan.kind != PlanKind.SUBSCRIPTION:
        return _("Only subscriptions can be paused.")
    if membership.status == MembershipStatus.PAST_DUE:
        return _("This membership is past due: settle its payment before pausing it.")
    if membership.status == MembershipStatus.PAUSED or (
        membership.paused_until is not None and membership.paused_until > today
    ):
        return _("This membership already has a pause; end it before planning another.")
    if membership.status != MembershipStatus.ACTIVE:
        return _("Only an active membership can be paused.")
    if membership.cancel_at_period_end:
        return _("This membership ends at the end of its period; it cannot be paused.")
    if membership.current_period_end is None or membership.current_period_end <= today:
        return _("This membership has no current period to pause.")
    return ""


def pause_check_dates(
    *, membership: Membership, paused_from: dt.date, paused_until: dt.date, today: dt.date
) -> None:
    """Refuse dates a pause cannot have (the form shows the messages on its fields)."""
    errors: dict[str, list[str]] = {}
    for name, value in (("paused_from", paused_from), ("paused_until", paused_until)):
        if not date_in_range(value):
            errors.setdefault(name, []).append(_("Enter a date within the studio's calendar."))
    if errors:
        raise ValidationError(errors)
    if paused_from < today:
        errors["paused_from"] = [_("A pause cannot start in the past.")]
    elif membership.current_period_end is not None and paused_from >= membership.current_period_end:
        errors["paused_from"] = [
            _("A pause starts within the period already paid for: on %(date)s at the latest.")
            % {"date": _words(membership.current_period_end - dt.timedelta(days=1))}
        ]
    if paused_until <= paused_from:
        errors["paused_until"] = [_("The pause must end after it starts.")]
    elif (paused_until - paused_from).days > MAX_PAUSE_DAYS:
        errors["paused_until"] = [
            _("A pause lasts %(days)s days at most; cancel the membership instead.")
            % {"days": MAX_PAUSE_DAYS}
        ]
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class PausePlan:
    """What a pause will do, for the confirmation page and the service alike."""

    paused_from: dt.date
    paused_until: dt.date
    days: int
    period_end: dt.date | None
    next_renewal_on: dt.date | None
    starts_now: bool


def pause_plan(
    *, membership: Membership, paused_from: dt.date, paused_until: dt.date, today: dt.date
) -> PausePlan:
    """The new period end and renewal date of `membership` paused over these dates."""
    days = (paused_until - paused_from).days
    period_end = membership.current_period_end
    if period_end is not None:
        period_end = shift_by_pause(period_end, paused_from=paused_from, paused_until=paused_until)
    renewal = membership.next_renewal_on
    if renewal is not None:
        renewal = shift_by_pause(renewal, paused_from=paused_from, paused_until=paused_until)
    return PausePlan(paused_from, paused_until, days, period_end, renewal, paused_from <= today)


def membership_pause(
    *,
    studio: Studio,
    actor: Actor,
    membership: Membership,
    paused_from: dt.date,
    paused_until: dt.date,
    now: dt.datetime | None = None,
) -> Membership:
    """Pause `membership` from `paused_from` to `paused_until` (exclusive); the renewal moves later
    by the pause's length. Raises ValidationError (by field for the dates) when it cannot."""
    today = studio_today(studio, now)
    with transaction.atomic():
        locked = _lock(studio, membership)
        refusal = pause_refusal(membership=locked, today=today)
        if refusal:
            raise ValidationError(refusal, code="state")
        pause_check_dates(membership=locked, paused_from=paused_from, paused_until=paused_until, today=today)
        plan = pause_plan(membership=locked, paused_from=paused_from, paused_until=paused_until, today=today)
        before = (locked.current_period_end, locked.next_renewal_on)
        locked.paused_from, locked.paused_until = paused_from, paused_until
        locked.current_period_end = plan.period_end
        locked.next_renewal_on = plan.next_renewal_on
        if plan.next_renewal_on != before[1]:
            locked.anchor_day = anchor_after_move(locked, plan.next_renewal_on)
        if plan.starts_now:
            locked.status = MembershipStatus.PAUSED
        locked.save()
        period = _period_row(locked)
        if period is not None and period.ends_on == before[0]:
            period.ends_on = plan.period_end
            period.save(update_fields=["ends_on"])
        audit_record(
            studio=studio,
            actor=actor,
            action="membership.paused",
            obj=locked,
            changes={
                "paused_from": _iso(paused_from),
                "paused_until": _iso(paused_until),
                "next_renewal_on": {"from": _iso(before[1]), "to": _iso(plan.next_renewal_on)},
            },
        )
    _sync(membership)
    return membership


def resume_plan(*, membership: Membership, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(period end, next renewal) once the pause ends today (or is called off before it starts)."""
    if membership.paused_from is None or membership.paused_until is None:
        return membership.current_period_end, membership.next_renewal_on
    # The days of the pause that will not be taken are given back: today onwards, or all of it.
    start = max(today, membership.paused_from)
    unused = max(0, (membership.paused_until - start).days)
    delta = dt.timedelta(days=unused)
    period_end = membership.current_period_end - delta if membership.current_period_end else None
    renewal = membership.next_renewal_on - delta if membership.next_renewal_on else None
    return period_end, renewal


def membership_resume(
    *, studio: Studio, actor: Actor, membership: Membership, now: dt.datetime | None = None
) -> Membership:
    """End `membership`'s pause today (or call off one not started yet); the renewal date is
    recomputed from the days actually paused."""
    today = studio_today(studio, now)
    with transaction.atomic():
        locked = _lock(studio, membership)
        if locked.paused_from is None or locked.paused_until is None or locked.paused_until <= today:
            raise ValidationError(_("This membership has no pause to end."), code="state")
        if locked.status not in (MembershipStatus.ACTIVE, MembershipStatus.PAUSED):
            raise ValidationError(_("Only an active or paused membership can be resumed."), code="state")
        before = (locked.current_period_end, locked.next_renewal_on)
        started = locked.paused_from <= today
        period_end, renewal = resume_plan(membership=locked, today=today)
        locked.current_period_end, locked.next_renewal_on = period_end, renewal
        if renewal != before[1]:
            locked.anchor_day = anchor_after_move(locked, renewal)
        locked.paused_from = locked.paused_until = None
        locked.status = MembershipStatus.ACTIVE
        locked.save()
        period = _period_row(locked)
        if period is not None and period.ends_on == before[0]:
            period.ends_on = period_end
            period.save(update_fields=["ends_on"])
        audit_record(
            studio=studio,
            actor=actor,
            action="membership.resumed" if started else "membership.pause_called_off",
            obj=locked,
            changes={"next_renewal_on": {"from": _iso(before[1]), "to": _iso(renewal)}},
        )
    _sync(membership)
    return membership


def membership_pauses_apply(*, studio: Studio, today: dt.date | None = None) -> int:
    """Start the pauses that begin today and end those that are over; the number changed.

    Idempotent (a second run finds nothing to do). The daily lifecycle task runs it; the
    renewal run may call it first too, so a membership is never renewed inside its pause.
    """
    today = today or studio_today(studio)
    changed = 0
    starting = Membership.objects.filter(
        studio=studio, status=MembershipStatus.ACTIVE, paused_from__lte=today, paused_until__gt=today
    ).values_list("pk", flat=True)
    ending = Membership.objects.filter(studio=studio, paused_until__lte=today).values_list("pk", flat=True)
    for pk in list(starting):
        with transaction.atomic():
            row = Membership.objects.select_for_update().get(pk=pk)
            if row.status != MembershipStatus.ACTIVE or not (
                row.paused_from and row.paused_until and row.paused_from <= today < row.paused_until
            ):
                continue
            row.status = MembershipStatus.PAUSED
            row.save(update_fields=["status", "updated_at"])
            audit_record(studio=studio, actor=SYSTEM, action="membership.pause_started", obj=row)
            changed += 1
    for pk in list(ending):
        with transaction.atomic():
            row = Membership.objects.select_for_update().get(pk=pk)
            if row.paused_until is None or row.paused_until > today:
                continue
            was_paused = row.status == MembershipStatus.PAUSED
            if was_paused:
                row.status = MembershipStatus.ACTIVE
            row.paused_from = row.paused_until = None
            row.save(update_fields=["status", "paused_from", "paused_until", "updated_at"])
            if was_paused:
                audit_record(studio=studio, actor=SYSTEM, action="membership.pause_ended", obj=row)
            changed += 1
    return changed


# --- cancel --------------------------------------------------------------------------------------


def cancel_refusal(*, membership: Membership, when: str, today: dt.date) -> str:
    """Why `membership` cannot be cancelled `when` ("" when it can)."""
    if membership.status not in CANCELLABLE:
        return _("This membership is already over.")
    if when == WHEN_PERIOD_END:
        if not membership.plan.renews:
            return _("This membership does not renew: it ends on its own.")
        if membership.cancel_at_period_end:
            return _("This membership already ends at the end of its period.")
    return ""


def commitment_end(*, membership: Membership) -> dt.date | None:
    """The first day `membership` may end without breaking its minimum commitment (None: none)."""
    plan = membership.plan
    if not plan.commitment_periods or membership.started_on is None:
        return None
    return add_interval(
        membership.started_on,
        unit=plan.interval_unit,
        count=plan.interval_count * plan.commitment_periods,
        anchor_day=membership.anchor_day,
    )


def commitment_unserved(*, membership: Membership, ends_on: dt.date | None) -> dt.date | None:
    """The commitment's end when ending on `ends_on` would break it, else None."""
    end = commitment_end(membership=membership)
    if end is None or (ends_on is not None and ends_on >= end):
        return None
    return end


def cancel_proration_default(*, studio: Studio) -> str:
    """The studio's choice for "cancel now" (MembershipSettings.cancel_proration)."""
    return membership_settings_for(studio=studio).cancel_proration


@dataclass(frozen=True)
class ProrationPlan:
    """The money a cancellation now gives back: `amount` of `payment`, as `mode` says.

    `note` says why it is less than expected (nothing paid, already refunded, a pack), in the
    active language.
    """

    mode: str
    amount: int = 0
    payment: Payment | None = None
    days_left: int = 0
    days_total: int = 0
    note: str = ""


def _paid_for_price(payment: Payment, price: int) -> int:
    """The part of `payment` paid for the membership itself (taxes included, sign-up fee not)."""
    if payment.subtotal <= 0 or price >= payment.subtotal:
        return payment.amount
    share = Decimal(payment.amount) * Decimal(price) / Decimal(payment.subtotal)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cancel_proration(*, membership: Membership, mode: str, today: dt.date) -> ProrationPlan:
    """What cancelling `membership` now gives back under `mode` (none, refund, credit).

    Day-based on the current period (half up), of what was paid for that period, capped at
    what is still refundable on its payment.
    """
    if mode == Proration.NONE:
        return ProrationPlan(mode)
    start, end = membership.current_period_start, membership.current_period_end
    if membership.plan.kind == PlanKind.PACK or start is None or end is None:
        return ProrationPlan(
            Proration.NONE, note=_("Nothing is prorated: this membership has no dated period.")
        )
    period = _period_row(membership)
    payment = period.payment if period is not None else None
    if payment is None or payment.status != Payment.Status.SUCCEEDED:
        return ProrationPlan(
            Proration.NONE, note=_("Nothing is prorated: no payment was recorded for this period.")
        )
    total = (end - start).days
    left = max(0, min(total, (end - max(today, start)).days))
    amount = prorated_unused(
        amount=_paid_for_price(payment, membership.price_amount), period_start=start, period_end=end, on=today
    )
    note = ""
    if amount > payment.refundable:
        amount = payment.refundable
        note = _("Capped at what is left to refund on the period's payment.")
    if amount <= 0:
        return ProrationPlan(
            Proration.NONE,
            payment=payment,
            days_left=left,
            days_total=total,
            note=note or _("Nothing is left to give back for this period."),
        )
    return ProrationPlan(mode, amount, payment, left, total, note)


def _may_refund(studio: Studio, actor: Actor) -> bool:
    if actor.user is None:
        return True
    member = StaffMember.objects.select_related("role").filter(studio=studio, user=actor.user).first()
    return member is not None and member.has_perm(Perm.REFUND)


@dataclass(frozen=True)
class CancelResult:
    """A cancellation, and for "now" the money given back (`refund`, maybe still pending at
    Stripe) or why it could not be (`refund_error`, in the active language)."""

    membership: Membership
    when: str
    proration: ProrationPlan | None = None
    refund: Refund | None = None
    refund_error: str = ""


def membership_cancel(
    *,
    studio: Studio,
    actor: Actor,
    membership: Membership,
    when: str,
    proration: str | None = None,
    waive_commitment: bool = False,
    now: dt.datetime | None = None,
) -> CancelResult:
    """Cancel `membership` at the end of its period or now (MEM-4).

    `proration` (now only): "none", "refund" or "credit"; None is the studio's setting. A minimum
    commitment not yet served is refused unless `waive_commitment`. Cancelling twice (a double
    click) is refused the second time, so the refund is made once.
    """
    if when not in (WHEN_PERIOD_END, WHEN_NOW):
        raise ValidationError(_("Choose when the membership ends."), code="when")
    now = now or timezone.now()
    today = studio_today(studio, now)
    if when == WHEN_NOW:
        mode = proration if proration is not None else cancel_proration_default(studio=studio)
        if mode not in Proration.values:
            raise ValidationError(_("Choose what the client gets back."), code="proration")
        if mode != Proration.NONE and not _may_refund(studio, actor):
            raise ValidationError(
                _("Giving money back needs the “Refund payments” permission; choose “No refund”."),
                code="permission",
            )
    with transaction.atomic():
        locked = _lock(studio, membership)
        refusal = cancel_refusal(membership=locked, when=when, today=today)
        if refusal:
            raise ValidationError(refusal, code="state")
        ends_on = locked.current_period_end if when == WHEN_PERIOD_END else today
        unserved = commitment_unserved(membership=locked, ends_on=ends_on)
        if unserved is not None and not waive_commitment:
            raise ValidationError(
                _(
                    "This membership has a minimum commitment until %(date)s. Waive it explicitly "
                    "to cancel earlier."
                )
                % {"date": _words(unserved)},
                code="commitment",
            )
        changes: dict = {"when": when}
        if unserved is not None:
            changes["commitment_waived"] = _iso(unserved)
        if when == WHEN_PERIOD_END and (ends_on is None or ends_on > today):
            result = _cancel_at_period_end(studio, actor, locked, changes)
            _sync(membership)
            return result
        # The period is already over (past due, unpaid): ending "at its end" is ending now.
        plan = cancel_proration(
            membership=locked, mode=mode if when == WHEN_NOW else Proration.NONE, today=today
        )
        seen_refunded = plan.payment.amount_refunded if plan.payment is not None else None
        locked.status = MembershipStatus.CANCELLED
        locked.cancelled_at = now
        locked.ends_on = today
        locked.next_renewal_on = None
        locked.cancel_at_period_end = False
        locked.next_plan = None
        locked.paused_from = locked.paused_until = None
        locked.credits_remaining = 0
        locked.save()
        _close_open_renewals(locked)
        changes.update({"proration": plan.mode, "amount": plan.amount})
        audit_record(studio=studio, actor=actor, action="membership.cancelled", obj=locked, changes=changes)
    _sync(membership)
    if plan.amount <= 0:
        return CancelResult(membership, WHEN_NOW, plan)
    # Outside the transaction: the refund reserves, commits, then calls Stripe (refund_create).
    try:
        refund = refund_create(
            studio=studio,
            actor=actor,
            payment=plan.payment,
            amount=plan.amount,
            destination=Refund.Destination.CREDIT
            if plan.mode == Proration.CREDIT
            else Refund.Destination.ORIGINAL,
            reason=_("Membership cancelled: unused days of the period"),
            expected_refunded=seen_refunded,
        )
    except ValidationError as exc:
        return CancelResult(membership, WHEN_NOW, plan, refund_error=" ".join(exc.messages))
    return CancelResult(membership, WHEN_NOW, plan, refund=refund)


def _cancel_at_period_end(studio: Studio, actor: Actor, locked: Membership, changes: dict) -> CancelResult:
    before = locked.next_renewal_on
    locked.cancel_at_period_end = True
    locked.ends_on = locked.current_period_end
    locked.next_renewal_on = None
    locked.next_plan = None
    locked.save()
    changes["next_renewal_on"] = {"from": _iso(before), "to": None}
    changes["ends_on"] = _iso(locked.ends_on)
    audit_record(
        studio=studio, actor=actor, action="membership.cancel_scheduled", obj=locked, changes=changes
    )
    return CancelResult(locked, WHEN_PERIOD_END)


def membership_cancel_undo(
    *, studio: Studio, actor: Actor, membership: Membership, now: dt.datetime | None = None
) -> Membership:
    """Take back "cancel at the end of the period" before that end: it renews again."""
    today = studio_today(studio, now)
    with transaction.atomic():
        locked = _lock(studio, membership)
        if not locked.cancel_at_period_end or locked.status not in CANCELLABLE:
            raise ValidationError(
                _("This membership is not set to end at the end of its period."), code="state"
            )
        if locked.current_period_end is None or locked.current_period_end <= today:
            raise ValidationError(
                _("The period is over: the cancellation can no longer be undone."), code="state"
            )
        locked.cancel_at_period_end = False
        locked.ends_on = None
        locked.next_renewal_on = locked.current_period_end
        locked.save()
        audit_record(
            studio=studio,
            actor=actor,
            action="membership.cancel_undone",
            obj=locked,
            changes={"next_renewal_on": {"from": None, "to": _iso(locked.next_renewal_on)}},
        )
    _sync(membership)
    return membership


# --- change plan ---------------------------------------------------------------------------------


def change_refusal(*, membership: Membership) -> str:
    """Why `membership` cannot change plan at its next renewal ("" when it can)."""
    if membership.plan.kind != PlanKind.SUBSCRIPTION:
        return _("Only a subscription can change plan at its renewal.")
    if membership.status not in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED):
        return _("Only a current membership can change plan.")
    if membership.cancel_at_period_end or membership.next_renewal_on is None:
        return _("This membership does not renew, so it has no next renewal to change.")
    return ""


def change_plan_choices(*, membership: Membership):
    """Plans `membership` may move to: other subscriptions of the studio, not archived, same currency."""
    return Plan.objects.filter(
        studio_id=membership.studio_id,
        kind=PlanKind.SUBSCRIPTION,
        archived_at__isnull=True,
        currency=membership.currency,
    ).exclude(pk=membership.plan_id)


def membership_change_plan(*, studio: Studio, actor: Actor, membership: Membership, plan: Plan) -> Membership:
    """Switch `membership` to `plan` at its next renewal (the renewal engine applies `next_plan`)."""
    with transaction.atomic():
        locked = _lock(studio, membership)
        refusal = change_refusal(membership=locked)
        if refusal:
            raise ValidationError(refusal, code="state")
        if plan.studio_id != studio.pk:
            raise ValidationError(_("Choose one of this studio's plans."), code="plan")
        plan = Plan.objects.get(pk=plan.pk)  # archived meanwhile? read it again under the lock
        if plan.pk == locked.plan_id:
            raise ValidationError(_("This is already the membership's plan."), code="plan")
        if plan.kind != PlanKind.SUBSCRIPTION:
            raise ValidationError(_("A subscription can only change to another subscription."), code="plan")
        if plan.is_archived:
            raise ValidationError(_("This plan is archived: it is no longer sold."), code="plan")
        if plan.currency != locked.currency:
            raise ValidationError(_("This plan is sold in another currency."), code="plan")
        before = locked.next_plan_id
        locked.next_plan = plan
        locked.save(update_fields=["next_plan", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="membership.plan_change_scheduled",
            obj=locked,
            changes={
                "next_plan": {"from": before, "to": plan.pk},
                "next_renewal_on": _iso(locked.next_renewal_on),
            },
        )
    _sync(membership)
    return membership


def membership_change_plan_cancel(*, studio: Studio, actor: Actor, membership: Membership) -> Membership:
    """Call off a plan change planned for the next renewal."""
    with transaction.atomic():
        locked = _lock(studio, membership)
        if locked.next_plan_id is None:
            raise ValidationError(_("No plan change is planned for this membership."), code="state")
        before = locked.next_plan_id
        locked.next_plan = None
        locked.save(update_fields=["next_plan", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="membership.plan_change_cancelled",
            obj=locked,
            changes={"next_plan": {"from": before, "to": None}},
        )
    _sync(membership)
    return membership
