"""Reading online orders (CHK-2): the client's own (confirmation page, "My purchases"), the staff
list and page, and what each line became.

An order is reachable only by its owner: the client pages read it by (studio, token, client),
so another client's token — or another studio's — is not found (404), never refused (403).
Every reader has a fixed number of queries whatever the number of lines or orders.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from checkout.models import Order, OrderLine, OrderLineKind, OrderStatus
from checkout.services.fulfilment import LOST_PREFIX, UNTRACKED_STOCK_REF
from studio.models import Client, Studio

# The client's purchases page lists at most this many (the newest); older receipts stay emailed.
PURCHASES_LIMIT = 100


def _with_lines(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("session", "location", "plan").order_by(
                "position", "id"
            ),
        )
    )


def order_for_client(*, studio: Studio, token: str, client: Client) -> Order:
    """The client's own order by its token, lines prefetched (Order.DoesNotExist otherwise:
    another client's order, another studio's, a wrong token)."""
    if not token or len(token) > 43:
        raise Order.DoesNotExist
    return _with_lines(
        Order.objects.select_related("client", "payment__account", "credit_payment").filter(
            studio=studio, token=token, client=client
        )
    ).get()


def client_paid_orders(*, client: Client, limit: int = PURCHASES_LIMIT) -> list[Order]:
    """The client's paid online orders, newest first, lines prefetched (two queries)."""
    return list(
        _with_lines(
            Order.objects.filter(studio_id=client.studio_id, client=client, status=OrderStatus.PAID).order_by(
                "-paid_at", "-id"
            )
        )[:limit]
    )


def _attention_q() -> Q:
    unfulfilled = OrderLine.objects.filter(order_id=OuterRef("pk")).filter(
        Q(fulfilment_ref="") | Q(fulfilment_ref__startswith=LOST_PREFIX)
    )
    return Q(Exists(unfulfilled), status=OrderStatus.PAID)


def order_list(
    *,
    studio: Studio,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    attention: bool = False,
) -> QuerySet[Order]:
    """The studio's online orders, newest first, for the staff list: filtered by status, by the
    day they were created (in the studio's zone) and by "needs attention"; the carts nobody
    pressed "Pay" on are left out unless their status is asked for. Each row carries
    `needs_attention` (one query for the page)."""
    zone = zoneinfo.ZoneInfo(studio.time_zone)
    qs = Order.objects.filter(studio=studio).select_related("client")
    # The carts nobody pressed "Pay" on are not orders yet, unless their status is asked for.
    qs = qs.filter(status=status) if status else qs.exclude(status=OrderStatus.OPEN)
    if date_from is not None:
        qs = qs.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to is not None:
        qs = qs.filter(
            created_at__lt=dt.datetime.combine(date_to, dt.time.min, tzinfo=zone) + dt.timedelta(days=1)
        )
    qs = qs.annotate(needs_attention=_attention_q())
    if attention:
        qs = qs.filter(needs_attention=True)
    return qs.order_by("-created_at", "-id")


def order_for_staff(*, studio: Studio, pk: int) -> Order:
    """One order of the studio with its lines and payments (Order.DoesNotExist: 404)."""
    return _with_lines(
        Order.objects.select_related("client", "payment__account", "credit_payment").filter(
            studio=studio, pk=pk
        )
    ).get()


@dataclass(frozen=True)
class LineOutcome:
    """What a line became, as codes: `state` is one of "booked", "appointment", "membership",
    "owed_paid", "stock", "held" (paying: not paid yet), "lost" (a held place cancelled before
    the payment), "missing" (paid, not delivered), "pending" (nothing yet); `ref_kind`/`ref_id`
    name the record."""

    line: OrderLine
    state: str
    ref_kind: str
    ref_id: int | None

    @property
    def needs_attention(self) -> bool:
        return self.state in ("lost", "missing")


def _parse(ref: str) -> tuple[str, int | None]:
    kind, _sep, tail = ref.partition(":")
    return kind, int(tail) if tail.isdigit() else None


def order_line_outcomes(*, order: Order) -> list[LineOutcome]:
    """Each line of the order (prefetched) with what it became, read from its `fulfilment_ref`
    (no query)."""
    out = []
    paid = order.status == OrderStatus.PAID
    for line in order.lines.all():
        ref = line.fulfilment_ref
        if ref.startswith(LOST_PREFIX):
            kind, pk = _parse(ref.removeprefix(LOST_PREFIX))
            out.append(LineOutcome(line, "lost", kind, pk))
            continue
        if not ref:
            out.append(LineOutcome(line, "missing" if paid else "pending", "", None))
            continue
        if ref == UNTRACKED_STOCK_REF:
            out.append(LineOutcome(line, "stock" if paid else "held", "stock", None))
            continue
        kind, pk = _parse(ref)
        if not paid and line.kind in (
            OrderLineKind.DROP_IN,
            OrderLineKind.APPOINTMENT,
            OrderLineKind.PRODUCT,
        ):
            out.append(LineOutcome(line, "held", kind, pk))
            continue
        state = {
            "booking": "booked",
            "appointment": "appointment",
            "membership": "membership",
            "penalty": "owed_paid",
            "renewal": "owed_paid",
            "stock": "stock",
        }.get(kind, "pending")
        out.append(LineOutcome(line, state, kind, pk))
    return out
