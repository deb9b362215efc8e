"""Reads of penalty fees (POL-4) and the late-cancel / no-show report (REP-3).

`amounts_owed_for(client=)` is THE list of what a client owes the studio — failed penalty fees
and past-due membership renewals — that POS and checkout collect (then
`memberships.services.penalties.penalty_mark_paid` for a fee, the renewal's own "pay now" for a
renewal). Every list here costs a fixed number of queries whatever its length.

The report reads scheduling's late-cancelled and no-show bookings and appointments (one UNION ALL
query) and their fees (one query): two queries at 1 or 200 rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import CharField, Q, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope

from memberships.models import (
    EventKind,
    MembershipStatus,
    Penalty,
    PenaltyStatus,
    PenaltyTrigger,
    Renewal,
    RenewalStatus,
)
from studio.compiled_sql import compiled_rows
from studio.formats import date_format
from studio.models import Client, Studio

# --- what an event was ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    event_kind: str
    event_id: int
    client_id: int
    name: str  # the class's or the service's name
    starts_at: dt.datetime
    ends_at: dt.datetime
    location_name: str
    time_zone: str


def event_facts(*, studio: Studio, event_kind: str, event_id: int) -> EventFacts | None:
    """The booking's class (or the appointment): name, start, end, place. One query."""
    from scheduling.models import Appointment, Booking

    if event_kind == EventKind.CLASS:
        row = (
            Booking.objects.filter(studio=studio, pk=event_id)
            .values_list(
                "client_id",
                "session__template__name",
                "session__starts_at",
                "session__ends_at",
                "session__location__name",
                "session__location__time_zone",
            )
            .first()
        )
    elif event_kind == EventKind.APPOINTMENT:
        row = (
            Appointment.objects.filter(studio=studio, pk=event_id)
            .values_list(
                "client_id",
                "service__name",
                "starts_at",
                "ends_at",
                "calendar__location__name",
                "calendar__location__time_zone",
            )
            .first()
        )
    else:
        return None
    if row is None:
        return None
    client_id, name, starts_at, ends_at, location, zone = row
    return EventFacts(
        event_kind=event_kind,
        event_id=event_id,
        client_id=client_id,
        name=name or "",
        starts_at=starts_at,
        ends_at=ends_at,
        location_name=location or "",
        time_zone=zone or studio.time_zone or "UTC",
    )


# --- words -----------------------------------------------------------------------------------------

FEE_LABELS = {
    PenaltyTrigger.LATE_CANCEL: gettext_lazy("Late-cancel fee"),
    PenaltyTrigger.NO_SHOW: gettext_lazy("No-show fee"),
}
BADGES = {
    PenaltyStatus.PENDING: "warn",
    PenaltyStatus.CHARGING: "warn",
    PenaltyStatus.CHARGED: "ok",
    PenaltyStatus.FAILED: "bad",
    PenaltyStatus.WAIVED: "",
    PenaltyStatus.REVERSED: "",
    PenaltyStatus.PAID: "ok",
}


def penalty_failure_reason(code: str) -> str:
    """Why a fee could not be charged, in the active language (the renewals' wording of the same
    codes: a decline code, "no_method", "authentication_required")."""
    from memberships.selectors.renewals import renewal_failure_reason

    if code == "no_method":
        return _("No usable payment method on the account the fee is charged to.")
    return renewal_failure_reason(code)


# --- a client's fees, and what they owe --------------------------------------------------------------


def penalties_for_client(*, client: Client) -> QuerySet[Penalty]:
    """Every fee of `client`, newest event first, with its rule and payment (one query)."""
    return (
        Penalty.objects.filter(studio_id=client.studio_id, client=client)
        .select_related("rule", "payment")
        .order_by("-occurred_at", "-id")
    )


@dataclass(frozen=True)
class AmountOwed:
    """One thing a client owes: `kind` "penalty" (a fee whose charge failed; `id` the Penalty's)
    or "renewal" (a past-due membership renewal; `id` the Renewal's). `label` is worded in the
    active language; `amount` in minor units of `currency`."""

    kind: str
    id: int
    label: str
    amount: int
    currency: str


