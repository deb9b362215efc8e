"""Reads of the renewals page (MEM-3): what is due, what is coming, what is failing, who is past due.

Every list reads its rows with their client and plan in one query, and each list is bounded, so
the page's query count does not grow with the number of rows (tested at 1 and 200 rows). Dates
are the studio's calendar dates (`studio.time_zone`), as the memberships' periods are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memberships.models import Membership, MembershipStatus, Renewal, RenewalStatus
from memberships.periods import studio_today
from studio.models import Studio

# A tab shows at most this many rows (the oldest problems first); the tab's count says how many
# there are in all, so nothing is silently hidden.
ROWS_MAX = 200
UPCOMING_WINDOWS = (7, 30)
FAILED_SHOWN_DAYS = 30
TABS = ("today", "upcoming", "failing", "past_due")
# The statuses of the night's run, in the order the progress bar shows them.
PROGRESS_STATUSES = (
    RenewalStatus.DUE,
    RenewalStatus.PROCESSING,
    RenewalStatus.SUCCEEDED,
    RenewalStatus.RETRYING,
    RenewalStatus.FAILED,
)
# Statuses whose next step is the worker's, minutes away: while any of today's renewals is in one,
# the page polls the progress.
IN_PROGRESS = (RenewalStatus.DUE,)

# Why a renewal failed, from the code the engine stores (a Stripe decline code, or our own).
FAILURE_REASONS = {
    "card_declined": gettext_lazy("The card was declined."),
    "generic_decline": gettext_lazy("The card was declined by the bank."),
    "do_not_honor": gettext_lazy("The card was declined by the bank."),
    "insufficient_funds": gettext_lazy("The card has insufficient funds."),
    "expired_card": gettext_lazy("The card has expired."),
    "incorrect_cvc": gettext_lazy("The card's security code was refused."),
    "lost_card": gettext_lazy("The card was reported lost."),
    "stolen_card": gettext_lazy("The card was reported stolen."),
    "processing_error": gettext_lazy("The bank could not process the card."),
    "authentication_required": gettext_lazy(
        "The bank asks the client to confirm the payment themselves (3-D Secure)."
    ),
    "no_method": gettext_lazy("No usable payment method on the account the renewal is charged to."),
    "debit_failed": gettext_lazy("The bank debit failed."),
    "payment_method_not_available": gettext_lazy("The payment method cannot be used any more."),
    "insufficient_funds_debit": gettext_lazy("The bank account has insufficient funds."),
    "failed": gettext_lazy("The payment was refused."),
    "canceled": gettext_lazy("The payment was cancelled."),
}


def renewal_failure_reason(code: str) -> str:
    """A renewal's failure code as a sentence in the active language (an unknown code reads as a
    refusal, with the code kept for support)."""
    if not code:
        return ""
    known = FAILURE_REASONS.get(code)
    if known is not None:
        return str(known)
    return _("The payment was refused (%(code)s).") % {"code": code}


@dataclass(frozen=True)
class Progress:
    """Today's renewals by status, for the night's run."""

    counts: dict[str, int]
    total: int

    @property
    def in_progress(self) -> bool:
        return any(self.counts.get(status, 0) for status in IN_PROGRESS)

    @property
    def done(self) -> int:
        return self.total - sum(self.counts.get(status, 0) for status in IN_PROGRESS)

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        """(code, label, count) in the bar's order."""
        labels = dict(RenewalStatus.choices)
        return [(status, labels[status], self.counts.get(status, 0)) for status in PROGRESS_STATUSES]


