"""What a cancel gives back, under the studio's cancellation policy (POL-1).

The policy is set separately for classes and for appointments (`PolicySettings`):

- `always`: what paid comes back whenever the client cancels;
- `before_cutoff`: it comes back only when the cancel is made at least `cutoff_hours` before the
  start (seed 001: 24 h — a cancel 25 h before gets it back, one 23 h before does not);
- `never`: nothing comes back.

Whatever the policy, a class cancelled by the studio, a waitlist place left or expired (it never
held a spot) always give back what they took; staff waiving a late cancel treat it as a cancel
in time. What "comes back" depends on what paid:

- a pack or limited membership credit → the credit (`credit_back`), into the period it came from;
- an unlimited membership → nothing to give back: the class was included (`nothing`);
- a drop-in paid by card or cash (`payment_kind == "drop_in"`, `payment_ref == "payment:<id>"`)
  → the money paid, as studio credit (`money_credit`), once per booking ever;
- complimentary, a free class, an appointment not paid yet → `free`.

The cut-off is not the late-cancel window (`Studio.late_cancel_window_minutes`, scheduling's):
inside the window the cancel is recorded late, and penalty rules may charge a fee for it; the
notice says so when an active late-cancel rule could apply to the client.

`cancel_outcome` decides and words it (pages ask before the cancel, with `now`); the worker asks
again after the cancel with the cancel's own time (`cancelled_at`), so a task that runs late
decides as the page said. `cancel_money_credit_grant` turns a `money_credit` outcome into studio
credit, guarded by `CancelCreditGrant` (unique per event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from memberships.models import (
    CancelCreditGrant,
    CreditReturn,
    CreditUse,
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PenaltyRule,
    PenaltyRulePlan,
    PenaltyTrigger,
    PolicySettings,
)
from memberships.selectors.policy import policy_settings_get
from payments.models import Payment
from payments.services.credit import credit_grant
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CancelReason,
    PaymentKind,
)
from scheduling.services import APPOINTMENT, CLASS, CancelQuestion, cancel_would_be_late
from scheduling.services.common import local_when_label
from studio.models import Studio
from studio.money import format_money
from studio.services import SYSTEM

CREDIT_BACK = "credit_back"
MONEY_CREDIT = "money_credit"
NOTHING = "nothing"
FREE = "free"

# Why, for tests and the docs' table (the sentence is worded from it).
STUDIO_CANCELLED = "studio_cancelled"
WAITLIST = "waitlist"
POLICY_ALWAYS = "always"
IN_TIME = "in_time"
CUTOFF_PASSED = "cutoff_passed"
POLICY_NEVER = "never"
UNLIMITED = "unlimited"
RENEWED = "renewed"
COMPLIMENTARY = "complimentary"
UNPAID = "unpaid"
UNKNOWN_PAYMENT = "unknown_payment"

DROP_IN_REF_PREFIX = "payment:"  # scheduling.services.checks.DROP_IN_REF_PREFIX
_CANCELLED = (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED)
_LATE = (BookingStatus.LATE_CANCELLED, AppointmentStatus.LATE_CANCELLED)


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """What a cancel gives back. `amount`: credits for `credit_back`, minor units of `currency`
    for `money_credit`, else 0. `sentence` and `late_notice` are in the active language when it
    was decided; `late_notice` is empty unless the cancel is late and a fee could follow."""

    code: str
    reason: str
    sentence: str
    amount: int = 0
    currency: str = ""
    late: bool = False
    late_notice: str = ""
    membership_id: int | None = None
    payment_id: int | None = None

    @property
    def lines(self) -> list[str]:
        return [line for line in (self.sentence, self.late_notice) if line]


def _policy(studio: Studio) -> PolicySettings:
    """The studio's saved policy, or the defaults while none is saved (nothing written: pages ask)."""
    return policy_settings_get(studio=studio)


def _payment_id(ref: str) -> int | None:
    if not ref.startswith(DROP_IN_REF_PREFIX):
        return None
    digits = ref[len(DROP_IN_REF_PREFIX) :]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


def _was_waitlisted(booking: Booking) -> bool:
    if booking.status == BookingStatus.WAITLISTED:
        return True
    return booking.status in _CANCELLED and booking.waitlisted_at is not None and booking.promoted_at is None


def _waived_late(studio: Studio, booking: Booking) -> bool:
    """A staff cancel recorded in time although it fell inside the late window: staff waived it."""
    if booking.status != BookingStatus.CANCELLED or booking.cancel_reason != CancelReason.STAFF:
        return False
    if booking.cancelled_at is None or _was_waitlisted(booking):
        return False
    window = dt.timedelta(minutes=studio.late_cancel_window_minutes)
    return booking.cancelled_at > booking.session.starts_at - window


def _hours_label(hours: int) -> str:
    return ngettext("%(n)s h", "%(n)s h", hours) % {"n": hours}


