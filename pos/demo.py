"""Demo point of sale for `make run`: products with stock in each location (prod), a paired
simulated reader per location (rdr), and a day of sales (tender). Idempotent: each part seeds
only what is not there yet. Each helper's part is its own function."""

from __future__ import annotations

from django.conf import settings
from django_scopes import scope

from studio.models import Studio


def seed(*, studio: Studio, second_studio: Studio) -> None:
    sandbox = settings.STRIPE_TARGET == "sandbox"
    for target in (studio, second_studio):
        with scope(studio=target):
            _seed_products(target)  # prod
    with scope(studio=studio):
        if sandbox:
            _seed_readers(studio)  # rdr
            _seed_sales(studio)  # tender


# --- products and stock (prod) ---


# (name, SKU, barcode, price in cents, low-stock alert at, units per home location in the order of
# `_SHELVES`, or None: not counted). The demo studio labels its shelf in both languages, as shops
# in Québec do; the second studio, in Vancouver, in English. Grip socks run low at Laval, protein
# bars are out at Québec (Downtown: low socks, no bars).
_SHELVES = {"demo": ("Montréal", "Laval", "Québec"), "autre": ("Downtown",)}
_PRODUCTS = {
    "demo": [
        ("Gourde · Water bottle", "GOURDE-750", "0628110000017", 2000, 5, (30, 24, 12)),
        ("Tapis de yoga · Yoga mat", "TAPIS-6MM", "0628110000024", 6900, 3, (10, 6, 4)),
        ("Chaussettes antidérapantes · Grip socks", "CHAUS-GRIP", "0628110000031", 1400, 3, (18, 2, 9)),
        ("Location de serviette · Towel rental", "SERV-LOC", "", 300, 0, None),
        ("Barre protéinée · Protein bar", "BARRE-PROT", "0628110000048", 350, 6, (40, 25, 0)),
        ("Thé chai · Chai tea", "THE-CHAI", "0628110000055", 450, 4, (20, 15, 10)),
        ("Bloc de yoga · Yoga block", "BLOC-LIEGE", "0628110000062", 1800, 3, (12, 8, 6)),
        ("Sangle de yoga · Yoga strap", "SANGLE", "0628110000079", 1500, 3, (9, 7, 5)),
        ("Serviette de tapis · Mat towel", "SERV-TAPIS", "0628110000086", 3200, 3, (8, 6, 4)),
        ("Eau de source · Spring water", "EAU-500", "0628110000093", 250, 12, (60, 48, 36)),
        ("Kombucha", "KOMBUCHA", "0628110000109", 500, 6, (24, 18, 12)),
        ("Bandeau · Headband", "BANDEAU", "0628110000116", 1200, 3, (15, 10, 7)),
    ],
    "autre": [
        ("Water bottle", "BOTTLE", "0777000000011", 2200, 5, (20,)),
        ("Yoga mat", "MAT", "0777000000028", 7500, 3, (8,)),
        ("Grip socks", "SOCKS", "0777000000035", 1500, 3, (2,)),
        ("Towel rental", "TOWEL", "", 300, 0, None),
        ("Protein bar", "BAR", "0777000000042", 400, 6, (0,)),
        ("Chai tea", "CHAI", "0777000000059", 500, 4, (14,)),
        ("Yoga block", "BLOCK", "0777000000066", 1900, 3, (10,)),
        ("Yoga strap", "STRAP", "0777000000073", 1600, 3, (6,)),
        ("Mat towel", "MATTOWEL", "0777000000080", 3500, 3, (5,)),
        ("Spring water", "WATER", "0777000000097", 300, 12, (40,)),
        ("Kombucha", "KOMBUCHA", "0777000000103", 600, 6, (16,)),
        ("Headband", "HEADBAND", "0777000000110", 1300, 3, (9,)),
    ],
}


def _seed_products(studio: Studio) -> None:
    """A dozen shelf products with stock in every home location, made by `product_save`.

    Products are found by SKU, so a rerun adds only what is missing and never changes a count
    someone has changed since. A home location the table does not name gets 0."""
    from pos.models import Product
    from pos.services.products import product_save
    from studio import selectors as studio_selectors
    from studio.services import SYSTEM

    homes = list(studio_selectors.home_locations(studio=studio))
    shelves = _SHELVES.get(studio.slug, ())
    existing = set(Product.objects.filter(studio=studio).values_list("sku", flat=True))
    for name, sku, barcode, price, alert, units in _PRODUCTS.get(studio.slug, _PRODUCTS["autre"]):
        if sku in existing:
            continue
        counted = dict(zip(shelves, units or (), strict=False))
        product_save(
            studio=studio,
            actor=SYSTEM,
            product=Product(
                name=name,
                sku=sku,
                barcode=barcode,
                price_amount=price,
                tax_kind="product",
                track_stock=units is not None,
                low_stock_threshold=alert,
            ),
            stock={loc.pk: counted.get(loc.name, 0) for loc in homes} if units is not None else None,
        )


# --- readers (rdr) ---


DEMO_READER_LABEL = "Accueil"  # the demo studio speaks French
DEMO_READER_CODE = "simulated-wpe"  # the sandbox's simulated BBPOS WisePOS E


def _seed_readers(studio: Studio) -> None:
    """One simulated reader per home location, on the account its sales go to (Montréal's and
    Laval's own; Québec, which has none of its own, on the studio's default), paired the way a
    person pairs one."""
    from payments.selectors import readers_for_location
    from payments.services.terminal import reader_account_for, reader_register
    from pos.device import sellable_locations
    from studio.services import SYSTEM

    for location in sellable_locations(studio=studio):
        if reader_account_for(studio=studio, location=location) is None:
            continue
        if readers_for_location(studio=studio, location=location):
            continue
        reader_register(
            studio=studio,
            actor=SYSTEM,
            location=location,
            # The location in the name: the sandbox's dashboard lists every reader of the studio.
            label=f"{DEMO_READER_LABEL} {location.name}",
            registration_code=DEMO_READER_CODE,
            # Fixed: a seed run again (or one that died half-way) pairs nothing twice.
            request_token=f"demo-reader-{studio.slug}-{location.pk}",
        )


