"""The client-profile panel "Purchases": the client's point-of-sale sales, newest first.

Its rows ride on the query that reads the client (one JSON array annotated on it, the newest
`PURCHASES_LIMIT` sales), so the panel costs the profile no query of its own whatever their
number; links come from one `reverse` per list (`row_url`).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, JSONObject
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from pos.models import Sale, SaleLine, SaleStatus
from pos.selectors.sales import PURCHASES_LIMIT, client_purchases
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, row_url


class PurchaseRow(TypedDict):
    id: int
    number: int | None
    completed_at: dt.datetime | None
    location: str
    total: int
    currency: str
    refunded: int
    url: str | None


def _profile_annotations() -> dict:
    newest = (
        Sale.objects.filter(
            studio_id=OuterRef(OuterRef("studio_id")),
            client_id=OuterRef(OuterRef("pk")),
            status=SaleStatus.COMPLETED,
        )
        .order_by("-completed_at", "-id")
        .values("id")[:PURCHASES_LIMIT]
    )
    refunded = (
        SaleLine.objects.filter(studio_id=OuterRef("studio_id"), sale_id=OuterRef("id"))
        .order_by()
        .values("sale_id")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    rows = (
        Sale.objects.filter(studio_id=OuterRef("studio_id"), client_id=OuterRef("pk"), id__in=newest)
        .order_by()
        .values("client_id")
        .annotate(
            rows=JSONBAgg(
                JSONObject(
                    id=F("id"),
                    number=F("number"),
                    completed_at=F("completed_at"),
                    location=F("location__name"),
                    total=F("total"),
                    currency=F("currency"),
                    refunded=Coalesce(Subquery(refunded), 0),
                ),
                order_by=("-completed_at", "-id"),
            )
        )
        .values("rows")
    )
    return {"pos_purchases_json": Subquery(rows)}


def _rows(items: list[dict] | None, *, url) -> list[PurchaseRow]:
    return [
        PurchaseRow(
            id=item["id"],
            number=item["number"],
            completed_at=parse_datetime(item["completed_at"]) if item.get("completed_at") else None,
            location=item.get("location") or "",
            total=int(item.get("total") or 0),
            currency=item.get("currency") or "",
            refunded=int(item.get("refunded") or 0),
            url=url(item["id"]) if url else None,
        )
        for item in items or []
    ]


def _profile_load(*, request, client) -> dict:
    can_sell = request.staff.has_perm(Perm.SELL_POS)
    url = row_url("pos-sale-receipt", studio_slug=request.studio.slug) if can_sell else None
    if hasattr(client, "pos_purchases_json"):
        rows = _rows(client.pos_purchases_json, url=url)
    else:  # a client read without the annotation
        rows = [
            PurchaseRow(
                id=r.id,
                number=r.number,
                completed_at=r.completed_at,
                location=r.location_name,
                total=r.total,
                currency=r.currency,
                refunded=r.refunded,
                url=url(r.id) if url else None,
            )
            for r in client_purchases(client=client)
        ]
    return {"client": client, "purchases": rows, "limit": PURCHASES_LIMIT}


# What a client bought at the counter is money: the same people who see payments see it.
PURCHASES_PANEL = ProfilePanel(
    key="pos-purchases",
    title=gettext_lazy("Purchases"),
    template="pos/till/_profile_panel.html",
    perms=frozenset({Perm.VIEW_REPORTS, Perm.REFUND, Perm.SELL_POS}),
    annotations=_profile_annotations,
    load=_profile_load,
    order=45,
)
