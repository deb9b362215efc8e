"""Bookings paid with memberships and class packs (SCH-4): which entitlement pays, taking its
credit, and giving it back.

Scheduling asks its registered payers who pays for a booking (scheduling/services/checks.py);
memberships answers with `booking_payer`:

- a class whose template has no drop-in price is free: no say (complimentary, no credit used);
- otherwise the client's entitlements are ranked — a membership (subscription, pass, payment
  plan) first, then the class pack that expires soonest (one that never expires last) — and
  the first eligible one pays: usable status (past due only when the studio allows it), the
  plan covers the class template or the appointment service, the class's date is inside the
  current period and outside a pause, and a credit is left (or the plan is unlimited);
- nothing eligible: a class is refused with a sentence saying what to do; an appointment with
  nothing that covers it is left to be paid at the visit (its price is on the appointment, as
  before memberships existed), so a plan only ever adds a way to pay.

While the booking is real (not a page's preview) the client's memberships are locked
(`SELECT … FOR UPDATE`, in id order), so the choice and the credit count it relies on stay
true until the booking commits: two bookings racing for the last credit are served one after
the other, and the second sees none left. The take decrements with a guarded UPDATE (and the
table's CHECK keeps credits from going negative) and writes the CreditUse under the booking's id.

A credit comes back (`credit_return`, from the worker) when the cancellation policy says so
(`cancel_settle` asks memberships.services.cancel_policy, with the cancel's own time), after a
class cancelled by the studio, or for a waitlist place that never turned into a spot, at most
once per booking, and only into the period it was taken from: once the membership has renewed,
the new period's credits were granted afresh and adding one would give the client more than
the plan grants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memberships.models import (
    CancelCreditGrant,
    CreditUse,
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PassStart,
    PastDueBookings,
    PlanClassTemplate,
    PlanKind,
    PlanService,
)
from memberships.services import cancel_policy
from memberships.services.periods import first_period_bounds, next_period_end, period_open
from memberships.services.settings import membership_settings_for
from payments.models import Payment
from scheduling import services as scheduling_services
from scheduling.models import PaymentKind
from scheduling.services import APPOINTMENT, CLASS, BookingAttempt, BookingError, BookingPayment
from studio.formats import date_format
from studio.models import Client, Studio
from studio.tasking import enqueue_by_name

PAYER_KEY = "memberships.entitlement"
RETURN_TASK = "memberships.return_credit"
SETTLE_TASK = "memberships.cancel_settle"
SALE_SOURCE_KIND = "membership_sale"  # memberships.services.sales.SOURCE_KIND

# Why a membership that covers the booking cannot pay for it (worded by `_reason_text`).
PAST_DUE = "past_due"
PAUSED = "paused"
NO_CREDITS = "no_credits"
OUTSIDE_PERIOD = "outside_period"


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The membership that pays, and whether its period opens with this booking (a pass counted
    from its first class, not used yet)."""

    membership: Membership
    opens_period: bool = False

    @property
    def payment_kind(self) -> str:
        return (
            PaymentKind.CLASS_PACK if self.membership.plan.kind == PlanKind.PACK else PaymentKind.MEMBERSHIP
        )

    @property
    def payment_ref(self) -> str:
        return f"membership:{self.membership.pk}"

    @property
    def label(self) -> str:
        """What pays, for the booking pages: "10-class pack, 3 credits left"."""
        membership = self.membership
        if membership.credits_remaining is None:
            return _("%(plan)s (unlimited)") % {"plan": membership.plan.name}
        n = membership.credits_remaining
        return ngettext("%(plan)s, %(n)s credit left", "%(plan)s, %(n)s credits left", n) % {
            "plan": membership.plan.name,
            "n": n,
        }


def _rank(membership: Membership) -> tuple:
    """Memberships before packs; among each, what lapses first is used first (no end: last)."""
    end = membership.current_period_end
    return (
        membership.plan.kind == PlanKind.PACK,
        end is None,
        end or dt.date.max,
        membership.pk,
    )


