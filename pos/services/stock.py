"""Stock counts per location (POS-4): every change is a `StockMovement`, and a count never goes
below zero.

Every writer locks the `ProductStock` rows it changes (`select_for_update`, ordered by id, so
two sales holding the same products in another order cannot deadlock), checks them all, and
only then writes: a refusal takes nothing. The database's CHECK (`stock_not_negative`) is the
last wall behind that. Products that do not track stock are never short and are not counted.

Missing rows read as 0 and are created on demand (a location opened after the product was).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope

from pos.models import LineKind, Product, ProductStock, Sale, SaleLine, StockMovement
from studio.compiled_sql import compiled_rows
from studio.models import Location, Studio
from studio.services import Actor, audit_record

# A count above this is a typo (a barcode typed into the quantity): refused.
MAX_STOCK = 100_000
NOTE_MAX_LENGTH = 200


class OutOfStock(ValidationError):
    """A sale wants more units than the location holds. Nothing was taken.

    `product` is the product that is short, `available` what the location still has.
    """

    def __init__(self, *, product: Product, available: int, location: Location | None = None):
        self.product = product
        self.available = max(available, 0)
        self.location = location
        if self.available <= 0:
            message = _("“%(product)s” is out of stock here.") % {"product": product.name}
        else:
            message = ngettext(
                "Only %(count)s “%(product)s” left here.",
                "Only %(count)s “%(product)s” left here.",
                self.available,
            ) % {"count": self.available, "product": product.name}
        super().__init__(message, code="out_of_stock")


def _lock_rows(*, studio: Studio, location: Location, product_ids: Iterable[int]) -> dict[int, ProductStock]:
    """The location's stock rows of these products, created at 0 where missing, locked in id order.

    Must run inside a transaction (the locks last until it ends).
    """
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    # ON CONFLICT DO NOTHING: a row another transaction creates at the same moment is kept.
    ProductStock.objects.bulk_create(
        [ProductStock(studio=studio, product_id=pk, location=location, quantity=0) for pk in wanted],
        ignore_conflicts=True,
    )
    rows = (
        ProductStock.objects.select_for_update()
        .filter(studio=studio, location=location, product_id__in=wanted)
        .order_by("id")
    )
    return {row.product_id: row for row in rows}


def _move(
    *,
    studio: Studio,
    actor: Actor,
    row: ProductStock,
    delta: int,
    reason: str,
    sale: Sale | None = None,
    note: str = "",
) -> StockMovement:
    """Apply `delta` to a locked row and write its movement (the caller checked the bounds)."""
    row.quantity += delta
    row.save(update_fields=["quantity", "updated_at"])
    return StockMovement.objects.create(
        studio=studio,
        product_id=row.product_id,
        location_id=row.location_id,
        delta=delta,
        quantity_after=row.quantity,
        reason=reason,
        sale=sale,
        note=note[:NOTE_MAX_LENGTH],
        created_by=actor.user,
    )


def _tracked_lines_query(*, studio_id: int, sale_id: int) -> QuerySet:
    return (
        SaleLine.objects.filter(sale_id=sale_id, kind=LineKind.PRODUCT, product__track_stock=True)
        .order_by("id")
        .values_list("product_id", "quantity")
    )


def _sale_product_quantities(sale: Sale) -> dict[int, int]:
    """{product id: units} of the sale's lines of tracked products (a product on two lines adds up).

    Every freeze asks: read through SQL compiled once per process (`studio.compiled_sql`), held to
    the ORM's rows by `pos/tests/test_tender_compiled.py`."""
    wanted: dict[int, int] = defaultdict(int)
    with scope(studio=sale.studio_id):
        rows = compiled_rows("pos-stock-tracked-lines", _tracked_lines_query, sale_id=sale.pk)
    for product_id, quantity in rows:
        wanted[product_id] += quantity
    return dict(wanted)


def _taken_query(*, studio_id: int, sale_id: int) -> QuerySet:
    return StockMovement.objects.filter(sale_id=sale_id, reason=StockMovement.Reason.SALE).values_list("pk")[
        :1
    ]


def _already_taken(sale: Sale) -> bool:
    """Whether the stock of `sale` was taken (its SALE movements exist), compiled once."""
    with scope(studio=sale.studio_id):
        return bool(compiled_rows("pos-stock-taken", _taken_query, sale_id=sale.pk))


def _on_hand_query(*, studio_id: int, product_id: int, location_id: int) -> QuerySet:
    on_hand = ProductStock.objects.filter(product_id=OuterRef("pk"), location_id=location_id).values(
        "quantity"
    )
    return (
        Product.objects.filter(pk=product_id)
        .annotate(on_hand=Coalesce(Subquery(on_hand[:1]), 0))
        .values_list("track_stock", "on_hand")
    )


