"""Every change to a cart (POS-1): open a sale, choose the client, add and change lines, discounts.

Each service is keyword-only with `studio` and `actor` first, locks the sale's row, refuses a
sale that is no longer OPEN (the first tender froze it) and anything of another studio, and
ends by repricing (`sale_reprice`): the totals on the sale and on its lines are always what
`pos.pricing` computes from what is in the cart. Refusals are `ValidationError` with a sentence
for the clerk (and a `code`); a discount without `Perm.DISCOUNT_POS` is `PermissionDenied`.

What a line costs is decided here, once, when it is added:
- a product: its price, taxed as its tax kind;
- a plan: what `membership_sell` would charge first (`sale_subtotal`: the price, plus a
  subscription's sign-up fee), taxed as memberships prices it (`sale_purchase_kind`);
- a drop-in: the class's drop-in price, taxed as a class booking;
- an amount owed: the amount memberships says is owed, not taxed again (it was priced when it
  was incurred), and never discounted by the cart's discount;
- a studio-credit top-up: its amount, not taxed, never discounted (it is money, not goods).
Plans, drop-ins, amounts owed and top-ups are one each (quantity 1); the same product twice adds
to its line's quantity (1 … 99).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import Plan
from memberships.selectors.penalties import amounts_owed_for
from memberships.selectors.plans import plans_for_sale
from memberships.services.sales import sale_purchase_kind, sale_subtotal
from payments.selectors import tax_rate_list
from pos import pricing
from pos.models import CashSession, DiscountKind, LineKind, Product, Sale, SaleLine, SaleStatus
from pos.selectors.cart import cart_lines, sale_with_parties
from pos.services.stock import stock_check_available
from scheduling.models import ClassSession
from scheduling.selectors import bookings_by_session, session_detail
from studio.models import Client, Location, StaffMember, Studio
from studio.money import DEFAULT_MAX_MINOR
from studio.permissions import Perm
from studio.services import Actor, audit_record

MAX_QUANTITY = 99
# payments' ItemKind code a drop-in is taxed as (payments.models.settings.ItemKind.CLASS_BOOKING).
DROP_IN_TAX_KIND = "class_booking"
# Lines that only make sense for a known client: removed when the client is.
CLIENT_LINE_KINDS = (LineKind.PLAN, LineKind.DROP_IN, LineKind.OWED, LineKind.CREDIT_TOPUP)
# Money rather than goods: not discounted (by the line or by the cart) and never taxed here.
UNDISCOUNTED_KINDS = (LineKind.OWED, LineKind.CREDIT_TOPUP)
_TOTAL_FIELDS = ("subtotal", "discount_total", "tax_total", "tax_lines", "total", "discount_amount")
_LINE_TOTAL_FIELDS = [
    "line_subtotal",
    "line_discount",
    "tax_total",
    "tax_lines",
    "line_total",
    "discount_amount",
]


@dataclass(frozen=True)
class ClientChange:
    """What `sale_set_client` did: the sale, and the descriptions of the lines it had to remove
    (a plan, a drop-in, an amount owed or a top-up need the client they were for)."""

    sale: Sale
    removed: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """A sentence for the clerk naming what was removed, or "" when nothing was."""
        if not self.removed:
            return ""
        return _("Removed from the cart, since they were for the client: %(lines)s.") % {
            "lines": ", ".join(self.removed)
        }


# --- guards --------------------------------------------------------------------------------------


def _refuse(message: str, code: str) -> None:
    raise ValidationError(message, code=code)


def _same_studio(studio: Studio, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.studio_id != studio.pk:
            _refuse(_("This belongs to another studio."), "studio")


def _locked_sale(studio: Studio, sale_id: int) -> Sale:
    """The sale's row (with its location and client), locked until the end of the caller's
    transaction; refused unless OPEN."""
    locked = sale_with_parties(studio=studio, pk=sale_id, lock=True)
    if locked is None:
        _refuse(_("This sale belongs to another studio."), "studio")
    if locked.status != SaleStatus.OPEN:
        _refuse(
            _("This sale is no longer open: its payment has started, so its cart cannot change."),
            "not_open",
        )
    return locked


def _cart_lines(studio: Studio, sale: Sale) -> list[SaleLine]:
    """The sale's lines in cart order, read once per change: the caller holds the sale's lock, so
    they stay what is in the cart while it looks for a line, numbers a new one and reprices."""
    return cart_lines(studio=studio, sale_id=sale.pk)


def _locked_line(studio: Studio, line: SaleLine) -> tuple[Sale, SaleLine, list[SaleLine]]:
    """The sale's row locked, the line as it is now, and every line of the cart (in order)."""
    _same_studio(studio, line)
    sale = _locked_sale(studio, line.sale_id)
    lines = _cart_lines(studio, sale)
    found = next((row for row in lines if row.pk == line.pk), None)
    if found is None:
        _refuse(_("This line is no longer in the cart."), "line")
    return sale, found, lines