# --- a day of sales (tender) ---


DEMO_SALE_TOKEN = "demo-sale-{location}-{n}"  # fixed tokens: a second seed opens no sale again


def _seed_sales(studio: Studio) -> None:
    """A day of sales at each home location whose account can take payments, made the way a
    clerk makes them (the cart's services, then the tenders): a walk-in paying cash with change
    due, a client's saved card on the location's account, and the simulated reader with a 15 %
    tip. Idempotent: each sale is opened with a fixed token, and a sale already paid is left."""
    from payments.services.accounts import account_for_location
    from pos.device import sellable_locations
    from pos.models import Product
    from studio.models import StaffMember

    member = (
        StaffMember.objects.filter(studio=studio, role__kind__in=("front_desk", "owner"))
        .select_related("user", "role")
        .order_by("-role__kind", "id")  # the front desk first: "owner" sorts after "front_desk"
        .first()
    )
    if member is None:
        return
    from studio.services import Actor

    clerk = Actor(user=member.user)
    shelf = list(
        Product.objects.filter(studio=studio, archived_at__isnull=True, track_stock=True).order_by("id")
    )
    if not shelf:
        return
    for location in sellable_locations(studio=studio):
        account = account_for_location(studio=studio, location=location)
        if account is None or not account.can_charge:
            continue
        _demo_sale_cash(studio, clerk, location, shelf)
        _demo_sale_saved_card(studio, clerk, location, shelf)
        _demo_sale_reader(studio, clerk, location, shelf)


def _demo_cart(studio, clerk, location, n: int, products, client=None):
    """The demo's sale `n` at `location` with `products`, or None when it was paid already."""
    from django.core.exceptions import ValidationError

    from pos.models import SaleStatus
    from pos.services.cart import sale_add_product, sale_open, sale_set_client

    sale = sale_open(
        studio=studio, actor=clerk, location=location, token=DEMO_SALE_TOKEN.format(location=location.pk, n=n)
    )
    if sale.status != SaleStatus.OPEN:
        return None
    if not sale.lines.exists():
        try:
            if client is not None:
                sale_set_client(studio=studio, actor=clerk, sale=sale, client=client)
            for product in products:
                sale_add_product(studio=studio, actor=clerk, sale=sale, product=product)
        except ValidationError:
            return None  # out of stock here: the demo sells something else next time
    sale.refresh_from_db()
    return sale if sale.total > 0 else None


def _demo_sale_cash(studio, clerk, location, shelf) -> None:
    from pos.services.checkout import tender_cash

    sale = _demo_cart(studio, clerk, location, 1, shelf[:2])
    if sale is None:
        return
    handed = -(-sale.total // 1000) * 1000  # the next 10 $ note up: change is due
    tender_cash(
        studio=studio,
        actor=clerk,
        sale=sale,
        amount=sale.total,
        cash_received=handed,
        token=f"{sale.token}-cash",
    )


def _demo_client_with_card(studio, location):
    from payments.models import SavedPaymentMethod
    from payments.services.accounts import account_for_location

    account = account_for_location(studio=studio, location=location)
    method = (
        SavedPaymentMethod.objects.filter(studio=studio, account=account, kind=SavedPaymentMethod.Kind.CARD)
        .select_related("client", "customer")
        .order_by("id")
        .first()
    )
    return method


def _demo_sale_saved_card(studio, clerk, location, shelf) -> None:
    from pos.services.checkout import saved_cards_for_sale, tender_saved_card

    method = _demo_client_with_card(studio, location)
    if method is None:
        return
    sale = _demo_cart(studio, clerk, location, 2, shelf[1:2], client=method.client)
    if sale is None:
        return
    cards = saved_cards_for_sale(sale=sale)
    if not cards:
        return
    tender_saved_card(
        studio=studio,
        actor=clerk,
        sale=sale,
        amount=sale.total,
        saved_method=cards[0],
        token=f"{sale.token}-card",
    )


def _demo_sale_reader(studio, clerk, location, shelf) -> None:
    """Paid on the location's simulated reader, the client choosing a 15 % tip on it."""
    from payments.selectors import readers_for_location
    from payments.services import terminal
    from pos.services.checkout import tender_reader_poll, tender_reader_start
    from pos.services.settings import pos_settings_for, pos_settings_update
    from studio.models import Client

    present = getattr(terminal, "reader_present_test_card", None)
    readers = readers_for_location(studio=studio, location=location)
    if present is None or not readers:
        return
    settings_row = pos_settings_for(studio=studio)
    if not settings_row.tips_enabled:
        pos_settings_update(
            studio=studio, actor=clerk, tips_enabled=True, tip_percentages=list(settings_row.tip_percentages)
        )
    client = Client.objects.filter(studio=studio, home_location=location).order_by("id").first()
    sale = _demo_cart(studio, clerk, location, 3, shelf[2:4], client=client)
    if sale is None:
        return
    tender = tender_reader_start(
        studio=studio,
        actor=clerk,
        sale=sale,
        amount=sale.total,
        reader=readers[0],
        save_card=False,
        token=f"{sale.token}-reader",
    )
    if tender.payment_id is None:
        return
    from payments.models import Payment

    present(payment=Payment.objects.get(pk=tender.payment_id), amount_tip=(sale.total * 15 + 50) // 100)
    tender_reader_poll(studio=studio, actor=clerk, tender=tender)