def stock_check_available(*, studio: Studio, product_id: int, location: Location, quantity: int) -> None:
    """Refuse (`OutOfStock`) a cart that would hold more units of the product `product_id` than
    `location` has now (one query): the clerk hears it when adding the unit, not at the payment.
    A read, not a reservation: the stock is taken, under its lock, when the first tender freezes
    the cart (`stock_take_for_sale`), which stays the wall between two sales of the last unit.
    A product that does not count its stock is never short."""
    with scope(studio=studio):
        rows = compiled_rows(
            "pos-stock-on-hand", _on_hand_query, product_id=product_id, location_id=location.pk
        )
    if not rows or not rows[0][0] or quantity <= rows[0][1]:
        return
    raise OutOfStock(
        product=Product.objects.get(studio=studio, pk=product_id), available=rows[0][1], location=location
    )


def stock_take_for_sale(*, studio: Studio, actor: Actor, sale: Sale) -> None:
    """Take the units of every product line of `sale` from its location's stock.

    Runs in the caller's transaction (the sale is being frozen: `sale_lock`); the rows stay
    locked until it commits. Raises `OutOfStock` for the first product (by id) that is short,
    having taken nothing. Taking twice for the same sale takes nothing the second time.
    """
    if sale.studio_id != studio.pk:
        raise ValidationError(_("This sale belongs to another studio."))
    wanted = _sale_product_quantities(sale)
    if not wanted:
        return
    with transaction.atomic():
        rows = _lock_rows(studio=studio, location=sale.location, product_ids=wanted)
        # Checked under the locks: a second call (a retried lock of the sale) finds the movements.
        if _already_taken(sale):
            return
        for product_id in sorted(wanted):
            if rows[product_id].quantity < wanted[product_id]:
                raise OutOfStock(
                    product=Product.objects.get(studio=studio, pk=product_id),
                    available=rows[product_id].quantity,
                    location=sale.location,
                )
        for product_id in sorted(wanted):
            _move(
                studio=studio,
                actor=actor,
                row=rows[product_id],
                delta=-wanted[product_id],
                reason=StockMovement.Reason.SALE,
                sale=sale,
            )


def stock_release_for_sale(*, studio: Studio, actor: Actor, sale: Sale, reason: str = "") -> None:
    """Give back what `stock_take_for_sale` took for `sale` (the sale is abandoned: voided).

    `reason` is the staff member's words, kept as the movements' note. Whatever was already
    returned (`stock_return`) is not given back twice; releasing twice gives back nothing more.
    """
    if sale.studio_id != studio.pk:
        raise ValidationError(_("This sale belongs to another studio."))
    moves = StockMovement.objects.filter(
        studio=studio,
        sale=sale,
        reason__in=(StockMovement.Reason.SALE, StockMovement.Reason.RETURN, StockMovement.Reason.VOID),
    )
    with transaction.atomic():
        pairs = sorted(
            set(moves.filter(reason=StockMovement.Reason.SALE).values_list("location_id", "product_id"))
        )
        locked: dict[tuple[int, int], ProductStock] = {}
        for location_id in sorted({loc for loc, _pk in pairs}):
            location = Location.objects.get(studio=studio, pk=location_id)
            rows = _lock_rows(
                studio=studio, location=location, product_ids=[pk for loc, pk in pairs if loc == location_id]
            )
            locked.update({(location_id, pk): row for pk, row in rows.items()})
        # Read under the locks: a release running at the same moment has committed its movements.
        out: dict[tuple[int, int], int] = defaultdict(int)
        for product_id, location_id, delta in moves.values_list("product_id", "location_id", "delta"):
            # Units still out = taken − returned − released (deltas: −taken, +returned, +released).
            out[(location_id, product_id)] -= delta
        for key in sorted(out):
            if out[key] > 0 and key in locked:
                _move(
                    studio=studio,
                    actor=actor,
                    row=locked[key],
                    delta=out[key],
                    reason=StockMovement.Reason.VOID,
                    sale=sale,
                    note=reason,
                )