def _fee_could_apply(studio: Studio, client_id: int) -> bool:
    """An active late-cancel rule for everyone, or for a plan the client holds."""
    rules = PenaltyRule.objects.filter(
        studio=studio, trigger=PenaltyTrigger.LATE_CANCEL, archived_at__isnull=True
    )
    plan_ids = Membership.objects.filter(
        studio=studio,
        client_id=client_id,
        status__in=(MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED),
    ).values("plan_id")
    named = PenaltyRulePlan.objects.filter(studio=studio, plan_id__in=plan_ids).values("rule_id")
    return rules.filter(Q(all_plans=True) | Q(pk__in=named)).exists()


def _credit_back_sentence(n: int, plan: str, you: bool) -> str:
    if you:
        return ngettext(
            "%(n)s credit goes back to your %(plan)s.", "%(n)s credits go back to your %(plan)s.", n
        ) % {"n": n, "plan": plan}
    return ngettext(
        "%(n)s credit goes back to their %(plan)s.", "%(n)s credits go back to their %(plan)s.", n
    ) % {"n": n, "plan": plan}


def _sentence(
    *, code: str, reason: str, you: bool, kind: str, amount: int, currency: str, plan: str, hours: int
) -> str:
    """The outcome in the active language, for the client (`you`) or for staff."""
    if code == CREDIT_BACK:
        return _credit_back_sentence(amount, plan, you)
    if code == MONEY_CREDIT:
        money = format_money(amount, currency, language=get_language() or "en")
        if you:
            return _("%(amount)s goes to your studio credit.") % {"amount": money}
        return _("%(amount)s goes to their studio credit.") % {"amount": money}
    if reason == UNLIMITED:
        if you:
            return _("Included in your membership (%(plan)s): there is no credit to give back.") % {
                "plan": plan
            }
        return _("Included in their membership (%(plan)s): there is no credit to give back.") % {"plan": plan}
    if reason == RENEWED:
        if you:
            return _("Nothing comes back: your %(plan)s has renewed since, with fresh credits.") % {
                "plan": plan
            }
        return _("Nothing comes back: their %(plan)s has renewed since, with fresh credits.") % {"plan": plan}
    if reason == CUTOFF_PASSED:
        return _("Nothing comes back: the cut-off (%(hours)s before) has passed.") % {
            "hours": _hours_label(hours)
        }
    if reason == POLICY_NEVER:
        if kind == APPOINTMENT:
            return _(
                "Nothing comes back: the studio's policy gives nothing back for a cancelled appointment."
            )
        return _("Nothing comes back: the studio's policy gives nothing back for a cancelled class.")
    if reason == UNPAID:
        return _("Nothing was paid for it yet: nothing comes back and nothing is owed.")
    if reason == UNKNOWN_PAYMENT:
        return _("Nothing comes back automatically: the studio settles what was paid.")
    if kind == APPOINTMENT:
        return _("This appointment was free: there is nothing to give back.")
    return _("This class was free: there is nothing to give back.")


def cancel_outcome(
    *,
    studio: Studio,
    event_kind: str,
    booking: Booking | None = None,
    appointment: Appointment | None = None,
    now: dt.datetime,
    by: str = "client",
    waive_late: bool = False,
) -> CancelOutcome:
    """What cancelling this booking (`event_kind == "class"`) or appointment gives back, under
    the studio's policy, worded in the active language for the client (`by == "client"`) or for
    staff. For a row still active, `now` is when it would be cancelled (the page's question;
    `waive_late`: staff waiving the late cancel); for a cancelled row, pass its `cancelled_at`:
    the worker decides as the page said, whenever it runs."""
    row = booking if event_kind == CLASS else appointment
    if row is None or row.studio_id != studio.pk:
        raise ValueError("cancel_outcome needs the booking or appointment of this studio.")
    policy = _policy(studio)
    if event_kind == CLASS:
        rule, hours = policy.class_credit_return, policy.class_cutoff_hours
        starts_at = booking.session.starts_at
    else:
        rule, hours = policy.appointment_credit_return, policy.appointment_cutoff_hours
        starts_at = appointment.starts_at
    you = by != "staff"

    cancelled = row.status in (*_CANCELLED, AppointmentStatus.CANCELLED)
    if cancelled:
        late = row.status in _LATE
        when = row.cancelled_at or now
    else:
        late = cancel_would_be_late(
            studio=studio, booking=booking, appointment=appointment, now=now, by=by, waive_late=waive_late
        )
        when = now

    # Whatever the policy: the studio cancelled, or the place never held a spot.
    unconditional = None
    if booking is not None:
        if booking.cancel_reason == CancelReason.SESSION_CANCELLED or booking.session.is_cancelled:
            unconditional = STUDIO_CANCELLED
        elif booking.cancel_reason == CancelReason.WAITLIST_EXPIRED or _was_waitlisted(booking):
            unconditional = WAITLIST
    waived = booking is not None and (
        (not cancelled and waive_late and by == "staff") or (cancelled and _waived_late(studio, booking))
    )
    in_time = waived or starts_at - when >= dt.timedelta(hours=hours)
    if unconditional:
        gives_back, why = True, unconditional
    elif rule == CreditReturn.ALWAYS:
        gives_back, why = True, POLICY_ALWAYS
    elif rule == CreditReturn.NEVER:
        gives_back, why = False, POLICY_NEVER
    else:
        gives_back, why = in_time, (IN_TIME if in_time else CUTOFF_PASSED)

    code, reason, amount, currency, plan = NOTHING, why, 0, "", ""
    membership_id = payment_id = None
    if row.payment_kind in (PaymentKind.MEMBERSHIP, PaymentKind.CLASS_PACK):
        use = (
            CreditUse.objects.filter(studio=studio, booking_kind=event_kind, booking_id=row.pk)
            .select_related("membership__plan")
            .first()
        )
        if use is None:
            reason = UNKNOWN_PAYMENT
        else:
            membership_id, plan = use.membership_id, use.membership.plan.name
            if not use.credits:
                reason = UNLIMITED
            elif gives_back and _renewed_since(use):
                reason = RENEWED
            elif gives_back:
                code, amount = CREDIT_BACK, use.credits
    elif row.payment_kind == PaymentKind.DROP_IN:
        payment_id = _payment_id(row.payment_ref)
        paid = _paid_for(studio, payment_id, row, event_kind)
        if paid <= 0:
            reason, payment_id = UNKNOWN_PAYMENT, None
        elif gives_back:
            code, amount, currency = MONEY_CREDIT, paid, studio.currency
    else:
        code = FREE
        price = appointment.price_amount if appointment is not None else 0
        reason = UNPAID if price > 0 else COMPLIMENTARY

    late_notice = ""
    if late and _fee_could_apply(studio, row.client_id):
        late_notice = _("This cancel is late: it may be charged a fee.")
    return CancelOutcome(
        code=code,
        reason=reason,
        sentence=_sentence(
            code=code,
            reason=reason,
            you=you,
            kind=event_kind,
            amount=amount,
            currency=currency,
            plan=plan,
            hours=hours,
        ),
        amount=amount,
        currency=currency,
        late=late,
        late_notice=late_notice,
        membership_id=membership_id,
        payment_id=payment_id,
    )


