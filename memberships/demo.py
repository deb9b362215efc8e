"""Demo memberships for `make run`: five plans, members in each home location, bookings they pay.

Plans are made by `plan_save`; memberships are sold by `membership_sell` (on the client's saved
card through the Stripe sandbox, or in cash), so payments, periods and the ledger are the real
ones. What only time would produce — a membership renewing tomorrow, a renewal that failed two
days ago and is retrying — is then written over the sold rows' dates directly, since the seed
cannot wait a month. Bookings paid by a membership go through the entitlement rules
(`entitlement_for` + `credit_take`), written beside the schedule's own demo bookings without
sending confirmation emails.

Idempotent: a studio that already has the demo's plans keeps them, and memberships are seeded
only in a studio that has none.

The cancellation policy's demo (issue 16) is its own section at the end (`_seed_policy`): a saved
policy, two penalty rules, and a month of late cancels and no-shows with their fees, seeded once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from memberships.models import (
    CreditReturn,
    CreditUse,
    IntervalUnit,
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PenaltyFrequency,
    PenaltyTrigger,
    PenaltyWindow,
    Plan,
    PlanKind,
    Renewal,
    RenewalStatus,
    RulesMatch,
)
from memberships.periods import add_interval
from memberships.selectors.renewals import studio_today
from memberships.services.entitlements import credit_take, entitlement_for
from memberships.services.lifecycle import membership_pause
from memberships.services.plans import plan_save
from memberships.services.renewals import renewal_base_key
from memberships.services.sales import membership_sell
from scheduling import services as scheduling_services
from scheduling.models import (
    BookedBy,
    Booking,
    BookingStatus,
    CancelReason,
    ClassSession,
    ClassTemplate,
    SessionStatus,
)
from studio.models import Client, Location, StaffMember, Studio
from studio.permissions import RoleKind
from studio.services import SYSTEM, Actor

UNLIMITED = "Illimité mensuel"
EIGHT = "8 cours par mois"
PACK = "Carte 10 cours"
WINTER = "Passe hiver"
TRAINING = "Formation d'enseignant·e (6 versements)"

# Drop-in prices of the demo's classes (minor units): a class with a price needs a membership or
# a pack to be booked (SCH-4), which is what makes the plans matter.
DROP_IN_PRICES = {"Vinyasa": 2500, "Hatha doux": 2200, "Danse contemporaine": 2800, "Pilates mat": 2500}


def _owner(studio: Studio) -> Actor:
    owner = (
        StaffMember.objects.filter(studio=studio, role__kind=RoleKind.OWNER).select_related("user").first()
    )
    return Actor(user=owner.user if owner else None)


def _winter(today: dt.date) -> tuple[dt.date, dt.date]:
    """This winter's pass: 1 December to 31 March (the coming one from April on)."""
    year = today.year if today.month >= 4 else today.year - 1
    return dt.date(year, 12, 1), dt.date(year + 1, 3, 31)