def stock_return(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale | None,
    product: Product,
    location: Location,
    quantity: int,
) -> StockMovement | None:
    """Put `quantity` returned units of `product` back on `location`'s shelf (a sale's return).

    Nothing happens for a product that does not track stock (returns None).
    """
    if product.studio_id != studio.pk or location.studio_id != studio.pk:
        raise ValidationError(_("Choose a product and a location of this studio."))
    if quantity < 1 or quantity > MAX_STOCK:
        raise ValidationError(_("Return at least one unit."))
    if not product.track_stock:
        return None
    with transaction.atomic():
        rows = _lock_rows(studio=studio, location=location, product_ids=[product.pk])
        row = rows[product.pk]
        if row.quantity + quantity > MAX_STOCK:
            raise ValidationError(_("This would put more than %(max)s units in stock.") % {"max": MAX_STOCK})
        return _move(
            studio=studio, actor=actor, row=row, delta=quantity, reason=StockMovement.Reason.RETURN, sale=sale
        )


# Reasons a person may give for changing a count by hand (sales, returns and voids are the code's).
MANUAL_REASONS = (StockMovement.Reason.RECEIVED, StockMovement.Reason.ADJUSTMENT)


def stock_adjust(
    *,
    studio: Studio,
    actor: Actor,
    product: Product,
    location: Location,
    quantity: int,
    reason: str,
    note: str = "",
) -> StockMovement | None:
    """Change the count of `product` at `location` by `quantity` units (negative: removed).

    `reason` is `received` or `adjustment`. Refused (ValidationError): a count that would go
    below zero or above `MAX_STOCK`, another studio's product or location, a location that is
    not a home location. A change of zero writes nothing (returns None).
    """
    _check_manual(studio=studio, product=product, location=location, reason=reason)
    if quantity == 0:
        return None
    with transaction.atomic():
        row = _lock_rows(studio=studio, location=location, product_ids=[product.pk])[product.pk]
        after = row.quantity + quantity
        if after < 0:
            raise ValidationError(
                {
                    "quantity": ngettext(
                        "Only %(count)s unit is in stock here: the count cannot go below zero.",
                        "Only %(count)s units are in stock here: the count cannot go below zero.",
                        row.quantity,
                    )
                    % {"count": row.quantity}
                }
            )
        if after > MAX_STOCK:
            raise ValidationError(
                {"quantity": _("This would put more than %(max)s units in stock.") % {"max": MAX_STOCK}}
            )
        movement = _move(studio=studio, actor=actor, row=row, delta=quantity, reason=reason, note=note)
        _audit_manual(studio=studio, actor=actor, product=product, movement=movement)
    return movement


def stock_count(
    *, studio: Studio, actor: Actor, product: Product, location: Location, count: int, note: str = ""
) -> StockMovement | None:
    """Set the count of `product` at `location` to what was counted on the shelf.

    The movement records the difference (`adjustment`); a count equal to the stored one writes
    nothing (returns None). The stock page's "Counted" uses it; the product form sets its counts
    through `product_save`, which records them in its own audit entry.
    """
    with transaction.atomic():
        movement = stock_count_set(
            studio=studio, actor=actor, product=product, location=location, count=count, note=note
        )
        if movement is not None:
            _audit_manual(studio=studio, actor=actor, product=product, movement=movement)
    return movement


def stock_count_set(
    *, studio: Studio, actor: Actor, product: Product, location: Location, count: int, note: str = ""
) -> StockMovement | None:
    """`stock_count` without its audit entry, for a caller that records the change itself."""
    _check_manual(studio=studio, product=product, location=location, reason=StockMovement.Reason.ADJUSTMENT)
    if count < 0 or count > MAX_STOCK:
        raise ValidationError({"quantity": _("Enter a count between 0 and %(max)s.") % {"max": MAX_STOCK}})
    with transaction.atomic():
        row = _lock_rows(studio=studio, location=location, product_ids=[product.pk])[product.pk]
        if row.quantity == count:
            return None
        return _move(
            studio=studio,
            actor=actor,
            row=row,
            delta=count - row.quantity,
            reason=StockMovement.Reason.ADJUSTMENT,
            note=note,
        )


def _audit_manual(*, studio: Studio, actor: Actor, product: Product, movement: StockMovement) -> None:
    """A count changed by hand is in the audit log too (the movement history says the same per product)."""
    audit_record(
        studio=studio,
        actor=actor,
        obj=product,
        action="product.stock_changed",
        changes={
            "stock_location": movement.location_id,
            "stock_delta": movement.delta,
            "stock_after": movement.quantity_after,
            "stock_reason": movement.reason,
        },
    )


def _check_manual(*, studio: Studio, product: Product, location: Location, reason: str) -> None:
    if product.studio_id != studio.pk or location.studio_id != studio.pk:
        raise ValidationError(_("Choose a product and a location of this studio."))
    if not location.is_home_location or location.archived_at is not None:
        raise ValidationError({"location": _("Stock is counted at the studio's home locations only.")})
    if reason not in MANUAL_REASONS:
        raise ValidationError({"reason": _("Choose why the count changes.")})