def _opens_at_first_use(membership: Membership) -> bool:
    plan = membership.plan
    fixed = plan.pass_starts_on is not None and plan.pass_ends_on is not None
    return (
        plan.kind == PlanKind.PASS
        and plan.pass_start == PassStart.FIRST_USE
        and not fixed
        and membership.status == MembershipStatus.ACTIVE
        and membership.current_period_start is None
    )


def _period_end(membership: Membership) -> dt.date | None:
    """The exclusive last date the membership pays for. Past due (when the studio lets past-due
    members book) it keeps paying through the period its renewal is trying to collect; an
    unlimited membership that renews, through the next period."""
    end = membership.current_period_end
    if end is not None and membership.status == MembershipStatus.PAST_DUE and membership.plan.renews:
        return next_period_end(membership=membership, starts_on=end)
    renewing = (
        end is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.plan.renews
        and membership.next_renewal_on is not None
        and not membership.cancel_at_period_end
    )
    if renewing and membership.credits_remaining is None:
        # An unlimited membership that keeps renewing also pays for the next period's classes:
        # a member books next week's class without waiting for the night's renewal. A limited
        # one counts credits per period, so it books within the period it has paid for.
        return next_period_end(membership=membership, starts_on=membership.next_renewal_on)
    return end


def _blocked(membership: Membership, *, on: dt.date, past_due_allowed: bool) -> str | None:
    """Why a covering membership cannot pay for a booking on `on`, or None when it can."""
    if membership.status == MembershipStatus.PAST_DUE and not past_due_allowed:
        return PAST_DUE
    paused_from, paused_until = membership.paused_from, membership.paused_until
    if membership.status == MembershipStatus.PAUSED and paused_from is None:
        return PAUSED  # paused with no dates: nothing says when it pays again
    # Paused now, a class after the pause is paid (the period was lengthened by the pause).
    if paused_from is not None and paused_from <= on and (paused_until is None or on < paused_until):
        return PAUSED
    if not _opens_at_first_use(membership):
        start, end = membership.current_period_start, _period_end(membership)
        if start is None or on < start or (end is not None and on >= end):
            return OUTSIDE_PERIOD
    if membership.credits_remaining is not None and membership.credits_remaining <= 0:
        return NO_CREDITS
    return None


def _covering(
    memberships: list[Membership], *, template_id: int | None, service_id: int | None
) -> list[Membership]:
    """The memberships whose plan pays for this class template or appointment service (one
    query for the plans that name theirs, none when every plan covers everything)."""
    if service_id is not None:
        named = [m.plan_id for m in memberships if not m.plan.all_services]
        linked = (
            set(
                PlanService.objects.filter(plan_id__in=named, service_id=service_id).values_list(
                    "plan_id", flat=True
                )
            )
            if named
            else set()
        )
        return [m for m in memberships if m.plan.all_services or m.plan_id in linked]
    named = [m.plan_id for m in memberships if not m.plan.all_classes]
    linked = (
        set(
            PlanClassTemplate.objects.filter(plan_id__in=named, template_id=template_id).values_list(
                "plan_id", flat=True
            )
        )
        if named
        else set()
    )
    return [m for m in memberships if m.plan.all_classes or m.plan_id in linked]


def _candidates(*, client: Client, lock: bool) -> list[Membership]:
    """The client's memberships that may pay for something (archived plans included: a plan
    leaves the shop, not its holders). Locked in id order when the booking is real."""
    qs = Membership.objects.filter(
        client=client,
        status__in=(MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED),
    ).select_related("plan")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs.order_by("pk"))


def _choose(
    *,
    studio: Studio,
    client: Client,
    template_id: int | None,
    service_id: int | None,
    on: dt.date,
    lock: bool,
) -> tuple[Entitlement | None, list[tuple[Membership, str]]]:
    covering = _covering(
        _candidates(client=client, lock=lock), template_id=template_id, service_id=service_id
    )
    past_due_allowed = True
    if any(m.status == MembershipStatus.PAST_DUE for m in covering):
        past_due_allowed = membership_settings_for(studio=studio).past_due_bookings == PastDueBookings.ALLOW
    blocked = []
    for membership in sorted(covering, key=_rank):
        reason = _blocked(membership, on=on, past_due_allowed=past_due_allowed)
        if reason is None:
            return Entitlement(membership, opens_period=_opens_at_first_use(membership)), blocked
        blocked.append((membership, reason))
    return None, blocked