def _plans(studio: Studio, actor: Actor) -> dict[str, Plan]:
    found = {p.name: p for p in Plan.objects.filter(studio=studio)}
    winter_from, winter_until = _winter(studio_today(studio=studio))
    laval = Location.objects.filter(studio=studio, name="Laval").first()
    specs = [
        Plan(
            name=UNLIMITED,
            description="Tous les cours, tous les lieux, sans limite. Renouvelé chaque mois.",
            kind=PlanKind.SUBSCRIPTION,
            price_amount=14000,
            interval_unit=IntervalUnit.MONTH,
            interval_count=1,
            featured=True,
        ),
        Plan(
            name=EIGHT,
            description="Huit cours par mois, remis à zéro à chaque renouvellement.",
            kind=PlanKind.SUBSCRIPTION,
            price_amount=11000,
            interval_unit=IntervalUnit.MONTH,
            interval_count=1,
            credits_per_period=8,
            commitment_periods=3,
        ),
        Plan(
            name=PACK,
            description="Dix cours à utiliser dans les six mois.",
            kind=PlanKind.PACK,
            price_amount=18000,
            pack_credits=10,
            pack_expires_after_days=180,
        ),
        Plan(
            name=WINTER,
            description="Tout l'hiver, tous les cours.",
            kind=PlanKind.PASS,
            price_amount=39000,
            pass_starts_on=winter_from,
            pass_ends_on=winter_until,
        ),
    ]
    if laval is not None:
        specs.append(
            Plan(
                name=TRAINING,
                description="200 heures à Laval, payées en six versements mensuels.",
                kind=PlanKind.PAYMENT_PLAN,
                price_amount=50000,
                interval_unit=IntervalUnit.MONTH,
                interval_count=1,
                instalment_count=6,
                location=laval,
                all_classes=False,
            )
        )
    for plan in specs:
        if plan.name not in found:
            found[plan.name] = plan_save(studio=studio, actor=actor, plan=plan)
    return found


def _price_classes(studio: Studio) -> None:
    for template in ClassTemplate.objects.filter(studio=studio, name__in=DROP_IN_PRICES, drop_in_price=0):
        template.drop_in_price = DROP_IN_PRICES[template.name]
        scheduling_services.class_template_save(studio=studio, actor=SYSTEM, template=template)


def _sell(studio: Studio, actor: Actor, client: Client | None, plan: Plan | None, *, cash: bool = False):
    """Sell on the client's saved card, or in cash when asked or when they have no card there."""
    if client is None or plan is None:
        return None
    if not cash:
        try:
            result = membership_sell(
                studio=studio,
                actor=actor,
                client=client,
                plan=plan,
                tender="saved_method",
                sale_token=f"demo-sale:{client.pk}:{plan.pk}",
            )
        except ValidationError:
            result = None  # no usable default method on the routed account: cash instead
        if result is not None and result.status == "active":
            return Membership.objects.get(pk=result.membership.pk)
        if result is not None:
            return None  # declined or pending: leave it as the sale left it
    result = membership_sell(
        studio=studio,
        actor=actor,
        client=client,
        plan=plan,
        tender="cash",
        sale_token=f"demo-sale-cash:{client.pk}:{plan.pk}",
    )
    return Membership.objects.get(pk=result.membership.pk)


def _month_before(day: dt.date) -> dt.date:
    """The start of a monthly period ending on `day` (the 31st's month before may be shorter)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def _move_period(membership: Membership, *, renews_on: dt.date, status: str | None = None) -> None:
    """Make the sold monthly membership's current period end on `renews_on` (as if bought a month
    earlier): the membership's dates and its one period row move together."""
    start = _month_before(renews_on)
    assert add_interval(start, unit=IntervalUnit.MONTH, count=1, anchor_day=renews_on.day) == renews_on
    with transaction.atomic():
        period = MembershipPeriod.objects.filter(membership=membership).order_by("starts_on").first()
        if period is not None:
            period.starts_on, period.ends_on = start, renews_on
            period.save(update_fields=["starts_on", "ends_on"])
        membership.started_on = membership.current_period_start = start
        membership.anchor_day = renews_on.day
        membership.current_period_end = membership.next_renewal_on = renews_on
        if status:
            membership.status = status
        membership.save()


def _past_due(membership: Membership, *, today: dt.date) -> None:
    """A renewal two days ago, declined, retried once and due again tomorrow (1, 3, 5 days)."""
    failed_on = today - dt.timedelta(days=2)
    _move_period(membership, renews_on=failed_on, status=MembershipStatus.PAST_DUE)
    first_failed = timezone.now() - dt.timedelta(days=2)
    Renewal.objects.get_or_create(
        studio=membership.studio,
        membership=membership,
        period_start=failed_on,
        defaults={
            "amount": membership.price_amount,
            "currency": membership.currency,
            "status": RenewalStatus.RETRYING,
            "idempotency_key": renewal_base_key(membership=membership, period_start=failed_on),
            "attempts": 2,
            "first_failed_at": first_failed,
            "next_attempt_at": first_failed + dt.timedelta(days=3),
            "failure_code": "card_declined",
        },
    )


