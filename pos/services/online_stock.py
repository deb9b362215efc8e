"""Stock taken by an online order (checkout, CHK-2): out when the order is frozen, back when it
is abandoned.

The same locks and bounds as a till's sale (`pos.services.stock`): every row locked in id order,
every count checked before anything is written, the CHECK constraint as the last wall. An online
order is not a `Sale`, so its movements name it in their note — `ref` is the caller's stable code
for the order ("checkout_order:<id>") — and the caller keeps each movement's id on its line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pos.models import Product, StockMovement
from pos.services.stock import OutOfStock, _lock_rows, _move
from studio.models import Location, Studio
from studio.services import Actor


@dataclass(frozen=True)
class StockItem:
    """One line's want: `quantity` units of `product` from `location`; `key` is the caller's
    line id, returned with the movement made for it."""

    key: int
    product: Product
    location: Location
    quantity: int


def stock_take_for_order(*, studio: Studio, actor: Actor, items: list[StockItem], ref: str) -> dict[int, int]:
    """Take each item's units from its location's stock; returns {item key: movement id}.

    Raises `OutOfStock` for the first product that is short, having taken nothing (the rows of
    every location are locked and checked before any is written). Products that do not track
    stock take nothing and get no movement."""
    tracked = [item for item in items if item.product.track_stock]
    for item in tracked:
        if item.product.studio_id != studio.pk or item.location.studio_id != studio.pk:
            raise ValidationError(_("This product belongs to another studio."))
    if not tracked:
        return {}
    with transaction.atomic():
        rows = {}
        for location_id in sorted({item.location.pk for item in tracked}):
            location = next(item.location for item in tracked if item.location.pk == location_id)
            wanted = [item.product.pk for item in tracked if item.location.pk == location_id]
            for product_id, row in _lock_rows(studio=studio, location=location, product_ids=wanted).items():
                rows[(location_id, product_id)] = row
        wanted_units: dict[tuple[int, int], int] = defaultdict(int)
        for item in tracked:
            wanted_units[(item.location.pk, item.product.pk)] += item.quantity
        for key in sorted(wanted_units):
            if rows[key].quantity < wanted_units[key]:
                item = next(i for i in tracked if (i.location.pk, i.product.pk) == key)
                raise OutOfStock(product=item.product, available=rows[key].quantity, location=item.location)
        made = {}
        for item in tracked:
            movement = _move(
                studio=studio,
                actor=actor,
                row=rows[(item.location.pk, item.product.pk)],
                delta=-item.quantity,
                reason=StockMovement.Reason.SALE,
                note=ref,
            )
            made[item.key] = movement.pk
    return made


def stock_give_back_for_order(*, studio: Studio, actor: Actor, movement_ids: list[int], ref: str) -> int:
    """Give back the units of these movements (made by `stock_take_for_order` under `ref`);
    returns how many units came back. Idempotent: a movement already given back (a VOID movement
    noting `ref:<movement id>`) is not given back twice."""
    with transaction.atomic():
        taken = list(
            StockMovement.objects.filter(
                studio=studio, pk__in=movement_ids, note=ref, reason=StockMovement.Reason.SALE
            ).order_by("id")
        )
        if not taken:
            return 0
        rows = {}
        for location_id in sorted({m.location_id for m in taken}):
            location = Location.objects.get(studio=studio, pk=location_id)
            wanted = [m.product_id for m in taken if m.location_id == location_id]
            for product_id, row in _lock_rows(studio=studio, location=location, product_ids=wanted).items():
                rows[(location_id, product_id)] = row
        # Read under the locks: a release running at the same moment has committed its movements.
        notes = [f"{ref}:{m.pk}" for m in taken]
        done = set(
            StockMovement.objects.filter(
                studio=studio, reason=StockMovement.Reason.VOID, note__in=notes
            ).values_list("note", flat=True)
        )
        back = 0
        for movement in taken:
            note = f"{ref}:{movement.pk}"
            if note in done:
                continue
            _move(
                studio=studio,
                actor=actor,
                row=rows[(movement.location_id, movement.product_id)],
                delta=-movement.delta,
                reason=StockMovement.Reason.VOID,
                note=note,
            )
            back += -movement.delta
    return back
