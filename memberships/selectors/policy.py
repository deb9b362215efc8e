"""Reads of the cancellation policy and its penalty rules (POL-1 … POL-5).

`occurrences_for` turns scheduling's late cancels and no-shows into the engine's `Occurrence`s
with the membership each belongs to (a fixed number of queries whatever the number of events);
`rules_firing` asks the engine which rules charge for one event; `rule_preview` replays the last
90 days through a rule being written. The semantics themselves live in
`memberships.policy_engine`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Q

from memberships.models import (
    CreditUse,
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PenaltyRule,
    PenaltyRulePlan,
    PolicySettings,
    RulesMatch,
)
from memberships.policy_engine import Occurrence, RuleTerms, rule_fires
from scheduling.models import Appointment, AppointmentStatus, Booking, BookingStatus, SessionStatus
from studio.models import Client, Studio

CLASS = "class"
APPOINTMENT = "appointment"
_TRIGGER_OF = {
    BookingStatus.LATE_CANCELLED: "late_cancel",
    BookingStatus.NO_SHOW: "no_show",
}
_BOOKING_STATUSES = (BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW)
_APPOINTMENT_STATUSES = (AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW)
# Memberships that may have been the client's on a past date: anything that was ever paid for.
_HELD_STATUSES = tuple(s for s in MembershipStatus.values if s != MembershipStatus.PENDING)
PREVIEW_DAYS = 90


def policy_settings_get(*, studio: Studio) -> PolicySettings:
    """The studio's policy, or the defaults (unsaved, `saved_at` empty) before staff save it."""
    found = PolicySettings.objects.filter(studio=studio).first()
    return found or PolicySettings(studio=studio)


def penalty_rule_list(*, studio: Studio, include_archived: bool = False) -> list[PenaltyRule]:
    """The studio's rules in their order, each with `plan_ids` (a list). Two queries."""
    rules = PenaltyRule.objects.filter(studio=studio)
    if not include_archived:
        rules = rules.filter(archived_at__isnull=True)
    rules = list(rules.order_by("position", "id"))
    plans: dict[int, list[int]] = defaultdict(list)
    if rules:
        for rule_id, plan_id in PenaltyRulePlan.objects.filter(
            studio=studio, rule_id__in=[r.pk for r in rules]
        ).values_list("rule_id", "plan_id"):
            plans[rule_id].append(plan_id)
    for rule in rules:
        rule.plan_ids = sorted(plans[rule.pk])
    return rules


def penalty_rule_get(*, studio: Studio, pk: int) -> PenaltyRule | None:
    """One of the studio's rules with its `plan_ids`, archived ones included; None if unknown."""
    rule = PenaltyRule.objects.filter(studio=studio, pk=pk).first()
    if rule is not None:
        rule.plan_ids = sorted(
            PenaltyRulePlan.objects.filter(studio=studio, rule=rule).values_list("plan_id", flat=True)
        )
    return rule


# --- occurrences ------------------------------------------------------------------------------


class _Row(NamedTuple):
    kind: str
    id: int
    client_id: int
    status: str
    starts_at: dt.datetime


def _booking_rows(studio: Studio, filters: Q) -> list[_Row]:
    rows = (
        Booking.objects.filter(studio=studio, status__in=_BOOKING_STATUSES)
        .exclude(session__status=SessionStatus.CANCELLED)  # a class that never happened charges no one
        .filter(filters)
        .values_list("id", "client_id", "status", "session__starts_at")
    )
    return [_Row(CLASS, *row) for row in rows]


def _appointment_rows(studio: Studio, filters: Q) -> list[_Row]:
    rows = Appointment.objects.filter(studio=studio, status__in=_APPOINTMENT_STATUSES).filter(filters)
    return [_Row(APPOINTMENT, *row) for row in rows.values_list("id", "client_id", "status", "starts_at")]


def _period_containing(periods: list[tuple[dt.date, dt.date | None]], day: dt.date):
    for start, end in periods:
        if start <= day and (end is None or day < end):
            return start, end
    return None


