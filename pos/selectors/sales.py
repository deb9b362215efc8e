"""Reads of sales for the till's pages: a location's sales of one day, a client's purchases.

Each list is one query whatever its length: the rows are read as plain values with their
tenders' kinds aggregated on the sale's row, labels translated once per list.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from pos.models import Sale, SaleStatus, TenderKind, TenderStatus
from studio.models import Client, Location, Studio

DAY_LIMIT = 500  # a location's busiest day, with room to spare; the page says when it is cut
PURCHASES_LIMIT = 10


@dataclass(frozen=True)
class SaleRow:
    id: int
    number: int | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    status: str
    status_label: str
    client_id: int | None
    client_name: str
    total: int
    currency: str
    tenders: list[str]  # the tender kinds' labels, in the order taken
    refunded: int
    location_name: str = ""

    @property
    def is_completed(self) -> bool:
        return self.status == SaleStatus.COMPLETED


def _local_day_bounds(zone_name: str, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def location_today(*, location: Location, now: dt.datetime | None = None) -> dt.date:
    """Today's date at `location` (its own zone)."""
    try:
        zone = zoneinfo.ZoneInfo(location.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.localtime(now or timezone.now(), zone).date()


def _rows(queryset, *, limit: int) -> list[SaleRow]:
    labels = {value: str(label) for value, label in SaleStatus.choices}
    tender_labels = {value: str(label) for value, label in TenderKind.choices}
    values = (
        queryset.annotate(
            tender_kinds=ArrayAgg(
                "tenders__kind",
                filter=Q(tenders__status=TenderStatus.SUCCEEDED),
                order_by=("tenders__created_at", "tenders__id"),
                default=[],
            ),
        )
        .values_list(
            "id",
            "number",
            "created_at",
            "completed_at",
            "status",
            "client_id",
            "client__first_name",
            "client__last_name",
            "total",
            "currency",
            "tender_kinds",
            "location__name",
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        SaleRow(
            id=pk,
            number=number,
            created_at=created_at,
            completed_at=completed_at,
            status=status,
            status_label=labels.get(status, status),
            client_id=client_id,
            client_name=f"{first or ''} {last or ''}".strip(),
            total=total,
            currency=currency,
            tenders=[tender_labels.get(kind, kind) for kind in kinds or []],
            refunded=0,
            location_name=location_name,
        )
        for (
            pk,
            number,
            created_at,
            completed_at,
            status,
            client_id,
            first,
            last,
            total,
            currency,
            kinds,
            location_name,
        ) in values
    ]


def _refunded_by_sale(studio_id: int, ids: list[int]) -> dict[int, int]:
    """What went back on each sale's lines (one query; a join would multiply the tenders' rows)."""
    if not ids:
        return {}
    rows = (
        Sale.objects.filter(studio_id=studio_id, pk__in=ids)
        .annotate(refunded=Coalesce(Sum("lines__refunded_amount"), 0))
        .values_list("id", "refunded")
    )
    return dict(rows)


def _with_refunds(studio_id: int, rows: list[SaleRow]) -> list[SaleRow]:
    refunded = _refunded_by_sale(studio_id, [r.id for r in rows])
    return [
        SaleRow(**{**row.__dict__, "refunded": int(refunded.get(row.id, 0))}) if refunded.get(row.id) else row
        for row in rows
    ]


def sales_of_day(
    *, studio: Studio, location: Location, day: dt.date | None = None, limit: int = DAY_LIMIT
) -> list[SaleRow]:
    """The sales begun at `location` on `day` (its local date; today by default), newest first,
    the carts still open left out (they are the screen's). Two queries whatever their number."""
    day = day or location_today(location=location)
    start, end = _local_day_bounds(location.time_zone, day)
    queryset = Sale.objects.filter(
        studio=studio, location=location, created_at__gte=start, created_at__lt=end
    ).exclude(status=SaleStatus.OPEN)
    return _with_refunds(studio.pk, _rows(queryset, limit=limit))


def client_purchases(*, client: Client, limit: int = PURCHASES_LIMIT) -> list[SaleRow]:
    """The client's completed point-of-sale sales, newest first (two queries)."""
    queryset = Sale.objects.filter(studio_id=client.studio_id, client=client, status=SaleStatus.COMPLETED)
    return _with_refunds(client.studio_id, _rows(queryset, limit=limit))