def entitlement_for(
    *,
    client: Client,
    on: dt.date,
    template_id: int | None = None,
    service_id: int | None = None,
    lock: bool = False,
) -> Entitlement | None:
    """The entitlement that pays for `client`'s class of `template_id` (or appointment of
    `service_id`) on the local date `on`, or None. `lock`: inside a booking's transaction, lock
    the client's memberships so the answer holds until it commits."""
    entitlement, _blocked_ones = _choose(
        studio=client.studio, client=client, template_id=template_id, service_id=service_id, on=on, lock=lock
    )
    return entitlement


def _reason_text(membership: Membership, reason: str, on: dt.date) -> str:
    plan = membership.plan.name
    if reason == PAST_DUE:
        return _("%(plan)s is past due: bookings resume once it is paid.") % {"plan": plan}
    if reason == PAUSED:
        return _("%(plan)s is paused on %(date)s.") % {"plan": plan, "date": date_format(on)}
    if reason == NO_CREDITS:
        return _("%(plan)s has no credits left.") % {"plan": plan}
    return _("%(plan)s does not cover %(date)s.") % {"plan": plan, "date": date_format(on)}


def _refusal(attempt: BookingAttempt, blocked: list[tuple[Membership, str]]) -> str:
    client = attempt.client
    if not attempt.by_client:
        sentence = _(
            "Nothing %(name)s holds pays for this class: sell a membership or a class pack, or take "
            "a drop-in payment at the front desk."
        ) % {"name": client.full_name}
    elif attempt.booker is None or attempt.booker.pk == client.pk:
        sentence = _("Nothing you hold pays for this class: buy a membership or a class pack first.")
    else:
        sentence = _(
            "Nothing %(name)s holds pays for this class: buy a membership or a class pack for them first."
        ) % {"name": client.first_name}
    if blocked:
        membership, reason = blocked[0]
        sentence = f"{sentence} {_reason_text(membership, reason, attempt.local_date)}"
    return sentence


def booking_payer(attempt: BookingAttempt) -> BookingPayment | str | None:
    """Scheduling's payer for memberships (registered in memberships.registrations)."""
    if attempt.price_amount <= 0:
        return None  # free: complimentary, no credit used
    on = attempt.local_date
    entitlement, blocked = _choose(
        studio=attempt.studio,
        client=attempt.client,
        template_id=attempt.template_id if attempt.kind == CLASS else None,
        service_id=attempt.service_id if attempt.kind == APPOINTMENT else None,
        on=on,
        lock=not attempt.dry_run,
    )
    if entitlement is None:
        if attempt.kind == APPOINTMENT:
            return None  # paid at the visit, as before: a plan only adds a way to pay
        return _refusal(attempt, blocked)

    def take(row) -> None:
        credit_take(entitlement=entitlement, booking_kind=attempt.kind, booking_id=row.pk, on=on)

    return BookingPayment(
        kind=entitlement.payment_kind, ref=entitlement.payment_ref, label=entitlement.label, take=take
    )


def _sale_payment_id(membership: Membership) -> int | None:
    """The sale's payment of a pass counted from first use: its period, opened now, records it."""
    return (
        Payment.objects.filter(
            source_type=SALE_SOURCE_KIND, source_id=str(membership.pk), status=Payment.Status.SUCCEEDED
        )
        .values_list("pk", flat=True)
        .first()
    )