def _caller_sale(line: SaleLine) -> Sale | None:
    """The sale the caller's line came with (`sale.lines…` hands it over), kept in step too."""
    return line._state.fields_cache.get("sale")


def _quantity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        _refuse(
            _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY},
            "quantity",
        )
    return value


def _money(value, *, allow_zero: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _refuse(_("Enter an amount in whole cents."), "amount")
    if value < 0:
        _refuse(_("An amount cannot be negative."), "negative")
    if value == 0 and not allow_zero:
        _refuse(_("Enter an amount above zero."), "amount")
    if value > DEFAULT_MAX_MINOR:
        _refuse(_("This amount is too large for a sale at the desk."), "amount")
    return value


def _percent(value) -> Decimal:
    try:
        percent = Decimal(value) if value is not None else None
    except (InvalidOperation, TypeError, ValueError):
        percent = None
    if percent is None or not percent.is_finite():
        _refuse(_("Enter a percentage."), "percent")
    if percent < 0:
        _refuse(_("A percentage cannot be negative."), "negative")
    if percent == 0 or percent > 100:
        _refuse(_("Enter a percentage above 0 and at most 100."), "percent")
    if percent != percent.quantize(Decimal("0.001")):
        _refuse(_("A percentage has at most three decimals."), "percent")
    return percent


def _require_discount_permission(*, studio: Studio, actor: Actor) -> None:
    """Views check the permission too; this keeps any other caller honest. SYSTEM (no user) may."""
    if actor.user is None:
        return
    member = StaffMember.objects.select_related("role").filter(studio=studio, user=actor.user).first()
    if member is None or not member.has_perm(Perm.DISCOUNT_POS):
        raise PermissionDenied(Perm.DISCOUNT_POS)


def _require_client(sale: Sale, message: str) -> Client:
    if sale.client_id is None:
        _refuse(message, "client_required")
    return sale.client


def _new_line(sale: Sale, lines: list[SaleLine], **fields) -> SaleLine:
    """A new line at the end of the cart; `lines` (the cart, read under the sale's lock) gains it.
    It is written by the repricing that ends every change (`_reprice`), with its totals: one
    INSERT, not an INSERT and then an UPDATE of the same row."""
    fields.setdefault("quantity", 1)
    position = max((line.position for line in lines), default=-1) + 1
    line = SaleLine(studio_id=sale.studio_id, sale=sale, position=position, **fields)
    lines.append(line)
    return line


def _has_line(lines: list[SaleLine], kind: str, **fields) -> bool:
    return any(line.kind == kind and all(getattr(line, k) == v for k, v in fields.items()) for line in lines)


# Where a change leaves the cart it just repriced on the sale's instance (see `repriced_lines`).
_REPRICED = "_pos_repriced_lines"


def repriced_lines(sale: Sale) -> list[SaleLine] | None:
    """The cart's lines as the change that just ran on `sale` left them (in cart order, their
    totals as saved, read under the sale's lock in the same transaction), or None when no change
    repriced this instance. The screen answers a change from them instead of reading the cart
    again; the lines carry their own columns only (no related rows)."""
    return sale.__dict__.get(_REPRICED)


def _copy_totals(target: Sale | None, source: Sale) -> None:
    """Keep the caller's instance in step with the row just repriced (and its lines, when it was)."""
    if target is None or target is source:
        return
    for name in (*_TOTAL_FIELDS, "client_id", "discount_kind", "discount_percent", "updated_at"):
        setattr(target, name, getattr(source, name))
    if "client" in target._state.fields_cache:
        target._state.fields_cache["client"] = source.client
    if _REPRICED in source.__dict__:
        target.__dict__[_REPRICED] = source.__dict__[_REPRICED]
    else:
        target.__dict__.pop(_REPRICED, None)


# --- pricing the cart -----------------------------------------------------------------------------


def _rates_by_kind(studio: Studio) -> dict[str, list]:
    """Every live tax rate of the studio by the item kinds it applies to (one query)."""
    out: dict[str, list] = {}
    for rate in tax_rate_list(studio=studio):
        if rate.archived_at is None:
            for kind in rate.item_kinds:
                out.setdefault(kind, []).append(rate)
    return out


def _line_input(line: SaleLine) -> pricing.LineInput:
    return pricing.LineInput(
        key=line.pk,
        unit_amount=line.unit_amount,
        quantity=line.quantity,
        tax_kind=line.tax_kind,
        discount_kind=line.discount_kind,
        discount_amount=line.discount_amount,
        discount_percent=line.discount_percent,
        discountable=line.kind not in UNDISCOUNTED_KINDS,
    )


def _line_totals(line: SaleLine) -> tuple:
    return tuple(getattr(line, name) for name in _LINE_TOTAL_FIELDS)


def _reprice(
    studio: Studio, sale: Sale, lines: list[SaleLine] | None = None, *, quantity_of: SaleLine | None = None
) -> pricing.CartPrice:
    """Price the cart and save what changed. `lines`: the cart as the caller just read and changed
    it under the sale's lock (its instances come back repriced), else read here. `quantity_of`: a
    line of `lines` whose new quantity is not saved yet; it is written with its totals, in the
    same UPDATE."""
    if lines is None:
        lines = _cart_lines(studio, sale)
    price = pricing.cart_price(
        lines=[_line_input(line) for line in lines],
        discount_kind=sale.discount_kind,
        discount_amount=sale.discount_amount,
        discount_percent=sale.discount_percent,
        rates_by_kind=_rates_by_kind(studio),
    )
    changed = []
    for line, priced in zip(lines, price.lines, strict=True):
        before = _line_totals(line)
        line.line_subtotal = priced.subtotal
        line.line_discount = priced.discount
        line.tax_total = priced.tax_total
        line.tax_lines = [tax.as_json() for tax in priced.tax_lines]
        line.line_total = priced.total
        # An amount off larger than what is left of the line (its quantity went down) is what it
        # actually takes off: the row says so, and the receipt and the audit agree with it.
        if line.discount_kind == DiscountKind.AMOUNT:
            line.discount_amount = priced.own_discount
        if line.pk is not None and (_line_totals(line) != before or line is quantity_of):
            changed.append(line)
    # Only the lines whose figures moved are written (most changes move one or two): an UPDATE
    # per cart change, not one CASE over every line of the cart.
    fields = [*_LINE_TOTAL_FIELDS, "quantity"] if quantity_of is not None else _LINE_TOTAL_FIELDS
    if len(changed) == 1:
        changed[0].save(update_fields=fields)
    elif changed:
        SaleLine.objects.bulk_update(changed, fields)
    for line in lines:
        if line.pk is None:  # the line this change adds (`_new_line`): written with its totals
            line.save(force_insert=True)
    sale.subtotal = price.subtotal
    sale.discount_total = price.discount_total
    sale.tax_total = price.tax_total
    sale.tax_lines = [tax.as_json() for tax in price.tax_lines]
    sale.total = price.total
    if sale.discount_kind == DiscountKind.AMOUNT:
        sale.discount_amount = price.cart_discount
    sale.save(update_fields=[*_TOTAL_FIELDS, "updated_at"])
    sale.__dict__[_REPRICED] = list(lines)
    return price


def sale_reprice(*, sale: Sale) -> pricing.CartPrice:
    """Price `sale`'s cart (pos.pricing) and save the totals on the sale and each line.

    Every cart service ends with it; the tenders call it once more when they freeze the cart.
    Refuses a sale that is not OPEN: from TENDERING on its totals are frozen. The caller holds
    the sale's row lock when the cart may change concurrently (the cart services do)."""
    if sale.status != SaleStatus.OPEN:
        _refuse(
            _("This sale is no longer open: its payment has started, so its cart cannot change."),
            "not_open",
        )
    with transaction.atomic():
        return _reprice(sale.studio, sale)


def _done(
    studio: Studio,
    caller_sale: Sale,
    locked: Sale,
    lines: list[SaleLine],
    quantity_of: SaleLine | None = None,
) -> None:
    _reprice(studio, locked, lines, quantity_of=quantity_of)
    _copy_totals(caller_sale, locked)


# --- opening a sale, its client -----------------------------------------------------------------


def _open_till(studio: Studio, location: Location) -> CashSession | None:
    return CashSession.objects.filter(studio=studio, location=location, closed_at__isnull=True).first()


def sale_open(*, studio: Studio, actor: Actor, location: Location, token: str) -> Sale:
    """Open a new, empty sale at `location` (a home location of the studio), attached to the
    location's open till if there is one. `token` is the screen's one-time token for "New sale":
    the same token again (a double click, two tabs) returns the sale it opened the first time."""
    token = token if isinstance(token, str) else ""
    if not token or len(token) > 64 or "\x00" in token:
        _refuse(_("This form has expired: reload the page and try again."), "token")
    earlier = Sale.objects.filter(studio=studio, token=token).first()
    if earlier is not None:
        return earlier
    _same_studio(studio, location)
    if location.archived_at is not None or not location.is_home_location:
        _refuse(_("Sales are made at one of the studio's own locations."), "location")
    if actor.user is None:
        _refuse(_("A sale is opened by a signed-in staff member."), "actor")
    try:
        with transaction.atomic():
            return Sale.objects.create(
                studio=studio,
                location=location,
                cash_session=_open_till(studio, location),
                currency=studio.currency,
                token=token,
                created_by=actor.user,
            )
    except IntegrityError:
        earlier = Sale.objects.filter(studio=studio, token=token).first()
        if earlier is None:
            raise
        return earlier


def sale_set_client(*, studio: Studio, actor: Actor, sale: Sale, client: Client | None) -> ClientChange:
    """Sell to `client`, or to a walk-in (None). Removing the client removes the lines that were
    for them (plans, drop-ins, amounts owed, top-ups); changing to another client removes the
    amounts the first one owed and a drop-in the new one is already booked in. The returned
    `ClientChange.message` says what went."""
    _same_studio(studio, sale, client)
    if client is not None and client.archived_at is not None:
        _refuse(_("This client is archived: restore them before selling."), "client")
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        if locked.client_id == (client.pk if client is not None else None):
            _copy_totals(sale, locked)
            return ClientChange(sale=sale)
        lines = _cart_lines(studio, locked)
        if client is None:
            going = [line for line in lines if line.kind in CLIENT_LINE_KINDS]
        else:
            going = [line for line in lines if line.kind == LineKind.OWED]
            drop_ins = {line.session_id: line for line in lines if line.kind == LineKind.DROP_IN}
            if drop_ins:
                booked = bookings_by_session(clients=[client], session_ids=list(drop_ins))
                going += [drop_ins[session_id] for session_id in drop_ins if booked.get(session_id)]
        if going:
            SaleLine.objects.filter(studio=studio, pk__in=[line.pk for line in going]).delete()
            lines = [line for line in lines if line not in going]
        locked.client = client
        locked.save(update_fields=["client", "updated_at"])
        _done(studio, sale, locked, lines)
    return ClientChange(sale=sale, removed=tuple(line.description for line in going))


# --- adding lines ---------------------------------------------------------------------------------


def sale_add_product(
    *, studio: Studio, actor: Actor, sale: Sale, product: Product, quantity: int = 1
) -> SaleLine:
    """Add `quantity` of `product` at its price; a product already in the cart adds to its line."""
    _same_studio(studio, sale, product)
    quantity = _quantity(quantity)
    if product.archived_at is not None:
        _refuse(_("“%(product)s” is archived and no longer sold.") % {"product": product.name}, "archived")
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        if product.currency != locked.currency:
            _refuse(_("This product is priced in another currency than the sale."), "currency")
        lines = _cart_lines(studio, locked)
        line = next(
            (row for row in lines if row.kind == LineKind.PRODUCT and row.product_id == product.pk), None
        )
        more = None
        wanted = quantity + (line.quantity if line is not None else 0)
        if wanted > MAX_QUANTITY:
            _refuse(_("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY}, "quantity")
        if product.track_stock:
            stock_check_available(
                studio=studio, product_id=product.pk, location=locked.location, quantity=wanted
            )
        if line is not None:
            line.quantity = wanted
            more = line  # saved with its new totals
        else:
            line = _new_line(
                locked,
                lines,
                kind=LineKind.PRODUCT,
                product=product,
                description=product.name[:200],
                quantity=quantity,
                unit_amount=product.price_amount,
                tax_kind=product.tax_kind,
            )
        _done(studio, sale, locked, lines, quantity_of=more)
    return line


def _product_by_code(studio: Studio, code: str) -> Product | None:
    """prod's `product_by_code` once it exists; until then the same exact match, here."""
    try:
        from pos.selectors.products import product_by_code
    except ImportError:
        product_by_code = None
    if product_by_code is not None:
        return product_by_code(studio=studio, code=code)
    return (
        Product.objects.filter(studio=studio, barcode=code).first()
        or Product.objects.filter(studio=studio, sku=code).first()
    )


def sale_add_by_code(*, studio: Studio, actor: Actor, sale: Sale, code: str) -> SaleLine | None:
    """Add one of the product whose barcode or SKU is exactly `code` (what a scanner types into
    the search). None when no product has that code: the screen then searches by name."""
    code = (code or "").strip() if isinstance(code, str) else ""
    if not code or len(code) > 64 or "\x00" in code:
        return None
    product = _product_by_code(studio, code)
    if product is None:
        return None
    return sale_add_product(studio=studio, actor=actor, sale=sale, product=product, quantity=1)


def sale_add_plan(*, studio: Studio, actor: Actor, sale: Sale, plan: Plan) -> SaleLine:
    """Add a membership, pack or pass for the sale's client, at what `membership_sell` would
    charge first. The plan must be on sale at the sale's location; one line per plan."""
    _same_studio(studio, sale, plan)
    if plan.is_archived:
        _refuse(_("This plan is archived and no longer sold."), "archived")
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        _require_client(locked, _("Choose the client first: a membership, pack or pass is sold to someone."))
        if plan.currency != locked.currency:
            _refuse(_("This plan is priced in another currency than the sale."), "currency")
        if not plans_for_sale(studio=studio, location=locked.location).filter(pk=plan.pk).exists():
            _refuse(
                _("“%(plan)s” is not sold at %(location)s.")
                % {"plan": plan.name, "location": locked.location.name},
                "location",
            )
        amount = sale_subtotal(plan)
        if amount <= 0:
            _refuse(_("This plan is free: there is nothing to charge."), "free")
        lines = _cart_lines(studio, locked)
        if _has_line(lines, LineKind.PLAN, plan_id=plan.pk):
            _refuse(_("This plan is already in the cart."), "duplicate")
        tax_kind, _item_location = sale_purchase_kind(plan)
        line = _new_line(
            locked,
            lines,
            kind=LineKind.PLAN,
            plan=plan,
            description=plan.name[:200],
            unit_amount=amount,
            tax_kind=tax_kind,
        )
        _done(studio, sale, locked, lines)
    return line


def sale_add_drop_in(
    *, studio: Studio, actor: Actor, sale: Sale, session: ClassSession, now: dt.datetime | None = None
) -> SaleLine:
    """Add a drop-in for one of today's classes at the sale's location, for the sale's client
    (the sale books them when it completes), at the class's drop-in price, taxed as a class
    booking. Refused: a class on another day or elsewhere, over, cancelled, full, free, or one
    the client is already booked in (or waiting for)."""
    _same_studio(studio, sale, session)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        client = _require_client(
            locked, _("Choose the client first: a drop-in books someone into the class.")
        )
        found = session_detail(session_id=session.pk)
        zone = zoneinfo.ZoneInfo(locked.location.time_zone)
        if found.location_id != locked.location_id:
            _refuse(_("This class is not at %(location)s.") % {"location": locked.location.name}, "location")
        if found.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
            _refuse(_("Drop-ins are sold for today's classes only."), "not_today")
        if found.is_cancelled:
            _refuse(_("This class is cancelled."), "cancelled")
        if found.ends_at <= now:
            _refuse(_("This class is over."), "over")
        if found.booked_count >= found.capacity:
            _refuse(_("This class is full."), "full")
        price = found.template.drop_in_price
        if price <= 0:
            _refuse(_("This class is free: book it from the schedule, there is nothing to sell."), "free")
        if bookings_by_session(clients=[client], session_ids=[found.pk]).get(found.pk):
            _refuse(
                _("%(client)s is already booked in this class.") % {"client": client.first_name},
                "booked",
            )
        lines = _cart_lines(studio, locked)
        if _has_line(lines, LineKind.DROP_IN, session_id=found.pk):
            _refuse(_("This drop-in is already in the cart."), "duplicate")
        local_start = found.starts_at.astimezone(zone)
        line = _new_line(
            locked,
            lines,
            kind=LineKind.DROP_IN,
            session=found,
            description=f"{found.template.name} · {local_start:%H:%M}"[:200],
            unit_amount=price,
            tax_kind=DROP_IN_TAX_KIND,
        )
        _done(studio, sale, locked, lines)
    return line


def sale_add_owed(*, studio: Studio, actor: Actor, sale: Sale, owed_kind: str, owed_id: int) -> SaleLine:
    """Add something the sale's client owes (a failed penalty fee, a past-due renewal), as
    memberships' `amounts_owed_for` lists it: its amount, no tax, no discount."""
    _same_studio(studio, sale)
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        client = _require_client(
            locked, _("Choose the client first: only what a client owes can be collected.")
        )
        owed = next(
            (
                item
                for item in amounts_owed_for(client=client)
                if item.kind == owed_kind and item.id == owed_id
            ),
            None,
        )
        if owed is None:
            _refuse(
                _("%(client)s does not owe this (or it was paid meanwhile).") % {"client": client.first_name},
                "not_owed",
            )
        if owed.currency != locked.currency:
            _refuse(_("This amount is owed in another currency than the sale."), "currency")
        lines = _cart_lines(studio, locked)
        if _has_line(lines, LineKind.OWED, owed_kind=owed.kind, owed_id=owed.id):
            _refuse(_("This amount owed is already in the cart."), "duplicate")
        line = _new_line(
            locked,
            lines,
            kind=LineKind.OWED,
            owed_kind=owed.kind,
            owed_id=owed.id,
            description=str(owed.label)[:200],
            unit_amount=owed.amount,
            tax_kind="",
        )
        _done(studio, sale, locked, lines)
    return line


def sale_add_credit_topup(*, studio: Studio, actor: Actor, sale: Sale, amount: int) -> SaleLine:
    """Add studio credit for the sale's client: `amount` minor units, not taxed, not discounted."""
    _same_studio(studio, sale)
    amount = _money(amount, allow_zero=False)
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        _require_client(locked, _("Choose the client first: studio credit goes on a client's account."))
        lines = _cart_lines(studio, locked)
        line = _new_line(
            locked,
            lines,
            kind=LineKind.CREDIT_TOPUP,
            description=_("Studio credit")[:200],
            unit_amount=amount,
            tax_kind="",
        )
        _done(studio, sale, locked, lines)
    return line


# --- changing lines -------------------------------------------------------------------------------


def sale_line_set_quantity(*, studio: Studio, actor: Actor, line: SaleLine, quantity: int) -> SaleLine:
    """Set a product line's quantity (1 … 99). Plans, drop-ins, amounts owed and top-ups are one each."""
    quantity = _quantity(quantity)
    with transaction.atomic():
        locked, found, lines = _locked_line(studio, line)
        if found.kind != LineKind.PRODUCT and quantity != 1:
            _refuse(_("Only a product can be sold more than once in a sale."), "quantity")
        if found.product_id is not None and quantity > found.quantity:
            stock_check_available(
                studio=studio,
                product_id=found.product_id,
                location=locked.location,
                quantity=quantity,
            )
        moved = found.quantity != quantity
        found.quantity = quantity
        _reprice(studio, locked, lines, quantity_of=found if moved else None)
        _copy_totals(_caller_sale(line), locked)
    return found


def sale_line_remove(*, studio: Studio, actor: Actor, line: SaleLine) -> None:
    """Take a line out of the cart (audited: what it was and what it cost)."""
    with transaction.atomic():
        locked, found, lines = _locked_line(studio, line)
        audit_record(
            studio=studio,
            actor=actor,
            action="pos_sale.line_removed",
            obj=locked,
            changes={
                "line_description": found.description,
                "quantity": found.quantity,
                "line_total": found.line_total,
            },
        )
        found.delete()
        _reprice(studio, locked, [row for row in lines if row is not found])
        _copy_totals(_caller_sale(line), locked)


def _discount_fields(kind: str, amount, percent) -> tuple[str, int, Decimal | None]:
    """(kind, amount, percent) as stored: amount kind keeps an amount, percent kind a percentage."""
    if kind not in DiscountKind.values:
        _refuse(_("Choose an amount off or a percentage off."), "discount_kind")
    if kind == DiscountKind.AMOUNT:
        amount = _money(amount, allow_zero=True)
        return (DiscountKind.NONE, 0, None) if amount == 0 else (kind, amount, None)
    if kind == DiscountKind.PERCENT:
        return kind, 0, _percent(percent)
    return DiscountKind.NONE, 0, None


def _discount_changes(kind: str, amount: int, percent: Decimal | None, given: int) -> dict:
    return {
        "discount_kind": kind,
        "discount_amount": amount,
        "discount_percent": str(percent) if percent is not None else None,
        "discount_given": given,
    }


def sale_line_discount(
    *,
    studio: Studio,
    actor: Actor,
    line: SaleLine,
    kind: str,
    amount: int = 0,
    percent: Decimal | None = None,
) -> SaleLine:
    """Discount one line: an amount off (at most the line) or a percentage off; kind "" (or an
    amount of 0) removes the line's discount. Needs `Perm.DISCOUNT_POS`; audited with who, how
    much and on what. Amounts owed and credit top-ups take no discount."""
    _require_discount_permission(studio=studio, actor=actor)
    kind, amount, percent = _discount_fields(kind, amount, percent)
    with transaction.atomic():
        locked, found, lines = _locked_line(studio, line)
        if found.kind in UNDISCOUNTED_KINDS and kind != DiscountKind.NONE:
            _refuse(_("An amount owed or a credit top-up cannot be discounted."), "not_discountable")
        if kind == DiscountKind.AMOUNT and amount > found.unit_amount * found.quantity:
            _refuse(_("A discount cannot be more than the line it is on."), "too_much")
        found.discount_kind, found.discount_amount, found.discount_percent = kind, amount, percent
        found.save(update_fields=["discount_kind", "discount_amount", "discount_percent"])
        price = _reprice(studio, locked, lines)
        given = price.line(found.pk).own_discount
        audit_record(
            studio=studio,
            actor=actor,
            action="pos_sale.line_discounted",
            obj=locked,
            changes={
                "line_description": found.description,
                **_discount_changes(kind, amount, percent, given),
            },
        )
        _copy_totals(_caller_sale(line), locked)
    return found


def sale_discount(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    kind: str,
    amount: int = 0,
    percent: Decimal | None = None,
) -> Sale:
    """Discount the whole cart: an amount off (at most what the goods are worth after their own
    discounts) or a percentage off, spread over the lines (pos.pricing); kind "" removes it.
    Needs `Perm.DISCOUNT_POS`; audited with who, how much and on what."""
    _require_discount_permission(studio=studio, actor=actor)
    _same_studio(studio, sale)
    kind, amount, percent = _discount_fields(kind, amount, percent)
    with transaction.atomic():
        locked = _locked_sale(studio, sale.pk)
        lines = _cart_lines(studio, locked)
        if kind == DiscountKind.AMOUNT:
            worth = sum(
                line.unit_amount * line.quantity
                - pricing.discount_of(
                    base=line.unit_amount * line.quantity,
                    kind=line.discount_kind,
                    amount=line.discount_amount,
                    percent=line.discount_percent,
                )
                for line in lines
                if line.kind not in UNDISCOUNTED_KINDS
            )
            if amount > worth:
                _refuse(_("A discount cannot be more than the cart it is on."), "too_much")
        locked.discount_kind, locked.discount_amount, locked.discount_percent = kind, amount, percent
        locked.save(update_fields=["discount_kind", "discount_amount", "discount_percent", "updated_at"])
        price = _reprice(studio, locked, lines)
        audit_record(
            studio=studio,
            actor=actor,
            action="pos_sale.discounted",
            obj=locked,
            changes=_discount_changes(kind, amount, percent, price.cart_discount),
        )
        _copy_totals(sale, locked)
    return sale
