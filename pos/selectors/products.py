"""Reading products and their stock (POS-4): the back-office list, what a location can sell,
the low-stock list, a scanned code.

A location without a stock row for a product holds 0 of it. "Low" means a product that tracks
stock has no more than its threshold at the location (out of stock is low too).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django_scopes import scope

from pos.models import Product, ProductStock, StockMovement
from studio import selectors as studio_selectors
from studio.compiled_sql import compiled_rows
from studio.inputs import has_nul
from studio.models import Location, Studio

CODE_MAX_LENGTH = 64  # the model's SKU and barcode length: anything longer matches nothing
QUERY_MAX_LENGTH = 100


def _search(qs: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Every word in the name, or the whole query as a SKU or barcode."""
    query = (query or "").strip()[:QUERY_MAX_LENGTH]
    if not query or has_nul(query):
        return qs
    by_words = Q()
    for word in query.split():
        by_words &= Q(name__icontains=word)
    return qs.filter(by_words | Q(sku__iexact=query) | Q(barcode__iexact=query))


def product_list(
    *, studio: Studio, query: str = "", archived: bool = False, locations: list[Location] | None = None
) -> QuerySet[Product]:
    """The studio's products (archived ones, or the others) for the back office, by name.

    Each carries `stock_rows` (its stock rows at `locations`, default the home locations),
    prefetched: two queries whatever the number of products. `product_stock_table` reads them.
    """
    if locations is None:
        locations = list(studio_selectors.home_locations(studio=studio))
    qs = Product.objects.filter(studio=studio, archived_at__isnull=not archived)
    return _search(qs, query).prefetch_related(
        Prefetch(
            "stock",
            queryset=ProductStock.objects.filter(studio=studio, location__in=locations),
            to_attr="stock_rows",
        )
    )


@dataclass(frozen=True)
class StockCell:
    location: Location
    quantity: int
    low: bool


def product_stock_table(*, product: Product, locations: list[Location]) -> list[StockCell]:
    """The product's count at each of `locations`, from `product_list`'s prefetched rows (no query)."""
    counts = {row.location_id: row.quantity for row in getattr(product, "stock_rows", [])}
    cells = []
    for location in locations:
        quantity = counts.get(location.pk, 0)
        cells.append(
            StockCell(
                location=location,
                quantity=quantity,
                low=product.track_stock and quantity <= product.low_stock_threshold,
            )
        )
    return cells


def product_counts(*, studio: Studio) -> dict[str, int]:
    """How many products are current and archived (the list's two tabs)."""
    counts = Product.objects.filter(studio=studio).aggregate(
        current=Count("id", filter=Q(archived_at__isnull=True)),
        archived=Count("id", filter=Q(archived_at__isnull=False)),
    )
    return {"current": counts["current"] or 0, "archived": counts["archived"] or 0}


def _with_stock_here(qs: QuerySet[Product], location: Location) -> QuerySet[Product]:
    here = ProductStock.objects.filter(product=OuterRef("pk"), location=location).values("quantity")[:1]
    return qs.annotate(
        stock_here=Coalesce(Subquery(here, output_field=IntegerField()), Value(0)),
        low_stock=Case(
            When(track_stock=True, stock_here__lte=F("low_stock_threshold"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def products_for_location(*, studio: Studio, location: Location, query: str = "") -> QuerySet[Product]:
    """The products on sale (not archived) at `location`, by name, each annotated with
    `stock_here` (0 without a row) and `low_stock`; `query` searches names, SKUs and barcodes.
    One query whatever the number of products."""
    qs = Product.objects.filter(studio=studio, archived_at__isnull=True)
    return _with_stock_here(_search(qs, query), location).order_by("name", "id")


@dataclass(frozen=True)
class LowStock:
    product: Product
    location: Location
    quantity: int


def low_stock_products(*, studio: Studio, location: Location | None = None) -> list[LowStock]:
    """Products on sale that track stock and have no more than their threshold, per home
    location (or at `location` only), the emptiest first. A fixed number of queries."""
    locations = [location] if location is not None else list(studio_selectors.home_locations(studio=studio))
    products = list(
        Product.objects.filter(studio=studio, archived_at__isnull=True, track_stock=True).prefetch_related(
            Prefetch(
                "stock",
                queryset=ProductStock.objects.filter(studio=studio, location__in=locations),
                to_attr="stock_rows",
            )
        )
    )
    out = []
    for loc in locations:
        for product in products:
            for cell in product_stock_table(product=product, locations=[loc]):
                if cell.low:
                    out.append(LowStock(product=product, location=loc, quantity=cell.quantity))
    out.sort(key=lambda row: (row.location.name, row.quantity, row.product.name.casefold(), row.product.pk))
    return out


def product_by_code(*, studio: Studio, code: str) -> Product | None:
    """The product on sale whose barcode, else SKU, is exactly `code` (trimmed, any case).

    What a scanner types into the search (the code then Enter). Nothing for an empty, too long
    or NUL-bearing code. One query.
    """
    code = (code or "").strip()
    if not code or len(code) > CODE_MAX_LENGTH or has_nul(code):
        return None
    found = list(
        Product.objects.filter(studio=studio, archived_at__isnull=True)
        .filter(Q(barcode__iexact=code) | Q(sku__iexact=code))
        .order_by("id")[:4]
    )
    for product in found:  # a barcode wins over another product's SKU
        if product.barcode.casefold() == code.casefold():
            return product
    return found[0] if found else None


def product_stock_here(*, studio: Studio, product: Product) -> list[StockCell]:
    """The product's count at every home location (and any other location holding a row)."""
    rows = list(ProductStock.objects.filter(studio=studio, product=product).select_related("location"))
    locations = list(studio_selectors.home_locations(studio=studio))
    seen = {loc.pk for loc in locations}
    locations += [row.location for row in rows if row.location_id not in seen]
    product.stock_rows = rows
    return product_stock_table(product=product, locations=locations)


def product_movements(*, studio: Studio, product: Product, limit: int = 100) -> QuerySet[StockMovement]:
    """The product's latest stock movements, newest first, with who and where (one query)."""
    return (
        StockMovement.objects.filter(studio=studio, product=product)
        .select_related("location", "created_by", "sale")
        .order_by("-created_at", "-id")[:limit]
    )


def products_pickable(*, studio: Studio, locations: list[Location], limit: int):
    """`(id, name, price, tax kind)` of the first `limit` active products by name that a client can
    pick up at one of `locations` (in stock there, or not counted): one query of `limit` rows,
    whatever the catalogue's size (the studio's public page)."""
    if not locations:
        return []
    places = {f"location{n:03d}": location.pk for n, location in enumerate(locations)}
    limit = int(limit)

    def build(*, studio_id, **chosen):
        in_stock = ProductStock.objects.filter(
            product=OuterRef("pk"), location_id__in=list(chosen.values()), quantity__gt=0
        )
        return (
            Product.objects.filter(archived_at__isnull=True)
            .filter(Q(track_stock=False) | Exists(in_stock))
            .order_by("name", "id")
            .values_list("pk", "name", "price_amount", "tax_kind")[:limit]
        )

    # Compiled once per number of places and limit: every visitor of the public page reads it.
    with scope(studio=studio):
        return compiled_rows(("products-pickable", len(places), limit), build, **places)