def credit_take(*, entitlement: Entitlement, booking_kind: str, booking_id: int, on: dt.date) -> CreditUse:
    """Take one credit (none from an unlimited plan) for the booking just saved, in its
    transaction, the membership row locked by the payer. A pass used for the first time opens
    its period on the class's date. Raises BookingError when the last credit went meanwhile."""
    membership = entitlement.membership
    if entitlement.opens_period:
        _starts_on, ends_on = first_period_bounds(plan=membership.plan, on=on)
        period_open(
            membership=membership,
            starts_on=on,
            ends_on=ends_on,
            kind=MembershipPeriod.Kind.PURCHASE,
            payment_id=_sale_payment_id(membership),
        )
    credits = 0 if membership.credits_remaining is None else 1
    if credits:
        # The lock makes this the truth already; the guarded UPDATE is the last wall.
        taken = Membership.objects.filter(pk=membership.pk, credits_remaining__gte=credits).update(
            credits_remaining=F("credits_remaining") - credits, updated_at=timezone.now()
        )
        if not taken:
            raise BookingError(
                _("The last credit of %(plan)s was just used.") % {"plan": membership.plan.name}
            )
        membership.credits_remaining -= credits
    return CreditUse.objects.create(
        studio_id=membership.studio_id,
        membership=membership,
        booking_kind=booking_kind,
        booking_id=booking_id,
        credits=credits,
        used_at=timezone.now(),
    )


def credit_return(
    *, studio: Studio, booking_kind: str, booking_id: int, now: dt.datetime | None = None
) -> bool:
    """Give back the credit a cancelled booking used. Idempotent (`returned_at`): True only the
    first time. The credit goes back only into the period it was taken from, and never above
    what that period granted; once the membership has renewed the use is closed without adding
    one (the new period's credits were granted afresh)."""
    now = now or timezone.now()
    found = (
        CreditUse.objects.filter(studio=studio, booking_kind=booking_kind, booking_id=booking_id)
        .values_list("membership_id", flat=True)
        .first()
    )
    if found is None:
        return False
    with transaction.atomic():
        # The membership first, as a booking's take does: the two never wait on each other in a circle.
        membership = Membership.objects.select_for_update().get(pk=found)
        use = (
            CreditUse.objects.select_for_update()
            .filter(studio=studio, booking_kind=booking_kind, booking_id=booking_id, returned_at__isnull=True)
            .first()
        )
        if use is None:
            return False
        use.returned_at = now
        use.save(update_fields=["returned_at"])
        if not use.credits or membership.credits_remaining is None or membership.current_period_start is None:
            return True
        period = MembershipPeriod.objects.filter(
            membership=membership, starts_on=membership.current_period_start
        ).first()
        if period is not None and period.created_at > use.used_at:
            return True  # renewed since: this period's credits do not owe this one
        credits = membership.credits_remaining + use.credits
        granted = period.credits_granted if period is not None else None
        if granted is not None:
            credits = min(credits, granted)
        if credits != membership.credits_remaining:
            membership.credits_remaining = credits
            membership.save(update_fields=["credits_remaining", "updated_at"])
    return True


SWEEP_DAYS = 120  # older uses are history: their classes are long over
DROP_IN_SWEEP_DAYS = 7  # a lost cancel event of a drop-in is settled within the week


def cancel_settle(
    *, studio: Studio, booking_kind: str, booking_id: int, now: dt.datetime | None = None
) -> str:
    """After a cancel (from the worker): give back what the cancellation policy says, decided
    with the cancel's own time (`cancelled_at`), not the task's — a credit into its period, or
    the drop-in's money as studio credit (once per booking ever). Idempotent; the outcome code
    ("" when the row is not cancelled)."""
    bookings, appointments = scheduling_services.cancelled_rows(
        class_booking_ids=[booking_id] if booking_kind == CLASS else [],
        appointment_ids=[booking_id] if booking_kind == APPOINTMENT else [],
    )
    rows = bookings or appointments
    if not rows:
        return ""
    return _settle_row(studio=studio, booking_kind=booking_kind, row=rows[0], now=now)