def _occurrences(studio: Studio, rows: list[_Row]) -> list[Occurrence]:
    """Occurrences of `rows`, each with its membership: the one whose credit paid for the booking,
    else a membership of the client's that covered that date (paid for a period containing it,
    not paused that day; a renewing one first, then the latest started). Three queries, whatever the number of rows."""
    if not rows:
        return []
    zone = ZoneInfo(studio.time_zone or "UTC")
    local = {(r.kind, r.id): r.starts_at.astimezone(zone) for r in rows}

    paid_by: dict[tuple[str, int], int] = {}
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        ids_by_kind[row.kind].append(row.id)
    credit_filter = Q()
    for kind, ids in ids_by_kind.items():
        credit_filter |= Q(booking_kind=kind, booking_id__in=ids)
    for kind, booking_id, membership_id in (
        CreditUse.objects.filter(studio=studio)
        .filter(credit_filter)
        .values_list("booking_kind", "booking_id", "membership_id")
    ):
        paid_by[(kind, booking_id)] = membership_id

    client_ids = {r.client_id for r in rows}
    memberships = {
        m.pk: m
        for m in Membership.objects.filter(studio=studio)
        .select_related("plan")
        .filter(Q(client_id__in=client_ids, status__in=_HELD_STATUSES) | Q(pk__in=set(paid_by.values())))
    }
    periods: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for membership_id, start, end in (
        MembershipPeriod.objects.filter(studio=studio, membership_id__in=list(memberships))
        .order_by("starts_on")
        .values_list("membership_id", "starts_on", "ends_on")
    ):
        periods[membership_id].append((start, end))
    by_client: dict[int, list[Membership]] = defaultdict(list)
    # A renewing membership first (its periods are what "the renewal period" means), then the
    # latest started.
    for membership in sorted(
        memberships.values(),
        key=lambda m: (m.plan.renews, m.started_on or dt.date.min, m.pk),
        reverse=True,
    ):
        by_client[membership.client_id].append(membership)

    def membership_periods(membership: Membership) -> list[tuple[dt.date, dt.date | None]]:
        found = periods.get(membership.pk)
        if found:
            return found
        if membership.current_period_start:  # no period rows (older data): its current one
            return [(membership.current_period_start, membership.current_period_end)]
        return []

    def paused_on(membership: Membership, day: dt.date) -> bool:
        return bool(
            membership.paused_from
            and membership.paused_from <= day
            and (membership.paused_until is None or day < membership.paused_until)
        )

    out = []
    for row in rows:
        at = local[(row.kind, row.id)]
        day = at.date()
        membership, period = None, None
        paying = memberships.get(paid_by.get((row.kind, row.id)))
        if paying is not None:
            membership, period = paying, _period_containing(membership_periods(paying), day)
        else:
            for candidate in by_client.get(row.client_id, ()):
                found = _period_containing(membership_periods(candidate), day)
                if found and not paused_on(candidate, day):
                    membership, period = candidate, found
                    break
        out.append(
            Occurrence(
                client_id=row.client_id,
                trigger=_TRIGGER_OF[row.status],
                event_kind=row.kind,
                event_id=row.id,
                occurred_at=at,
                membership_id=membership.pk if membership else None,
                plan_id=membership.plan_id if membership else None,
                period_start=period[0] if period else None,
                period_end=period[1] if period else None,
            )
        )
    out.sort(key=lambda o: o.order)
    return out


def occurrences_for(
    *, studio: Studio, since: dt.datetime, until: dt.datetime, client_ids: Iterable[int] | None = None
) -> list[Occurrence]:
    """The studio's late cancels and no-shows of classes and appointments starting in
    [since, until), in time order (start, kind, id), optionally of some clients only. Five
    queries whatever the number of events."""
    client_filter = Q()
    if client_ids is not None:
        client_filter = Q(client_id__in=list(client_ids))
    rows = _booking_rows(
        studio, Q(session__starts_at__gte=since, session__starts_at__lt=until) & client_filter
    ) + _appointment_rows(studio, Q(starts_at__gte=since, starts_at__lt=until) & client_filter)
    return _occurrences(studio, rows)


