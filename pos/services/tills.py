"""Cash sessions (POS-7): open the till with a counted float, close it with the cash counted.

One open till per location: `till_open` locks the location's row before looking for an open
session, so two clerks pressing "Open the till" at the same moment are served one after the
other and the second is told who opened it and when; the partial unique constraint
`one_open_till_per_location` is the last wall behind the lock.

What the drawer should hold at closing (`expected`) is the float, plus the cash tenders of the
session's sales (a cash tender records what it paid — the change handed back is already netted
out), minus the cash handed back (refunds of cash tenders made at this location while the till
was open). Card, credit, fee and tip totals are informative: they are not in the drawer.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import Payment, Refund
from pos.models import CashSession, Sale, SaleStatus, SaleTender, TenderKind, TenderStatus
from studio.formats import date_format
from studio.models import Location, Studio
from studio.services import Actor, audit_record

# The order a report lists tender kinds in: the drawer first, then cards, then credit.
KIND_ORDER = (
    TenderKind.CASH,
    TenderKind.READER,
    TenderKind.SAVED_CARD,
    TenderKind.MANUAL_CARD,
    TenderKind.CREDIT,
)
CARD_KINDS = frozenset({TenderKind.READER, TenderKind.SAVED_CARD, TenderKind.MANUAL_CARD})


def _check_amount(value: int, *, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(_("Enter an amount of zero or more."), code=what)


def till_opened_sentence(*, session: CashSession) -> str:
    """Who opened the location's till and when (in the location's zone), as a sentence."""
    who = session.opened_by.get_full_name() if session.opened_by_id else "—"
    when = date_format(
        timezone.localtime(session.opened_at, location_zone(location=session.location)), "DATETIME_FORMAT"
    )
    return _("The till at %(location)s is already open: opened on %(when)s by %(who)s.") % {
        "location": session.location.name,
        "who": who,
        "when": when,
    }


def location_zone(*, location: Location) -> zoneinfo.ZoneInfo:
    """The location's zone (UTC when its name is unknown: a bad row must not stop a report)."""
    try:
        return zoneinfo.ZoneInfo(location.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def till_current(*, studio: Studio, location: Location) -> CashSession | None:
    """The location's open till, if any (with who opened it)."""
    return (
        CashSession.objects.filter(studio=studio, location=location, closed_at__isnull=True)
        .select_related("opened_by", "location")
        .first()
    )


def till_open(*, studio: Studio, actor: Actor, location: Location, opening_float: int) -> CashSession:
    """Open the till of `location` with `opening_float` minor units counted in the drawer.

    ValidationError when the location cannot sell (not a home location, archived, another
    studio's) or when its till is already open (the sentence names who opened it and when).
    """
    _check_amount(opening_float, what="opening_float")
    if location.studio_id != studio.pk:
        raise ValidationError(_("This location belongs to another studio."), code="studio")
    if not location.is_home_location or location.archived_at is not None:
        raise ValidationError(
            _("Only an active home location can sell at the point of sale."), code="location"
        )
    try:
        with transaction.atomic():
            # Serialises two openings of the same till: the second waits, then sees the first.
            Location.objects.select_for_update().get(pk=location.pk, studio=studio)
            existing = till_current(studio=studio, location=location)
            if existing is not None:
                raise ValidationError(till_opened_sentence(session=existing), code="already_open")
            session = CashSession.objects.create(
                studio=studio,
                location=location,
                currency=studio.currency,
                opening_float=opening_float,
                opened_by=actor.user,
            )
            audit_record(
                studio=studio,
                actor=actor,
                action="till.opened",
                obj=session,
                changes={"location": location.pk, "opening_float": opening_float},
            )
    except IntegrityError:
        existing = till_current(studio=studio, location=location)
        if existing is None:
            raise
        raise ValidationError(till_opened_sentence(session=existing), code="already_open") from None
    session.location = location
    return session


@dataclass(frozen=True)
class KindTotal:
    """One tender kind's takings in a session."""

    kind: str
    label: str
    count: int = 0
    amount: int = 0  # the sales' share paid this way (no fee, no tip)
    card_fee: int = 0
    tip: int = 0
    refunded: int = 0

    @property
    def collected(self) -> int:
        return self.amount + self.card_fee + self.tip


@dataclass(frozen=True)
class TillReport:
    """What a till took between its opening and its closing (or now, while open)."""

    session: CashSession
    location: Location
    currency: str
    opened_at: dt.datetime
    until: dt.datetime
    opening_float: int
    cash_taken: int
    cash_refunded: int
    expected_cash: int
    counted_cash: int | None
    kinds: list[KindTotal] = field(default_factory=list)
    sales_count: int = 0
    voided_count: int = 0
    returns_count: int = 0
    sales_total: int = 0
    tax_total: int = 0
    discount_total: int = 0
    card_fees: int = 0
    tips: int = 0
    refunds_total: int = 0
    tax_lines: list[dict] = field(default_factory=list)

    @property
    def over_short(self) -> int | None:
        """Counted minus expected: positive is over, negative short (None until counted)."""
        return None if self.counted_cash is None else self.counted_cash - self.expected_cash

    @property
    def difference(self) -> int:
        """How much over or short, without its sign (the page says which)."""
        return abs(self.over_short or 0)

    @property
    def card_total(self) -> int:
        return sum(k.collected for k in self.kinds if k.kind in CARD_KINDS)

    @property
    def credit_total(self) -> int:
        return sum(k.amount for k in self.kinds if k.kind == TenderKind.CREDIT)


def expected_cash_for(*, opening_float: int, cash_taken: int, cash_refunded: int) -> int:
    """What the drawer should hold: the float, plus cash taken, minus cash handed back."""
    return opening_float + cash_taken - cash_refunded


def _refunds_in_session(session: CashSession, until: dt.datetime):
    """Refunds of this location's sale tenders made while the till was open (a return of last
    week's sale made today comes out of today's drawer)."""
    tender_payments = SaleTender.objects.filter(
        studio_id=session.studio_id, sale__location_id=session.location_id, payment__isnull=False
    ).values("payment_id")
    return Refund.objects.filter(
        studio_id=session.studio_id,
        status=Refund.Status.SUCCEEDED,
        payment_id__in=tender_payments,
        created_at__gte=session.opened_at,
        created_at__lte=until,
    )


def till_report(*, session: CashSession, now: dt.datetime | None = None) -> TillReport:
    """The session's totals: per tender kind, the drawer's arithmetic, sales and returns.

    A fixed number of queries whatever the number of sales (aggregates, not rows).
    """
    until = session.closed_at or now or timezone.now()
    studio_id = session.studio_id
    tenders = SaleTender.objects.filter(
        studio_id=studio_id, sale__cash_session=session, status=TenderStatus.SUCCEEDED
    )
    per_kind = {
        row["kind"]: row
        for row in tenders.values("kind")
        .order_by()
        .annotate(
            count=Count("id"),
            amount=Sum("amount"),
            card_fee=Sum("card_fee_amount"),
            tip=Sum("tip_amount"),
        )
    }
    refunds = _refunds_in_session(session, until)
    refunded_by_method = {
        row["payment__method"]: int(row["total"] or 0)
        for row in refunds.filter(destination=Refund.Destination.ORIGINAL)
        .values("payment__method")
        .order_by()
        .annotate(total=Sum("amount"))
    }
    refunds_total = int(refunds.aggregate(total=Sum("amount"))["total"] or 0)
    method_of_kind = {
        TenderKind.CASH: Payment.Method.CASH,
        TenderKind.CREDIT: Payment.Method.CREDIT,
        TenderKind.READER: Payment.Method.CARD_PRESENT,
        TenderKind.SAVED_CARD: Payment.Method.SAVED_METHOD,
        TenderKind.MANUAL_CARD: Payment.Method.CARD,
    }
    labels = dict(TenderKind.choices)
    kinds = []
    for kind in KIND_ORDER:
        row = per_kind.get(kind, {})
        kinds.append(
            KindTotal(
                kind=kind,
                label=str(labels[kind]),
                count=int(row.get("count") or 0),
                amount=int(row.get("amount") or 0),
                card_fee=int(row.get("card_fee") or 0),
                tip=int(row.get("tip") or 0),
                refunded=refunded_by_method.get(method_of_kind[kind], 0),
            )
        )
    sales = Sale.objects.filter(studio_id=studio_id, cash_session=session)
    totals = sales.aggregate(
        completed=Count("id", filter=Q(status=SaleStatus.COMPLETED)),
        voided=Count("id", filter=Q(status=SaleStatus.VOIDED)),
        total=Sum("total", filter=Q(status=SaleStatus.COMPLETED)),
        tax=Sum("tax_total", filter=Q(status=SaleStatus.COMPLETED)),
        discount=Sum("discount_total", filter=Q(status=SaleStatus.COMPLETED)),
    )
    tax_lines = _sum_tax_lines(sales.filter(status=SaleStatus.COMPLETED).values_list("tax_lines", flat=True))
    # Returns: completed sales given money back while the till was open (a void is not a return).
    returns_count = (
        SaleTender.objects.filter(
            studio_id=studio_id,
            sale__status=SaleStatus.COMPLETED,
            payment_id__in=refunds.values("payment_id"),
        )
        .values("sale_id")
        .distinct()
        .count()
    )
    cash = next(k for k in kinds if k.kind == TenderKind.CASH)
    expected = expected_cash_for(
        opening_float=session.opening_float, cash_taken=cash.amount, cash_refunded=cash.refunded
    )
    if session.closed_at is not None and session.expected_cash is not None:
        expected = session.expected_cash  # what the clerk was shown and confirmed
    return TillReport(
        session=session,
        location=session.location,
        currency=session.currency,
        opened_at=session.opened_at,
        until=until,
        opening_float=session.opening_float,
        cash_taken=cash.amount,
        cash_refunded=cash.refunded,
        expected_cash=expected,
        counted_cash=session.counted_cash,
        kinds=kinds,
        sales_count=int(totals["completed"] or 0),
        voided_count=int(totals["voided"] or 0),
        returns_count=returns_count,
        sales_total=int(totals["total"] or 0),
        tax_total=int(totals["tax"] or 0),
        discount_total=int(totals["discount"] or 0),
        card_fees=sum(k.card_fee for k in kinds),
        tips=sum(k.tip for k in kinds),
        refunds_total=refunds_total,
        tax_lines=tax_lines,
    )


def _sum_tax_lines(rows) -> list[dict]:
    """The sales' tax lines summed by tax (name and rate), in first-seen order."""
    summed: dict[tuple[str, str], int] = {}
    for lines in rows:
        for line in lines or []:
            key = (str(line.get("name", "")), str(line.get("rate", "")))
            summed[key] = summed.get(key, 0) + int(line.get("amount") or 0)
    return [{"name": name, "rate": rate, "amount": amount} for (name, rate), amount in summed.items()]


def till_close(
    *, studio: Studio, actor: Actor, session: CashSession, counted_cash: int, note: str = ""
) -> CashSession:
    """Close the till with `counted_cash` minor units counted; records what was expected.

    ValidationError when it is closed already (a double click, or a colleague): closing twice
    would overwrite the first count.
    """
    _check_amount(counted_cash, what="counted_cash")
    if session.studio_id != studio.pk:
        raise ValidationError(_("This till belongs to another studio."), code="studio")
    with transaction.atomic():
        locked = (
            CashSession.objects.select_for_update(of=("self",))
            .select_related("location")
            .get(pk=session.pk, studio=studio)
        )
        if locked.closed_at is not None:
            raise ValidationError(_("This till is already closed."), code="closed")
        now = timezone.now()
        report = till_report(session=locked, now=now)
        locked.counted_cash = counted_cash
        locked.expected_cash = report.expected_cash
        locked.closed_by = actor.user
        locked.closed_at = now
        locked.note = note[:500]
        locked.save(update_fields=["counted_cash", "expected_cash", "closed_by", "closed_at", "note"])
        audit_record(
            studio=studio,
            actor=actor,
            action="till.closed",
            obj=locked,
            changes={
                "counted_cash": counted_cash,
                "expected_cash": report.expected_cash,
                "over_short": counted_cash - report.expected_cash,
            },
        )
    return locked