def _book(studio: Studio, membership: Membership | None, count: int, now: dt.datetime) -> None:
    """Book `count` of the coming week's classes the membership pays for (credits taken)."""
    if membership is None:
        return
    client = membership.client
    taken = set(Booking.objects.filter(studio=studio, client=client).values_list("session_id", flat=True))
    sessions = (
        ClassSession.objects.filter(
            studio=studio,
            starts_at__gt=now,
            starts_at__lt=now + dt.timedelta(days=7),
            template__drop_in_price__gt=0,
        )
        .exclude(pk__in=taken)
        .select_related("template")
        .order_by("starts_at")
    )
    booked = 0
    for session in sessions:
        if booked >= count:
            break
        on = timezone.localtime(session.starts_at, ZoneInfo(studio.time_zone)).date()
        with transaction.atomic():
            # Lock the session row first, as booking does, then count its places.
            locked = ClassSession.objects.select_for_update().get(pk=session.pk)
            if Booking.objects.filter(session=locked, status=BookingStatus.BOOKED).count() >= locked.capacity:
                continue
            entitlement = entitlement_for(client=client, on=on, template_id=session.template_id, lock=True)
            if entitlement is None:
                continue
            booking = Booking.objects.create(
                studio=studio,
                session=locked,
                client=client,
                booked_by_kind=BookedBy.STAFF,
                status=BookingStatus.BOOKED,
                payment_kind=entitlement.payment_kind,
                payment_ref=entitlement.payment_ref,
            )
            credit_take(
                entitlement=entitlement,
                booking_kind=CreditUse.BookingKind.CLASS,
                booking_id=booking.pk,
                on=on,
            )
        booked += 1


def _clients(studio: Studio, home: str) -> list[Client]:
    """The location's clients with a saved card, oldest first (payments' demo saved them)."""
    return list(
        Client.objects.filter(
            studio=studio, home_location__name=home, archived_at__isnull=True, saved_methods__kind="card"
        )
        .distinct()
        .order_by("id")
    )


def _without_card(studio: Studio, home: str) -> Client | None:
    return (
        Client.objects.filter(studio=studio, home_location__name=home, archived_at__isnull=True, email__gt="")
        .exclude(saved_methods__isnull=False)
        .order_by("id")
        .first()
    )


def _acss_default(studio: Studio, client: Client | None) -> None:
    """Renewals by pre-authorized debit: the client's bank account becomes their default method."""
    if client is None:
        return
    from payments.models import SavedPaymentMethod
    from payments.services.saved_methods import saved_method_set_default

    method = SavedPaymentMethod.objects.filter(client=client, kind="acss_debit").first()
    if method is not None and not method.is_default:
        saved_method_set_default(studio=studio, actor=SYSTEM, method=method)