def renewals_progress(*, studio: Studio, today: dt.date) -> Progress:
    """Counts of the renewals of periods starting today, by status: one query."""
    counts = dict(
        Renewal.objects.filter(studio=studio, period_start=today)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Progress(counts=counts, total=sum(counts.values()))


@dataclass(frozen=True)
class TabCounts:
    today: int = 0
    upcoming: int = 0
    failing: int = 0
    past_due: int = 0


def _renewing(studio: Studio) -> QuerySet[Membership]:
    # Memberships the night's run would charge: active or past due, with a renewal date.
    return Membership.objects.filter(
        studio=studio,
        status__in=(MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE),
        next_renewal_on__isnull=False,
    )


def _failing(studio: Studio) -> QuerySet[Renewal]:
    return Renewal.objects.filter(studio=studio, status__in=(RenewalStatus.RETRYING, RenewalStatus.FAILED))


def _failing_now(studio: Studio, today: dt.date) -> QuerySet[Renewal]:
    """The failing tab: every renewal still retrying, and those failed for good whose membership is
    still past due or that failed in the last `FAILED_SHOWN_DAYS` days (older ones, of memberships
    since cancelled, are history: the membership's page keeps them)."""
    since = dt.datetime.combine(today - dt.timedelta(days=FAILED_SHOWN_DAYS), dt.time(), tzinfo=dt.UTC)
    return _failing(studio).filter(
        Q(status=RenewalStatus.RETRYING)
        | Q(membership__status=MembershipStatus.PAST_DUE)
        | Q(updated_at__gte=since)
    )


def _due_not_started(studio: Studio, today: dt.date) -> QuerySet[Membership]:
    # Due (or overdue) and the night's run has not made its renewal row yet.
    started = Renewal.objects.filter(
        studio=studio, membership_id=OuterRef("pk"), period_start=OuterRef("next_renewal_on")
    )
    return (
        _renewing(studio)
        .filter(next_renewal_on__lte=today, status=MembershipStatus.ACTIVE)
        .exclude(Exists(started))
    )


def renewals_tab_counts(*, studio: Studio, today: dt.date, window_days: int, progress: Progress) -> TabCounts:
    """How many rows each tab has: three queries (today's renewals are the progress's counts)."""
    memberships = Membership.objects.filter(studio=studio).aggregate(
        upcoming=Count(
            "id",
            filter=Q(
                next_renewal_on__gt=today,
                next_renewal_on__lte=today + dt.timedelta(days=window_days),
                status=MembershipStatus.ACTIVE,
            ),
        ),
        past_due=Count("id", filter=Q(status=MembershipStatus.PAST_DUE)),
    )
    return TabCounts(
        today=progress.total + _due_not_started(studio, today).count(),
        upcoming=memberships["upcoming"],
        failing=_failing_now(studio, today).count(),
        past_due=memberships["past_due"],
    )


@dataclass
class MembershipRow:
    membership: Membership
    renewal: Renewal | None = None  # the renewal of the period due (today's tab), or the open one

    @property
    def reason(self) -> str:
        return renewal_failure_reason(self.renewal.failure_code) if self.renewal else ""


@dataclass
class RenewalsPage:
    tab: str
    today: dt.date
    window_days: int
    counts: TabCounts
    progress: Progress
    memberships: list[MembershipRow] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    more: bool = False


def _with_people(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("client", "plan")


def renewals_page(
    *, studio: Studio, tab: str = "today", window_days: int = 7, now: dt.datetime | None = None
) -> RenewalsPage:
    """One tab of the renewals page, with every tab's count and today's progress.

    - today: memberships due today (or overdue and not yet charged), with their renewal's status;
    - upcoming: due in the next `window_days` (7 or 30) days;
    - failing: renewals retrying or failed for good, with the reason, attempts and next attempt;
    - past_due: memberships past due, with the renewal that failed.
    """
    tab = tab if tab in TABS else "today"
    window_days = window_days if window_days in UPCOMING_WINDOWS else UPCOMING_WINDOWS[0]
    today = studio_today(studio=studio, now=now)
    progress = renewals_progress(studio=studio, today=today)
    page = RenewalsPage(
        tab=tab,
        today=today,
        window_days=window_days,
        counts=renewals_tab_counts(studio=studio, today=today, window_days=window_days, progress=progress),
        progress=progress,
    )
    if tab == "failing":
        found = list(
            _failing_now(studio, today)
            .select_related("membership__client", "membership__plan")
            .order_by(F("next_attempt_at").asc(nulls_last=True), "period_start", "id")[: ROWS_MAX + 1]
        )
        for renewal in found:
            _annotate(renewal)
        page.renewals, page.more = found[:ROWS_MAX], len(found) > ROWS_MAX
        return page
    if tab == "today":
        # Today's renewals (waiting, charging, done), then those due the run has not reached.
        started = list(
            Renewal.objects.filter(studio=studio, period_start=today)
            .select_related("membership__client", "membership__plan")
            .order_by("status", "id")[: ROWS_MAX + 1]
        )
        waiting = list(
            _with_people(_due_not_started(studio, today)).order_by("next_renewal_on", "id")[: ROWS_MAX + 1]
        )
        rows = [MembershipRow(m) for m in waiting] + [
            MembershipRow(r.membership, _annotate(r)) for r in started
        ]
        page.memberships, page.more = rows[:ROWS_MAX], len(rows) > ROWS_MAX
        return page
    if tab == "upcoming":
        queryset = _renewing(studio).filter(
            next_renewal_on__gt=today,
            next_renewal_on__lte=today + dt.timedelta(days=window_days),
            status=MembershipStatus.ACTIVE,
        )
    else:
        queryset = Membership.objects.filter(studio=studio, status=MembershipStatus.PAST_DUE)
    found = list(_with_people(queryset).order_by("next_renewal_on", "id")[: ROWS_MAX + 1])
    rows = found[:ROWS_MAX]
    page.more = len(found) > ROWS_MAX
    renewals = _open_renewals(studio, rows) if tab == "past_due" else {}
    page.memberships = [MembershipRow(m, _annotate(renewals.get(m.pk))) for m in rows]
    return page


def _open_renewals(studio: Studio, rows: list[Membership]) -> dict[int, Renewal]:
    """Each past-due membership's latest failing renewal: one query."""
    if not rows:
        return {}
    found = (
        _failing(studio)
        .filter(membership_id__in=[m.pk for m in rows])
        .order_by("membership_id", "-period_start", "-id")
        .distinct("membership_id")
    )
    return {r.membership_id: r for r in found}


def renewal_for_retry(*, studio: Studio, pk: int) -> Renewal | None:
    """One of this studio's renewals with its membership and client, for "Retry now" (None: not this
    studio's). Whether it still needs a retry is the caller's check (`renewal_needs_retry`)."""
    return (
        Renewal.objects.filter(studio=studio, pk=pk)
        .select_related("membership__client", "membership__plan")
        .first()
    )


def renewal_version(renewal: Renewal) -> str:
    """What a page saw of a renewal, carried by its "Retry now" form: any change since (an attempt,
    a retry already queued by a first click) makes the form stale."""
    return str(int(renewal.updated_at.timestamp() * 1_000_000))


def _annotate(renewal: Renewal | None) -> Renewal | None:
    if renewal is not None:
        renewal.reason = renewal_failure_reason(renewal.failure_code)
        renewal.version = renewal_version(renewal)
    return renewal


def renewal_needs_retry(renewal: Renewal) -> bool:
    return renewal.status in (RenewalStatus.RETRYING, RenewalStatus.FAILED)
