"""Reads of a client's memberships and of one membership's history (MEM-2). No side effects,
a fixed number of queries whatever the number of memberships or history rows (Q-3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When

from memberships.models import CreditUse, Membership, MembershipPeriod, Renewal
from memberships.models.memberships import CURRENT_STATUSES
from memberships.selectors.renewals import renewal_failure_reason
from payments.models import Payment
from payments.services.routing import route_reason
from scheduling import selectors as scheduling_selectors
from studio.models import Client

SALE_SOURCE = "membership_sale"


def memberships_for_client(*, client: Client) -> list[Membership]:
    """The client's memberships, current ones first (awaiting payment, active, past due, paused),
    then the others; newest first within each group. One query, the plan joined in."""
    current = Case(
        When(status__in=CURRENT_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(
        Membership.objects.filter(studio_id=client.studio_id, client_id=client.pk)
        .select_related("plan")
        .annotate(current_rank=current)
        .order_by("current_rank", "-created_at", "-id")
    )


def membership_sale_payment_id(*, membership: Membership) -> int | None:
    """The payment of the membership's sale (its key `membership_sale:<id>`), e.g. for the period a
    pass counted from its first class opens at that class. None for a sale not charged yet."""
    return (
        Payment.objects.filter(
            studio_id=membership.studio_id, source_type=SALE_SOURCE, source_id=str(membership.pk)
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


@dataclass
class PaymentLine:
    """A payment of the membership as its history shows it: amount, status, account and why."""

    id: int
    created_at: dt.datetime
    amount: int
    currency: str
    status: str
    status_label: str
    account: str
    route_reason: str
    failure_message: str
    outcome_unknown: bool


@dataclass
class CreditLine:
    id: int
    booking_kind: str
    booking_id: int
    credits: int
    used_at: dt.datetime
    returned_at: dt.datetime | None
    name: str = ""  # the class or appointment type booked
    starts_at: dt.datetime | None = None


@dataclass
class MembershipHistory:
    membership: Membership
    periods: list[MembershipPeriod] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    credit_uses: list[CreditLine] = field(default_factory=list)
    payments: dict[int, PaymentLine] = field(default_factory=dict)
    sale_payments: list[PaymentLine] = field(default_factory=list)  # the sale's attempts, periods or not

    @property
    def unattached_sale_payments(self) -> list[PaymentLine]:
        """The sale's payments no period shows (declined, or still awaiting Stripe's answer)."""
        shown = {p.payment_id for p in self.periods}
        return [line for line in self.sale_payments if line.id not in shown]


def membership_history(*, membership: Membership) -> MembershipHistory:
    """Everything that happened to `membership`: its periods (with the payment of each), its
    renewal attempts, its credit uses (the class or appointment named) and the sale's payment
    even when no period came of it (declined, awaiting payment). Five queries, whatever the length."""
    studio_id = membership.studio_id
    periods = list(MembershipPeriod.objects.filter(studio_id=studio_id, membership_id=membership.pk))
    renewals = list(Renewal.objects.filter(studio_id=studio_id, membership_id=membership.pk))
    for renewal in renewals:
        # Stored as a code, worded here in the reader's language.
        renewal.failure_reason = renewal_failure_reason(renewal.failure_code)
    uses = list(
        CreditUse.objects.filter(studio_id=studio_id, membership_id=membership.pk).values_list(
            "id", "booking_kind", "booking_id", "credits", "used_at", "returned_at"
        )
    )
    payment_ids = {p.payment_id for p in periods if p.payment_id} | {
        r.payment_id for r in renewals if r.payment_id
    }
    payments = {}
    sale = []
    labels = dict(Payment.Status.choices)
    for p in (
        Payment.objects.filter(studio_id=studio_id)
        .filter(Q(pk__in=payment_ids) | Q(source_type=SALE_SOURCE, source_id=str(membership.pk)))
        .select_related("account")
        .only(
            "id",
            "created_at",
            "amount",
            "currency",
            "status",
            "routing_rule",
            "routing_params",
            "failure_message",
            "outcome_unknown",
            "source_type",
            "source_id",
            "account__display_name",
        )
        .order_by("created_at", "id")
    ):
        line = PaymentLine(
            id=p.pk,
            created_at=p.created_at,
            amount=p.amount,
            currency=p.currency,
            status=p.status,
            status_label=str(labels.get(p.status, p.status)),
            account=p.account.display_name if p.account_id else "",
            route_reason=route_reason(rule=p.routing_rule, params=p.routing_params or {}),
            failure_message=p.failure_message,
            outcome_unknown=p.outcome_unknown,
        )
        payments[p.pk] = line
        if p.source_type == SALE_SOURCE:
            sale.append(line)
    # Each period and renewal carries its payment's line, for the template.
    for row in (*periods, *renewals):
        row.payment_line = payments.get(row.payment_id) if row.payment_id else None
    for period in periods:
        period.last_day = period.ends_on - dt.timedelta(days=1) if period.ends_on else None
    described = scheduling_selectors.bookings_described(
        class_booking_ids=[u[2] for u in uses if u[1] == CreditUse.BookingKind.CLASS],
        appointment_ids=[u[2] for u in uses if u[1] == CreditUse.BookingKind.APPOINTMENT],
        studio_zone=membership.studio.time_zone,
    )
    credit_lines = []
    for pk, kind, booking_id, credits, used_at, returned_at in uses:
        name, starts_at = described.get((kind, booking_id), ("", None))
        credit_lines.append(CreditLine(pk, kind, booking_id, credits, used_at, returned_at, name, starts_at))
    return MembershipHistory(
        membership=membership,
        periods=periods,
        renewals=renewals,
        credit_uses=credit_lines,
        payments=payments,
        sale_payments=sale,
    )
