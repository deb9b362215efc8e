"""Creating, editing and archiving retail products (POS-4).

`product_save` is the one writer of a product: the form's checks are repeated here because the
demo and imports call it too. A product is archived, never deleted (sales name it).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.services.routing import ItemKind
from pos.models import Product
from pos.services.stock import MAX_STOCK, stock_count_set
from studio import selectors as studio_selectors
from studio.inputs import clean_text, has_nul
from studio.models import Studio
from studio.services import Actor, audit_record, change, field_changes, snapshot

# What the audit log compares on an edit.
PRODUCT_FIELDS = [
    "name",
    "description",
    "sku",
    "barcode",
    "price_amount",
    "tax_kind",
    "track_stock",
    "low_stock_threshold",
]

# payments' ItemKind codes a product may be taxed as: what the studio sells over the counter.
# (`pos_sale` is a whole sale's, renewals and instalments are memberships' own.)
PRODUCT_TAX_KINDS = (
    ItemKind.PRODUCT,
    ItemKind.CLASS_BOOKING,
    ItemKind.APPOINTMENT,
    ItemKind.MEMBERSHIP,
    ItemKind.OTHER,
)


def _code_clash(*, studio: Studio, product: Product, field: str, value: str) -> Product | None:
    """Another product of the studio (archived ones too) with this SKU or barcode, in any case.

    Codes are read case-insensitively at the till (`product_by_code`), so "AB-1" and "ab-1" would
    be the same scan: refused as the same code."""
    if not value:
        return None
    return (
        Product.objects.filter(studio=studio, **{f"{field}__iexact": value})
        .exclude(pk=product.pk)
        .order_by("id")
        .first()
    )


def _check(*, studio: Studio, product: Product) -> None:
    errors: dict[str, str] = {}
    product.name = clean_text(product.name or "").strip()
    product.sku = clean_text(product.sku or "").strip()
    product.barcode = clean_text(product.barcode or "").strip()
    product.description = (product.description or "").strip()
    if not product.name:
        errors["name"] = _("Give the product a name.")
    if has_nul(product.description):
        errors["description"] = _("This text contains a character that is not allowed.")
    if product.price_amount is None or product.price_amount < 0:
        errors["price_amount"] = _("Give a price of zero or more.")
    if product.tax_kind not in PRODUCT_TAX_KINDS:
        errors["tax_kind"] = _("Choose a tax kind from the list.")
    if product.low_stock_threshold is None or not 0 <= product.low_stock_threshold <= MAX_STOCK:
        errors["low_stock_threshold"] = _("Enter a number between 0 and %(max)s.") % {"max": MAX_STOCK}
    for field, message in (
        ("sku", _("Another product (“%(name)s”) already has this SKU.")),
        ("barcode", _("Another product (“%(name)s”) already has this barcode.")),
    ):
        clash = _code_clash(studio=studio, product=product, field=field, value=getattr(product, field))
        if clash is not None:
            errors[field] = message % {"name": clash.name}
    if errors:
        raise ValidationError(errors)


def product_save(
    *, studio: Studio, actor: Actor, product: Product, stock: dict[int, int] | None = None
) -> Product:
    """Create or edit `product`, and set the counts in `stock` ({home location id: units}).

    One transaction, one audit entry (`product.created` / `product.changed`, the counts that
    changed under `stock_counts`); each count that changes writes its stock movement. Refused
    (ValidationError by field): an empty name, a negative price, a tax kind not for products,
    a SKU or barcode another product of the studio has, a location that is not one of the
    studio's home locations, a count below 0 or above `MAX_STOCK`.
    """
    creating = product.pk is None
    product.studio = studio
    product.currency = product.currency or studio.currency
    stock = dict(stock or {})
    homes = {loc.pk: loc for loc in studio_selectors.home_locations(studio=studio)}
    bad = [pk for pk in stock if pk not in homes]
    if bad:
        raise ValidationError({"stock": _("Stock is counted at the studio's home locations only.")})
    for count in stock.values():
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_STOCK:
            raise ValidationError({"stock": _("Enter a count between 0 and %(max)s.") % {"max": MAX_STOCK}})
    try:
        with transaction.atomic():
            before: dict = {}
            if not creating:
                stored = Product.objects.select_for_update().get(pk=product.pk, studio=studio)
                before = snapshot(stored, PRODUCT_FIELDS)
            _check(studio=studio, product=product)
            product.full_clean(exclude=["studio"])
            product.save()
            counts: dict[str, dict] = {}
            for location_id in sorted(stock):
                movement = stock_count_set(
                    studio=studio,
                    actor=actor,
                    product=product,
                    location=homes[location_id],
                    count=stock[location_id],
                )
                if movement is not None:
                    counts[str(location_id)] = change(
                        movement.quantity_after - movement.delta, movement.quantity_after
                    )
            if creating:
                audit_record(
                    studio=studio,
                    actor=actor,
                    obj=product,
                    action="product.created",
                    changes={"stock_counts": counts} if counts else None,
                )
            else:
                changes = field_changes(product, PRODUCT_FIELDS, before)
                if counts:
                    changes["stock_counts"] = counts
                if changes:
                    audit_record(
                        studio=studio, actor=actor, obj=product, action="product.changed", changes=changes
                    )
    except IntegrityError as exc:
        # Two people saving the same new code at the same moment: the unique index decides.
        if creating:
            product.pk = None
        raise ValidationError(
            {"sku": _("Another product already has this SKU or barcode. Try again with another code.")}
        ) from exc
    except ValidationError:
        if creating:
            product.pk = None
        raise
    return product


def product_archive(*, studio: Studio, actor: Actor, product: Product, archived: bool = True) -> Product:
    """Archive (or restore) a product: archived, it is no longer sold nor listed at the till;
    its stock and history stay, and past sales keep naming it."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk, studio=studio)
        if (locked.archived_at is not None) == archived:
            return locked
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            obj=locked,
            action="product.archived" if archived else "product.restored",
        )
    product.archived_at = locked.archived_at
    return locked