def _settle_row(*, studio: Studio, booking_kind: str, row, now: dt.datetime | None) -> str:
    # What a cancel gives back is the policy's business (cancel_policy); here it is applied.
    outcome = cancel_policy.cancel_outcome(
        studio=studio,
        event_kind=booking_kind,
        booking=row if booking_kind == CLASS else None,
        appointment=row if booking_kind == APPOINTMENT else None,
        now=row.cancelled_at or now or timezone.now(),
    )
    if outcome.code == cancel_policy.CREDIT_BACK or outcome.reason == cancel_policy.RENEWED:
        # Renewed since: the return closes the use without adding a credit (the period is fresh).
        credit_return(studio=studio, booking_kind=booking_kind, booking_id=row.pk, now=now)
    elif outcome.code == cancel_policy.MONEY_CREDIT:
        cancel_policy.cancel_money_credit_grant(
            studio=studio, event_kind=booking_kind, row=row, outcome=outcome
        )
    return outcome.code


def credit_returns_sweep(*, studio: Studio, now: dt.datetime | None = None) -> int:
    """The safety net under the events: settle the cancelled bookings whose credit is still
    taken and whose settlement never ran (a broker outage between the cancel's commit and the
    enqueue), under the same policy the event would have applied. Idempotent, like every
    return; how many uses it gave back."""
    now = now or timezone.now()
    open_uses = list(
        CreditUse.objects.filter(
            studio=studio, returned_at__isnull=True, used_at__gte=now - dt.timedelta(days=SWEEP_DAYS)
        ).values_list("booking_kind", "booking_id")
    )
    bookings, appointments = scheduling_services.cancelled_rows(
        class_booking_ids=[pk for kind, pk in open_uses if kind == CLASS],
        appointment_ids=[pk for kind, pk in open_uses if kind == APPOINTMENT],
    )
    returned = 0
    for kind, rows in ((CLASS, bookings), (APPOINTMENT, appointments)):
        for row in rows:
            returned += (
                _settle_row(studio=studio, booking_kind=kind, row=row, now=now) == cancel_policy.CREDIT_BACK
            )
    # Drop-ins hold no credit use: the recent cancels whose money credit was never granted.
    drop_ins, drop_in_appointments = scheduling_services.cancelled_drop_ins(
        studio=studio, since=now - dt.timedelta(days=DROP_IN_SWEEP_DAYS)
    )
    granted = set(
        CancelCreditGrant.objects.filter(
            studio=studio, event_id__in=[r.pk for r in (*drop_ins, *drop_in_appointments)]
        ).values_list("event_kind", "event_id")
    )
    for kind, rows in ((CLASS, drop_ins), (APPOINTMENT, drop_in_appointments)):
        for row in rows:
            if (kind, row.pk) not in granted:
                _settle_row(studio=studio, booking_kind=kind, row=row, now=now)
    return returned


# --- events: the receivers only enqueue (scheduling.signals) -----------------------------------


def _return_later(studio_id: int, booking_kind: str, ids: list[int]) -> None:
    if ids:
        enqueue_by_name(RETURN_TASK, studio_id, booking_kind, list(ids))


def on_booking_cancelled(sender, *, studio_id: int, booking_id: int, late: bool, **kwargs) -> None:
    """A client's or staff's cancel (or a waitlist place left): the worker gives back what the
    cancellation policy says (`cancel_settle`), late or not — the policy decides, not the window."""
    enqueue_by_name(SETTLE_TASK, studio_id, CLASS, [booking_id])


def on_session_cancelled(sender, *, studio_id: int, booking_ids: list[int], **kwargs) -> None:
    """A class cancelled by the studio always gives every credit back."""
    _return_later(studio_id, CLASS, booking_ids)


def on_waitlist_expired(sender, *, studio_id: int, booking_ids: list[int], **kwargs) -> None:
    """A waitlist place that never became a spot held its credit for nothing."""
    _return_later(studio_id, CLASS, booking_ids)


def on_appointment_cancelled(sender, *, studio_id: int, appointment_id: int, late: bool, **kwargs) -> None:
    """An appointment cancelled: the worker applies the appointments' policy (`cancel_settle`)."""
    enqueue_by_name(SETTLE_TASK, studio_id, APPOINTMENT, [appointment_id])