def _seed_memberships(studio: Studio, plans: dict[str, Plan]) -> None:
    actor = _owner(studio)
    now = timezone.now()
    today = studio_today(studio=studio, now=now)
    tomorrow = today + dt.timedelta(days=1)
    camille = Client.objects.filter(studio=studio, email="client@demo.atelier.test").first()
    julie = Client.objects.filter(studio=studio, email="julie.gagnon@example.test").first()
    marc = Client.objects.filter(studio=studio, email="marc.roy@example.test").first()
    montreal = [c for c in _clients(studio, "Montréal") if c != camille]
    laval = [c for c in _clients(studio, "Laval") if c != julie]
    quebec = [c for c in _clients(studio, "Québec") if c != marc]

    # Montréal: Camille's unlimited month renews tomorrow; a pack; a winter pass.
    unlimited = _sell(studio, actor, camille, plans.get(UNLIMITED))
    if unlimited is not None:
        _move_period(unlimited, renews_on=tomorrow)
    pack = _sell(studio, actor, montreal[0] if montreal else None, plans.get(PACK))
    _sell(studio, actor, montreal[1] if len(montreal) > 1 else None, plans.get(WINTER))

    # Laval: Julie's 8 classes a month renews tomorrow, by pre-authorized debit; the teacher
    # training's instalments (routing rule 2: Laval's account); a pack paid in cash.
    eight = _sell(studio, actor, julie, plans.get(EIGHT))
    if eight is not None:
        _move_period(eight, renews_on=tomorrow)
        _acss_default(studio, julie)
    _sell(studio, actor, laval[0] if laval else None, plans.get(TRAINING))
    cash_pack = _sell(studio, actor, _without_card(studio, "Laval"), plans.get(PACK), cash=True)

    # Québec: Marc's card was declined two days ago (past due, retrying); a paused membership.
    late = _sell(studio, actor, marc, plans.get(UNLIMITED))
    if late is not None:
        _past_due(late, today=today)
    paused = _sell(studio, actor, quebec[0] if quebec else None, plans.get(EIGHT))
    if paused is not None:
        # Should the lifecycle rules refuse (they are the truth), the membership just stays active.
        with contextlib.suppress(ValidationError):
            membership_pause(
                studio=studio,
                actor=actor,
                membership=paused,
                paused_from=today,
                paused_until=today + dt.timedelta(days=14),
                now=now,
            )

    # Bookings paid by them: credits taken, one class each for the unlimited and the late member.
    for membership, count in ((unlimited, 1), (eight, 2), (pack, 1), (cash_pack, 1), (late, 1)):
        if membership is not None:
            membership.refresh_from_db()
        _book(studio, membership, count, now)


def _seed_second(studio: Studio) -> None:
    """The second studio sells a plan too, so isolation shows in the renewals page."""
    actor = _owner(studio)
    plan = Plan.objects.filter(studio=studio, name="Monthly unlimited").first()
    if plan is None:
        # Priced once, with the plan: a class the owner later makes free stays free.
        for template in ClassTemplate.objects.filter(studio=studio, drop_in_price=0):
            template.drop_in_price = 2000
            scheduling_services.class_template_save(studio=studio, actor=SYSTEM, template=template)
        plan = plan_save(
            studio=studio,
            actor=actor,
            plan=Plan(
                name="Monthly unlimited", kind=PlanKind.SUBSCRIPTION, price_amount=12000, featured=True
            ),
        )
    if Membership.objects.filter(studio=studio).exists():
        return
    grace = Client.objects.filter(studio=studio, email="grace@autre.atelier.test").first()
    membership = _sell(studio, actor, grace, plan, cash=True)
    if membership is not None:
        _move_period(membership, renews_on=studio_today(studio=studio) + dt.timedelta(days=1))


# --- cancellation policy and penalties (issue 16, pcancel) --------------------------------------
#
# A saved policy (classes: credits back only before a 24-hour cut-off; appointments: always),
# two rules — every 2nd no-show within the renewal period for the monthly unlimited plan ($10),
# and at least 3 late cancels in the last 30 days for everyone ($5) — and the past month's late
# cancels and no-shows assessed by pcharge's own services: fees charged on saved cards (sandbox),
# one failed (no card: owed), one waived inside the grace delay, the most recent still pending.
# Seeded once: a studio that has rules keeps them and its fees.

POLICY_HISTORY_DAYS = 30
NO_SHOW_FEE = 1000
LATE_CANCEL_FEE = 500
DEMO_WAIVE_REASON = "Premier oubli : geste commercial"