def _renewed_since(use: CreditUse) -> bool:
    """The membership renewed after the credit was used: its period's credits are fresh and do
    not owe this one (entitlements.credit_return closes the use without adding a credit)."""
    membership = use.membership
    if membership.current_period_start is None:
        return False
    period = MembershipPeriod.objects.filter(
        membership=membership, starts_on=membership.current_period_start
    ).first()
    return period is not None and period.created_at > use.used_at


def _paid_for(studio: Studio, payment_id: int | None, row, event_kind: str) -> int:
    """What the drop-in's payment brought in and kept (less refunds), at most the class's (or
    appointment's) price: one payment may have paid for more than this booking."""
    if payment_id is None:
        return 0
    payment = (
        Payment.objects.filter(studio=studio, pk=payment_id, status=Payment.Status.SUCCEEDED)
        .only("amount", "amount_refunded", "client_id")
        .first()
    )
    if payment is None or (payment.client_id is not None and payment.client_id != row.client_id):
        return 0
    kept = payment.amount - payment.amount_refunded
    price = row.session.template.drop_in_price if event_kind == CLASS else row.price_amount
    return max(0, min(kept, price)) if price > 0 else max(0, kept)


def cancel_describe(question: CancelQuestion) -> list[str]:
    """Scheduling's cancel-outcome describer (memberships.registrations `_policy_cancel`)."""
    outcome = cancel_outcome(
        studio=question.studio,
        event_kind=question.kind,
        booking=question.booking,
        appointment=question.appointment,
        now=question.now,
        by=question.by,
        waive_late=question.waive_late,
    )
    return outcome.lines


def cancel_money_credit_grant(
    *, studio: Studio, event_kind: str, row: Booking | Appointment, outcome: CancelOutcome
) -> bool:
    """Turn a `money_credit` outcome into studio credit for the client, once per cancelled
    booking or appointment ever: the guard row (unique on the event) and the credit entry commit
    together, so a redelivered event or a rerun grants nothing more. True when granted now."""
    if outcome.code != MONEY_CREDIT or outcome.amount <= 0 or outcome.payment_id is None:
        return False
    with translation.override(studio.language or "fr"):
        if event_kind == CLASS:
            what, zone = row.session.template.name, row.session.time_zone
            starts_at = row.session.starts_at
        else:
            what, zone, starts_at = row.service.name, row.calendar.location.time_zone, row.starts_at
        note = _("Cancelled in time: %(what)s, %(when)s") % {
            "what": what,
            "when": local_when_label(starts_at, zone),
        }
    with transaction.atomic():
        try:
            with transaction.atomic():
                grant = CancelCreditGrant.objects.create(
                    studio=studio,
                    client_id=row.client_id,
                    event_kind=event_kind,
                    event_id=row.pk,
                    amount=outcome.amount,
                    currency=outcome.currency or studio.currency,
                    payment_id=outcome.payment_id,
                    granted_at=timezone.now(),
                )
        except IntegrityError:
            return False  # granted already (a duplicate event, a rerun, the sweep)
        entry = credit_grant(studio=studio, actor=SYSTEM, client=row.client, amount=outcome.amount, note=note)
        grant.credit_entry = entry
        grant.save(update_fields=["credit_entry"])
    return True
