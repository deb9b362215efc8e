"""The client-profile panel "Online orders", the account page's "My purchases" link, and what
the fulfilment part (ful) registers in the platform (`register()`, called from registrations).

The panel's rows ride on the query that reads the client (one JSON array annotated on it, the
newest `PANEL_LIMIT` orders paid or being paid), so it costs the profile no query of its own
whatever their number; links come from one `reverse` per list (`row_url`).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from checkout.models import Order, OrderLine, OrderStatus
from checkout.services.fulfilment import LOST_PREFIX
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url

PANEL_LIMIT = 10
SHOWN_STATUSES = (OrderStatus.PAID, OrderStatus.PAYING)


class OrderRow(TypedDict):
    id: int
    number: int | None
    when: dt.datetime | None
    status: str
    status_label: str
    total: int
    currency: str
    attention: bool
    url: str | None


def _profile_annotations() -> dict:
    newest = (
        Order.objects.filter(
            studio_id=OuterRef(OuterRef("studio_id")),
            client_id=OuterRef(OuterRef("pk")),
            status__in=SHOWN_STATUSES,
        )
        .order_by("-created_at", "-id")
        .values("id")[:PANEL_LIMIT]
    )
    unfulfilled = OrderLine.objects.filter(studio_id=OuterRef("studio_id"), order_id=OuterRef("id")).filter(
        Q(fulfilment_ref="") | Q(fulfilment_ref__startswith=LOST_PREFIX)
    )
    rows = (
        Order.objects.filter(studio_id=OuterRef("studio_id"), client_id=OuterRef("pk"), id__in=newest)
        .order_by()
        .values("client_id")
        .annotate(
            rows=JSONBAgg(
                JSONObject(
                    id=F("id"),
                    number=F("number"),
                    when=F("created_at"),
                    status=F("status"),
                    total=F("total"),
                    currency=F("currency"),
                    attention=Exists(unfulfilled),
                ),
                order_by=("-created_at", "-id"),
            )
        )
        .values("rows")
    )
    return {"checkout_orders_json": Subquery(rows)}


def _rows(items: list[dict] | None, *, url) -> list[OrderRow]:
    labels = choice_labels(OrderStatus.choices)
    return [
        OrderRow(
            id=item["id"],
            number=item.get("number"),
            when=parse_datetime(item["when"]) if item.get("when") else None,
            status=item.get("status") or "",
            status_label=labels.get(item.get("status") or "", ""),
            total=int(item.get("total") or 0),
            currency=item.get("currency") or "",
            attention=bool(item.get("attention")) and item.get("status") == OrderStatus.PAID,
            url=url(item["id"]) if url else None,
        )
        for item in items or []
    ]


def _profile_load(*, request, client) -> dict:
    url = row_url("order-detail", studio_slug=request.studio.slug)
    if hasattr(client, "checkout_orders_json"):
        items = client.checkout_orders_json
    else:  # a client read without the annotation: one query
        items = [
            {
                "id": o.pk,
                "number": o.number,
                "when": o.created_at.isoformat(),
                "status": o.status,
                "total": o.total,
                "currency": o.currency,
                "attention": False,
            }
            for o in Order.objects.filter(
                studio_id=client.studio_id, client=client, status__in=SHOWN_STATUSES
            ).order_by("-created_at", "-id")[:PANEL_LIMIT]
        ]
    return {"client": client, "orders": _rows(items, url=url), "limit": PANEL_LIMIT}


# An online order is money: the people who read the ledger see it.
ORDERS_PANEL = ProfilePanel(
    key="checkout-orders",
    title=gettext_lazy("Online orders"),
    template="checkout/orders/_profile_panel.html",
    perms=frozenset({Perm.VIEW_REPORTS, Perm.REFUND}),
    annotations=_profile_annotations,
    load=_profile_load,
    order=46,
)


def _account_section(request, client) -> Section | None:
    """A link to "My purchases" on the client's account page (no query)."""
    return Section(
        title=str(gettext_lazy("My purchases")),
        template="checkout/orders/_account_panel.html",
        context={},
        order=60,
        key="checkout-purchases",
    )


def register() -> None:  # ful: panel, account link, navigation, audit labels, mail template
    from django.utils.translation import gettext_lazy as _

    import checkout.emails  # noqa: F401 - the receipt's mail template registers on import
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.registries import audit
    from studio.registries.profile_panels import register_account_panel, register_profile_panel

    register_profile_panel(ORDERS_PANEL)
    register_account_panel(_account_section)
    navigation.add_manage(NavEntry(_("Online orders"), "order-list", perm=Perm.VIEW_REPORTS, order=36))
    audit.register_actions(
        {
            "checkout.order_paid": _("Online order paid"),
            "checkout.line_unfulfilled": _("Online order line not delivered"),
            "checkout.receipt_emailed": _("Online order receipt emailed"),
        }
    )
    audit.register_fields(
        {
            "order_number": audit.Field(_("Order number")),
            "order_line": audit.Field(_("Order line")),
            "line_kind": audit.Field(_("Kind of line")),
        }
    )