def _past_sessions(studio: Studio, client: Client, now: dt.datetime, count: int, *, skip: int = 0):
    """`count` classes of the past month with a free place that `client` has no booking in, the
    oldest first (`skip` leaves the first ones to someone else's story)."""
    mine = Booking.objects.filter(studio=studio, client=client).values("session_id")
    found = []
    sessions = (
        ClassSession.objects.filter(
            studio=studio,
            starts_at__gte=now - dt.timedelta(days=POLICY_HISTORY_DAYS - 1),
            ends_at__lt=now - dt.timedelta(hours=2),
        )
        .exclude(status=SessionStatus.CANCELLED)
        .exclude(pk__in=mine)
        .order_by("starts_at", "id")
    )
    for session in sessions[skip:]:
        taken = Booking.objects.filter(
            session=session,
            status__in=(BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW),
        ).count()
        if taken < session.capacity:
            found.append(session)
        if len(found) == count:
            break
    return found


def _missed(studio: Studio, client: Client | None, sessions, status: str) -> list[Booking]:
    """The client's bookings of these past classes, recorded as no-shows or late cancels (what
    attendance and a cancel 20 minutes before the class would have left)."""
    if client is None:
        return []
    rows = []
    for session in sessions:
        booking = Booking(
            studio=studio,
            session=session,
            client=client,
            booked_by_kind=BookedBy.CLIENT,
            status=status,
        )
        if status == BookingStatus.LATE_CANCELLED:
            booking.cancelled_at = session.starts_at - dt.timedelta(minutes=20)
            booking.cancel_reason = CancelReason.CLIENT
        rows.append(booking)
    return Booking.objects.bulk_create(rows)


def _seed_policy(studio: Studio, plans: dict[str, Plan], *, sandbox: bool) -> None:
    from memberships.models import PenaltyRule
    from memberships.services.policy import penalty_rule_save, policy_settings_save

    if PenaltyRule.objects.filter(studio=studio).exists():
        return
    actor = _owner(studio)
    now = timezone.now()
    policy_settings_save(
        studio=studio,
        actor=actor,
        cleaned={
            "class_credit_return": CreditReturn.BEFORE_CUTOFF,
            "class_cutoff_hours": 24,
            "appointment_credit_return": CreditReturn.ALWAYS,
            "appointment_cutoff_hours": 24,
            "rules_match": RulesMatch.FIRST,
            "grace_hours": 24,
            "late_cancel_window_minutes": studio.late_cancel_window_minutes or 60,
        },
    )
    monthly = plans.get(UNLIMITED)
    if monthly is not None:
        penalty_rule_save(
            studio=studio,
            actor=actor,
            rule=PenaltyRule(
                trigger=PenaltyTrigger.NO_SHOW,
                all_plans=False,
                frequency=PenaltyFrequency.EVERY,
                count=2,
                window_unit=PenaltyWindow.RENEWAL_PERIOD,
                window_length=1,
                fee_amount=NO_SHOW_FEE,
            ),
            plan_ids=[monthly.pk],
        )
    penalty_rule_save(
        studio=studio,
        actor=actor,
        rule=PenaltyRule(
            trigger=PenaltyTrigger.LATE_CANCEL,
            all_plans=True,
            frequency=PenaltyFrequency.AT_LEAST,
            count=3,
            window_unit=PenaltyWindow.DAYS,
            window_length=30,
            fee_amount=LATE_CANCEL_FEE,
        ),
    )
    if sandbox:  # against real Stripe the demo charges nobody: the policy and its rules only
        _policy_history(studio, now)
        _policy_fees(studio, actor, now)