def occurrence_for_event(*, studio: Studio, event_kind: str, event_id: int) -> Occurrence | None:
    """The occurrence of one booking (`class`) or appointment, None when it is not (or no longer)
    a late cancel or a no-show, or is not this studio's."""
    if event_kind == CLASS:
        rows = _booking_rows(studio, Q(pk=event_id))
    elif event_kind == APPOINTMENT:
        rows = _appointment_rows(studio, Q(pk=event_id))
    else:
        return None
    found = _occurrences(studio, rows)
    return found[0] if found else None


def _lookback(terms: Iterable[RuleTerms], event_dates: Sequence[Occurrence]) -> dt.timedelta:
    """How far before an event its rules may count: the longest window (a month as 31 days, a
    renewal period back to the earliest period start among `event_dates`), plus a day."""
    longest = dt.timedelta(0)
    for rule in terms:
        if rule.window_unit == "days":
            span = dt.timedelta(days=rule.window_length)
        elif rule.window_unit == "weeks":
            span = dt.timedelta(weeks=rule.window_length)
        elif rule.window_unit == "months":
            span = dt.timedelta(days=31 * rule.window_length)
        else:
            span = max(
                (
                    dt.timedelta(days=(e.occurred_at.date() - e.period_start).days)
                    for e in event_dates
                    if e.period_start is not None
                ),
                default=dt.timedelta(0),
            )
        longest = max(longest, span)
    return longest + dt.timedelta(days=1)


def _active_rules(studio: Studio) -> list[tuple[PenaltyRule, RuleTerms]]:
    return [(rule, RuleTerms.of(rule, rule.plan_ids)) for rule in penalty_rule_list(studio=studio)]


def rules_firing(
    *, studio: Studio, event: Occurrence, history: Sequence[Occurrence] | None = None
) -> list[PenaltyRule]:
    """The active rules that charge for `event`, in their order; only the first of them when the
    policy says the first match charges. Without `history` the client's earlier occurrences are
    read (as far back as the longest rule looks)."""
    rules = _active_rules(studio)
    if not rules:
        return []
    if history is None:
        since = event.occurred_at - _lookback([t for _, t in rules], [event])
        history = occurrences_for(
            studio=studio,
            since=since,
            until=event.occurred_at + dt.timedelta(seconds=1),
            client_ids=[event.client_id],
        )
    first_only = policy_settings_get(studio=studio).rules_match == RulesMatch.FIRST
    firing = []
    for rule, terms in rules:
        if rule_fires(rule=terms, event=event, history=history):
            firing.append(rule)
            if first_only:
                break
    return firing


class PreviewRow(NamedTuple):
    occurrence: Occurrence
    client_name: str
    amount: int


class Preview(NamedTuple):
    rows: list[PreviewRow]
    total: int
    count: int
    currency: str
    since: dt.datetime


def rule_preview(*, studio: Studio, terms: RuleTerms, now: dt.datetime, days: int = PREVIEW_DAYS) -> Preview:
    """What `terms` would have charged over the last `days` days: the events it fires on, in time
    order, each with the client's name and the fee, and the total. The rule is judged alone (as
    if it were the only one), counting earlier occurrences as charging would. Seven queries."""
    since = now - dt.timedelta(days=days)
    events = occurrences_for(studio=studio, since=since, until=now)
    earlier: list[Occurrence] = []
    if events:
        reach = since - _lookback([terms], events)
        earlier = occurrences_for(
            studio=studio, since=reach, until=since, client_ids={e.client_id for e in events}
        )
    by_client: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in [*earlier, *events]:
        by_client[occurrence.client_id].append(occurrence)
    firing = [e for e in events if rule_fires(rule=terms, event=e, history=by_client[e.client_id])]
    names = (
        dict(
            (pk, f"{first} {last}".strip())
            for pk, first, last in Client.objects.filter(
                studio=studio, pk__in={e.client_id for e in firing}
            ).values_list("pk", "first_name", "last_name")
        )
        if firing
        else {}
    )
    rows = [PreviewRow(e, names.get(e.client_id, ""), terms.fee_amount) for e in firing]
    return Preview(
        rows=rows,
        total=terms.fee_amount * len(rows),
        count=len(rows),
        currency=terms.currency,
        since=since,
    )