def _owed_fees(*, studio_id: int, client_id: int):
    return (
        Penalty.objects.filter(client_id=client_id, status=PenaltyStatus.FAILED)
        .order_by("occurred_at", "id")
        .values_list("pk", "trigger", "occurred_at", "amount", "currency")
    )


def _owed_renewals(*, studio_id: int, client_id: int):
    return (
        Renewal.objects.filter(
            membership__client_id=client_id,
            membership__status=MembershipStatus.PAST_DUE,
            status__in=(RenewalStatus.RETRYING, RenewalStatus.FAILED),
        )
        .order_by("period_start", "id")
        .values_list("pk", "membership__plan__name", "period_start", "amount", "currency")
    )


def amounts_owed_for(*, client: Client) -> list[AmountOwed]:
    """What `client` owes, oldest first: failed penalty fees, then past-due renewals.

    THE list POS and checkout collect. A penalty is owed once its charge failed (declined, no
    method): FAILED. A renewal is owed while its membership is past due and the renewal failed
    (retrying or out of retries); a membership cancelled after its last retry owes nothing (the
    period was never given). Two queries, whatever the number of rows.
    """
    studio_zone = ZoneInfo(client.studio.time_zone or "UTC") if client.studio_id else ZoneInfo("UTC")
    out: list[AmountOwed] = []
    # Both read through SQL compiled once (`studio.compiled_sql`): the POS screen asks on every change
    # of client; memberships/tests/test_penalties.py holds them to the ORM's rows.
    with scope(studio=client.studio_id):
        fees = compiled_rows("owed-penalties", _owed_fees, client_id=client.pk)
        renewals = compiled_rows("owed-renewals", _owed_renewals, client_id=client.pk)
    for pk, trigger, occurred_at, amount, currency in fees:
        out.append(
            AmountOwed(
                kind="penalty",
                id=pk,
                label=_("%(fee)s — %(date)s")
                % {
                    "fee": FEE_LABELS.get(trigger, trigger),
                    "date": date_format(occurred_at.astimezone(studio_zone).date(), "DATE_FORMAT"),
                },
                amount=amount,
                currency=currency,
            )
        )
    for pk, plan, period_start, amount, currency in renewals:
        out.append(
            AmountOwed(
                kind="renewal",
                id=pk,
                label=_("Membership renewal “%(plan)s” — %(date)s")
                % {"plan": plan, "date": date_format(period_start, "DATE_FORMAT")},
                amount=amount,
                currency=currency,
            )
        )
    return out


# --- the staff pages: list and detail -------------------------------------------------------------

TABS = ("pending", "failed", "charged", "waived")
TAB_STATUSES = {
    "pending": (PenaltyStatus.PENDING, PenaltyStatus.CHARGING),
    "failed": (PenaltyStatus.FAILED,),
    "charged": (PenaltyStatus.CHARGED, PenaltyStatus.PAID),
    "waived": (PenaltyStatus.WAIVED, PenaltyStatus.REVERSED),
}
ROWS_MAX = 200


@dataclass(frozen=True)
class PenaltyRow:
    id: int
    client_id: int
    client_name: str
    trigger: str
    fee_label: str
    event_name: str
    occurred_at: dt.datetime
    amount: int
    currency: str
    status: str
    status_label: str
    badge: str
    due_at: dt.datetime
    failure: str