def _policy_history(studio: Studio, now: dt.datetime) -> None:
    """A month of late cancels and no-shows whose fees tell the story on the penalties pages."""
    camille = Client.objects.filter(studio=studio, email="client@demo.atelier.test").first()
    with_card = [c for c in _clients(studio, "Montréal") if c != camille]
    carded = with_card[-1] if with_card else None
    no_card = (
        Client.objects.filter(studio=studio, archived_at__isnull=True, saved_methods__isnull=True)
        .exclude(memberships__isnull=False)
        .order_by("id")
        .first()
    )
    with transaction.atomic():
        # Camille (monthly unlimited): two no-shows this period → the 2nd is charged $10.
        if camille is not None:
            _missed(studio, camille, _past_sessions(studio, camille, now, 2, skip=3), BookingStatus.NO_SHOW)
        # A client with a card: four late cancels → the 3rd and the 4th charge $5 (one waived).
        if carded is not None:
            _missed(
                studio, carded, _past_sessions(studio, carded, now, 4, skip=1), BookingStatus.LATE_CANCELLED
            )
        # A client without a card: three late cancels → the fee cannot be charged, it is owed.
        if no_card is not None:
            _missed(
                studio, no_card, _past_sessions(studio, no_card, now, 3, skip=2), BookingStatus.LATE_CANCELLED
            )


def _policy_fees(studio: Studio, actor: Actor, now: dt.datetime) -> None:
    """Assess every late cancel and no-show of the past month in order (as the events would
    have), waive one fee inside its grace delay, then charge the fees whose delay is over."""
    from memberships.models import Penalty, PenaltyStatus
    from memberships.services.penalties import penalties_assess, penalties_charge_due, penalty_waive

    events = list(
        Booking.objects.filter(
            studio=studio,
            status__in=(BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW),
            session__starts_at__gte=now - dt.timedelta(days=POLICY_HISTORY_DAYS),
        )
        .order_by("session__starts_at", "id")
        .values_list("pk", flat=True)
    )
    for booking_id in events:
        penalties_assess(studio=studio, event_kind="class", event_id=booking_id, now=now)
    # The oldest late-cancel fee of the client with a card is forgiven before it is charged.
    first = (
        Penalty.objects.filter(
            studio=studio, trigger=PenaltyTrigger.LATE_CANCEL, status=PenaltyStatus.PENDING
        )
        .exclude(client__saved_methods__isnull=True)
        .order_by("occurred_at", "id")
        .first()
    )
    if first is not None:
        penalty_waive(studio=studio, actor=actor, penalty=first, reason=DEMO_WAIVE_REASON)
    penalties_charge_due(studio=studio, now=now)


def _seed_waiver_requirement(studio: Studio, plans: dict[str, Plan]) -> None:  # wreq (issue 13)
    """Buying the winter pass asks for waivers' demo membership waiver (waivers/demo.py made it
    before the plans existed). The same set again writes nothing."""
    from waivers.selectors.templates import waiver_list
    from waivers.services.requirements import waiver_requirements_set

    winter = plans.get(WINTER)
    row = next((r for r in waiver_list(studio=studio) if r.waiver.name == "Décharge d'abonnement"), None)
    if winter is not None and row is not None:
        waiver_requirements_set(
            studio=studio, actor=_owner(studio), waiver=row.waiver, studio_wide=False, plan_ids=[winter.pk]
        )


def seed(*, studio: Studio, second_studio: Studio) -> None:
    # Members are sold on saved cards, which payments' demo saves on the sandbox only.
    sandbox = settings.STRIPE_TARGET == "sandbox"
    with scope(studio=studio):
        first_time = not Plan.objects.filter(studio=studio).exists()
        plans = _plans(studio, _owner(studio))
        if first_time:
            _price_classes(studio)
        if not sandbox:
            _seed_policy(studio, plans, sandbox=False)  # the policy and its rules; no fees
            _seed_waiver_requirement(studio, plans)  # wreq
            return  # against real Stripe the owner sells to real clients: plans only
        if not Membership.objects.filter(studio=studio).exists():
            _seed_memberships(studio, plans)
        _seed_policy(studio, plans, sandbox=True)
        _seed_waiver_requirement(studio, plans)  # wreq: after the sales, which it would refuse
    with scope(studio=second_studio):
        _seed_second(second_studio)