def penalty_tab_counts(*, studio: Studio) -> dict[str, int]:
    """How many fees each tab holds (one query)."""
    from django.db.models import Count

    by_status = dict(
        Penalty.objects.filter(studio=studio)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {tab: sum(by_status.get(s, 0) for s in statuses) for tab, statuses in TAB_STATUSES.items()}


def penalty_rows(*, studio: Studio, tab: str, limit: int = ROWS_MAX) -> list[PenaltyRow]:
    """One tab's fees with their client and event (two queries at 1 or `limit` rows)."""
    from scheduling import selectors as scheduling_selectors

    statuses = TAB_STATUSES.get(tab, TAB_STATUSES["pending"])
    order = ("due_at", "id") if tab == "pending" else ("-occurred_at", "-id")
    rows = list(
        Penalty.objects.filter(studio=studio, status__in=statuses)
        .order_by(*order)
        .values_list(
            "pk",
            "client_id",
            "client__first_name",
            "client__last_name",
            "trigger",
            "event_kind",
            "event_id",
            "occurred_at",
            "amount",
            "currency",
            "status",
            "due_at",
            "failure_code",
        )[:limit]
    )
    described = scheduling_selectors.bookings_described(
        class_booking_ids=[r[6] for r in rows if r[5] == EventKind.CLASS],
        appointment_ids=[r[6] for r in rows if r[5] == EventKind.APPOINTMENT],
        studio_zone=studio.time_zone or "UTC",
    )
    labels = {value: str(label) for value, label in PenaltyStatus.choices}
    fee_labels = {key: str(label) for key, label in FEE_LABELS.items()}
    out = []
    for (
        pk,
        client_id,
        first,
        last,
        trigger,
        kind,
        event_id,
        occurred_at,
        amount,
        currency,
        status,
        due,
        code,
    ) in rows:
        name, _start = described.get((kind, event_id), ("", occurred_at))
        out.append(
            PenaltyRow(
                id=pk,
                client_id=client_id,
                client_name=f"{first} {last}".strip(),
                trigger=trigger,
                fee_label=fee_labels.get(trigger, trigger),
                event_name=name,
                occurred_at=occurred_at,
                amount=amount,
                currency=currency,
                status=status,
                status_label=labels.get(status, status),
                badge=BADGES.get(status, ""),
                due_at=due,
                failure=penalty_failure_reason(code) if code else "",
            )
        )
    return out


def penalty_for_staff(*, studio: Studio, pk: int) -> Penalty | None:
    """One fee of this studio with what its page shows (None: not this studio's)."""
    return (
        Penalty.objects.filter(studio=studio, pk=pk)
        .select_related("client", "rule", "membership__plan", "payment", "waived_by")
        .first()
    )


@dataclass(frozen=True)
class PenaltyDetail:
    penalty: Penalty
    event: EventFacts | None
    fee_label: str
    rule_sentence: str
    route_reason: str
    account_name: str
    failure: str
    can_waive: bool
    can_retry: bool
    waive_refunds: bool


def penalty_detail(*, studio: Studio, penalty: Penalty) -> PenaltyDetail:
    """What the fee's page shows: the event, the rule in words, the payment with its account and
    the reason it went there (PAY-3), the failure in words, and which actions apply."""
    from payments.services.routing import route_reason

    sentence = _rule_sentence(studio=studio, rule=penalty.rule)
    payment = penalty.payment
    reason = ""
    account_name = ""
    if payment is not None:
        reason = route_reason(rule=payment.routing_rule, params=payment.routing_params or {})
        reason = reason or payment.routing_reason
        account_name = (payment.routing_params or {}).get("account_name", "")
    return PenaltyDetail(
        penalty=penalty,
        event=event_facts(studio=studio, event_kind=penalty.event_kind, event_id=penalty.event_id),
        fee_label=str(FEE_LABELS.get(penalty.trigger, penalty.trigger)),
        rule_sentence=sentence,
        route_reason=reason,
        account_name=account_name,
        failure=penalty_failure_reason(penalty.failure_code) if penalty.failure_code else "",
        can_waive=penalty.status
        in (PenaltyStatus.PENDING, PenaltyStatus.FAILED, PenaltyStatus.CHARGED, PenaltyStatus.PAID),
        can_retry=penalty.status == PenaltyStatus.FAILED,
        waive_refunds=penalty.status in (PenaltyStatus.CHARGED, PenaltyStatus.PAID),
    )


def _rule_sentence(*, studio: Studio, rule) -> str:
    """The rule as the policy page words it (POL-3), in the active language, its plans named."""
    from memberships.models import PenaltyRulePlan
    from memberships.policy_engine import RuleTerms
    from memberships.policy_wording import rule_sentence

    plans = list(
        PenaltyRulePlan.objects.filter(studio=studio, rule=rule)
        .order_by("plan__name")
        .values_list("plan_id", "plan__name")
    )
    terms = RuleTerms.of(rule, [pk for pk, _name in plans])
    return rule_sentence(terms=terms, plan_names=[name for _pk, name in plans] or None)


# --- the report (REP-3) -------------------------------------------------------------------------

FEE_STATES = ("charged", "failed", "waived", "pending", "reversed", "none")
FEE_STATE_LABELS = {
    "charged": gettext_lazy("Charged"),
    "failed": gettext_lazy("Failed — owed"),
    "waived": gettext_lazy("Waived"),
    "pending": gettext_lazy("Pending"),
    "reversed": gettext_lazy("Reversed"),
    "none": gettext_lazy("No fee"),
}
_STATE_OF = {
    PenaltyStatus.PENDING: "pending",
    PenaltyStatus.CHARGING: "pending",
    PenaltyStatus.CHARGED: "charged",
    PenaltyStatus.PAID: "charged",
    PenaltyStatus.FAILED: "failed",
    PenaltyStatus.WAIVED: "waived",
    PenaltyStatus.REVERSED: "reversed",
}
REPORT_ROWS_MAX = 5000


@dataclass(frozen=True)
class ReportRow:
    event_kind: str
    event_id: int
    trigger: str
    trigger_label: str
    starts_at: dt.datetime  # in the location's zone (the studio's for an online class)
    name: str
    location_name: str
    client_id: int
    client_name: str
    penalty_id: int | None
    amount: int | None
    currency: str
    fee_state: str
    fee_state_label: str


@dataclass(frozen=True)
class ReportTotals:
    events: int
    late_cancels: int
    no_shows: int
    by_state: dict[str, tuple[int, int]]  # state -> (count, amount); amounts in the studio's currency

    @property
    def states(self) -> list[tuple[str, str, int, int]]:
        """(state, label, count, amount) in the report's order, for the states present."""
        return [
            (state, str(FEE_STATE_LABELS[state]), *self.by_state[state])
            for state in FEE_STATES
            if state in self.by_state
        ]


def report_bounds(*, studio: Studio, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[since 00:00, the day after `until` 00:00) in the studio's zone, as aware datetimes."""
    zone = ZoneInfo(studio.time_zone or "UTC")
    start = dt.datetime.combine(since, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def penalty_report(
    *,
    studio: Studio,
    since: dt.date,
    until: dt.date,
    status: str | None = None,
    client: Client | None = None,
    trigger: str | None = None,
    search: str = "",
    limit: int = REPORT_ROWS_MAX,
) -> list[ReportRow]:
    """Late cancels and no-shows from `since` to `until` (dates of the studio's calendar, both
    included), by date, class and client, each with its fee and the fee's state (charged /
    failed (owed) / waived / pending / reversed / none). An event charged under two rules (the
    studio's "every matching rule") reads as two rows. `status` keeps one fee state, `client`
    one client, `search` clients whose name contains it, `trigger` late cancels or no-shows. Two queries, whatever the number of rows.
    """
    from scheduling.models import Appointment, AppointmentStatus, Booking, BookingStatus, SessionStatus

    start, end = report_bounds(studio=studio, since=since, until=until)
    classes = Booking.objects.filter(
        studio=studio,
        status__in=(BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW),
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    ).exclude(session__status=SessionStatus.CANCELLED)  # a class that never happened, as the rules count
    appointments = Appointment.objects.filter(
        studio=studio,
        status__in=(AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW),
        starts_at__gte=start,
        starts_at__lt=end,
    )
    if client is not None:
        classes = classes.filter(client=client)
        appointments = appointments.filter(client=client)
    if search:
        named = Q(client__first_name__icontains=search) | Q(client__last_name__icontains=search)
        classes = classes.filter(named)
        appointments = appointments.filter(named)
    if trigger == PenaltyTrigger.LATE_CANCEL:
        classes = classes.filter(status=BookingStatus.LATE_CANCELLED)
        appointments = appointments.filter(status=AppointmentStatus.LATE_CANCELLED)
    elif trigger == PenaltyTrigger.NO_SHOW:
        classes = classes.filter(status=BookingStatus.NO_SHOW)
        appointments = appointments.filter(status=AppointmentStatus.NO_SHOW)
    kind = CharField()
    events = (
        classes.annotate(kind=Value(EventKind.CLASS, output_field=kind))
        .values_list(
            "kind",
            "id",
            "status",
            "session__starts_at",
            "session__template__name",
            "session__location__name",
            "session__location__time_zone",
            "client_id",
            "client__first_name",
            "client__last_name",
        )
        .order_by()
        .union(
            appointments.annotate(kind=Value(EventKind.APPOINTMENT, output_field=kind))
            .values_list(
                "kind",
                "id",
                "status",
                "starts_at",
                "service__name",
                "calendar__location__name",
                "calendar__location__time_zone",
                "client_id",
                "client__first_name",
                "client__last_name",
            )
            .order_by(),
            all=True,
        )
    )
    # Sorted by date, then class, then client (the union's columns are named after the first query's).
    events = list(
        events.order_by(
            "session__starts_at", "session__template__name", "client__last_name", "client__first_name", "id"
        )[:limit]
    )
    class_ids = [e[1] for e in events if e[0] == EventKind.CLASS]
    appointment_ids = [e[1] for e in events if e[0] == EventKind.APPOINTMENT]
    fees: dict[tuple[str, int], list[tuple]] = {}
    if events:
        for row in (
            Penalty.objects.filter(studio=studio)
            .filter(
                Q(event_kind=EventKind.CLASS, event_id__in=class_ids or [0])
                | Q(event_kind=EventKind.APPOINTMENT, event_id__in=appointment_ids or [0])
            )
            .order_by("rule__position", "id")
            .values_list("event_kind", "event_id", "pk", "trigger", "amount", "currency", "status")
        ):
            fees.setdefault((row[0], row[1]), []).append(row)
    trigger_labels = {value: str(label) for value, label in PenaltyTrigger.choices}
    state_labels = {key: str(label) for key, label in FEE_STATE_LABELS.items()}
    studio_zone = studio.time_zone or "UTC"
    out: list[ReportRow] = []
    for kind_, pk, event_status, starts_at, name, location, zone, client_id, first, last in events:
        event_trigger = (
            PenaltyTrigger.NO_SHOW if event_status == BookingStatus.NO_SHOW else PenaltyTrigger.LATE_CANCEL
        )
        local = starts_at.astimezone(ZoneInfo(zone or studio_zone))
        base = {
            "event_kind": kind_,
            "event_id": pk,
            "trigger": event_trigger,
            "trigger_label": trigger_labels.get(event_trigger, event_trigger),
            "starts_at": local,
            "name": name or "",
            "location_name": location or "",
            "client_id": client_id,
            "client_name": f"{first} {last}".strip(),
        }
        found = fees.get((kind_, pk)) or [None]
        for fee in found:
            if fee is None:
                state, penalty_id, amount, currency = "none", None, None, studio.currency
            else:
                state = _STATE_OF.get(fee[6], "pending")
                penalty_id, amount, currency = fee[2], fee[4], fee[5]
            if status and state != status:
                continue
            out.append(
                ReportRow(
                    **base,
                    penalty_id=penalty_id,
                    amount=amount,
                    currency=currency,
                    fee_state=state,
                    fee_state_label=state_labels[state],
                )
            )
    return out


def report_totals(rows: list[ReportRow]) -> ReportTotals:
    """Counts of events and of fees by state (amounts summed), from the rows already read."""
    events = {(r.event_kind, r.event_id): r.trigger for r in rows}
    by_state: dict[str, tuple[int, int]] = {}
    for row in rows:
        count, amount = by_state.get(row.fee_state, (0, 0))
        by_state[row.fee_state] = (count + 1, amount + (row.amount or 0))
    return ReportTotals(
        events=len(events),
        late_cancels=sum(1 for t in events.values() if t == PenaltyTrigger.LATE_CANCEL),
        no_shows=sum(1 for t in events.values() if t == PenaltyTrigger.NO_SHOW),
        by_state=by_state,
    )
