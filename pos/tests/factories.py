"""Test data for the point of sale. Each helper's factories in its own section."""

from __future__ import annotations

# --- products (prod) ---


def product(studio, *, stock=None, **kw):
    """A product of `studio` (10,00, taxed as a product, stock tracked, alert at 3), made with
    the model directly. `stock`: {Location: units} or an int for every home location of the studio
    (each count written as a stock row, without movements); `kw` sets any other Product field."""
    import itertools

    from django_scopes import scopes_disabled

    from pos.models import Product, ProductStock
    from studio.models import Location

    with scopes_disabled():
        n = next(_product_numbers)
        fields = {
            "name": f"Product {n}",
            "price_amount": 1000,
            "currency": studio.currency,
            "tax_kind": "product",
            **kw,
        }
        made = Product.objects.create(studio=studio, **fields)
        if isinstance(stock, int) and not isinstance(stock, bool):
            homes = Location.objects.filter(studio=studio, is_home_location=True, archived_at__isnull=True)
            stock = dict(zip(homes, itertools.repeat(stock)))
        ProductStock.objects.bulk_create(
            [
                ProductStock(studio=studio, product=made, location=location, quantity=units)
                for location, units in (stock or {}).items()
            ]
        )
        return made


def _numbers():
    n = 0
    while True:
        n += 1
        yield n


_product_numbers = _numbers()

# --- sales (cart / tender) ---


def open_sale(studio, location=None, client=None, **kw):
    """An OPEN sale at `location` (a new home location of `studio` when None) for `client` (None:
    a walk-in), opened by the studio's owner; `kw` sets any other Sale field (status, token…)."""
    import secrets

    from django_scopes import scopes_disabled

    from pos.models import Sale
    from tests.factories import LocationFactory, owner_of

    with scopes_disabled():
        location = location or LocationFactory(studio=studio)
        fields = {
            "currency": studio.currency,
            "token": secrets.token_hex(16),
            "created_by": owner_of(studio).user,
            **kw,
        }
        return Sale.objects.create(studio=studio, location=location, client=client, **fields)


def sale_line(sale, *, kind="product", unit_amount=1000, quantity=1, tax_kind="", reprice=True, **kw):
    """A line on `sale` made directly (no checks); `reprice` then refreshes the sale's totals as
    the cart services would. `kw`: product=, plan=, session=, description=, discount_*…"""
    from django.db.models import Max
    from django_scopes import scopes_disabled

    from pos.models import SaleLine
    from pos.services.cart import sale_reprice

    with scopes_disabled():
        top = SaleLine.objects.filter(sale=sale).aggregate(top=Max("position"))["top"]
        line = SaleLine.objects.create(
            studio_id=sale.studio_id,
            sale=sale,
            position=0 if top is None else top + 1,
            kind=kind,
            unit_amount=unit_amount,
            quantity=quantity,
            tax_kind=tax_kind,
            description=kw.pop("description", f"{kind} line"),
            **kw,
        )
        if reprice and sale.status == "open":
            sale_reprice(sale=sale)
            line.refresh_from_db()
        return line


def simple_product(studio, *, price_amount=1000, tax_kind="product", **kw):
    """A product made directly with the model, not counting stock unless `track_stock=True` is
    given (the cart refuses more units than the shelf holds; `product(stock=…)` gives it some)."""
    from django_scopes import scopes_disabled

    from pos.models import Product

    with scopes_disabled():
        kw.setdefault("name", f"Product {Product.objects.count() + 1}")
        kw.setdefault("track_stock", False)
        return Product.objects.create(
            studio=studio, price_amount=price_amount, currency=studio.currency, tax_kind=tax_kind, **kw
        )


# --- tills (till) ---


def till(studio, location=None, *, opening_float=10000, opened_by=None, **kw):
    """An open cash session (till) at `location` (a new home location when None), made directly."""
    from django_scopes import scopes_disabled

    from pos.models import CashSession
    from tests.factories import LocationFactory, owner_of

    with scopes_disabled():
        location = location or LocationFactory(studio=studio)
        return CashSession.objects.create(
            studio=studio,
            location=location,
            currency=studio.currency,
            opening_float=opening_float,
            opened_by=opened_by or owner_of(studio).user,
            **kw,
        )


_till_numbers = iter(range(1, 10**9))


def tender_payment(
    sale, *, method, amount, card_brand="", card_last4="", tip_amount=0, card_fee_amount=0, **kw
):
    """A SUCCEEDED payment for one tender of `sale`, written to the row (no Stripe): cash, credit or
    a card whose refund never needs the sandbox. Card refunds to Stripe need a real intent (tests make one)."""
    from django_scopes import scopes_disabled

    from payments.models import Payment

    with scopes_disabled():
        return Payment.objects.create(
            studio_id=sale.studio_id,
            client=sale.client,
            amount=amount + tip_amount + card_fee_amount,
            currency=sale.currency,
            subtotal=amount,
            card_fee_amount=card_fee_amount,
            tip_amount=tip_amount,
            card_brand=card_brand,
            card_last4=card_last4,
            routing_rule="pos_location",
            channel="pos",
            item_kind="pos_sale",
            description=f"Sale {sale.pk}",
            method=method,
            location=sale.location,
            idempotency_key=f"till-test:{sale.pk}:{next(_till_numbers)}",
            status=Payment.Status.SUCCEEDED,
            **kw,
        )


def completed_sale(
    studio,
    location=None,
    client=None,
    *,
    lines=({"description": "Water bottle", "unit_amount": 1000},),
    tenders=None,
    tax_rate=None,
    cash_session=None,
    number=None,
    **kw,
):
    """A COMPLETED sale made directly with the models (no cart or tender services).

    `lines`: dicts of SaleLine fields (kind "product" by default; `unit_amount`, `quantity`…);
    `tax_rate` ("5.000"): one tax "GST" on every line. `tenders`: dicts with `kind`, `amount` and
    optional `payment` (else one is written: `tender_payment`), `card_brand`, `card_last4`,
    `tip_amount`, `card_fee_amount`, `cash_received`, `change_due`; None = one cash tender of the total.
    """
    from decimal import Decimal

    from django.db.models import Max
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from pos.models import Sale, SaleLine, SaleTender
    from studio.money import percent_of
    from tests.factories import LocationFactory, owner_of

    with scopes_disabled():
        location = location or LocationFactory(studio=studio)
        if number is None:
            top = Sale.objects.filter(studio=studio).aggregate(top=Max("number"))["top"] or 0
            number = top + 1
        now = timezone.now()
        sale = Sale.objects.create(
            studio=studio,
            location=location,
            client=client,
            status=kw.pop("status", "completed"),
            currency=studio.currency,
            token=f"till-sale-{studio.pk}-{next(_till_numbers)}",
            created_by=owner_of(studio).user,
            cash_session=cash_session,
            number=number,
            locked_at=now,
            completed_at=now,
            **kw,
        )
        subtotal = tax_total = 0
        for position, spec in enumerate(lines):
            spec = dict(spec)
            quantity = spec.pop("quantity", 1)
            unit = spec.pop("unit_amount", 1000)
            line_subtotal = unit * quantity
            taxes = []
            if tax_rate is not None:
                taxes = [
                    {
                        "name": "GST",
                        "rate": str(tax_rate),
                        "amount": percent_of(line_subtotal, Decimal(tax_rate)),
                    }
                ]
            line_tax = sum(t["amount"] for t in taxes)
            SaleLine.objects.create(
                studio=studio,
                sale=sale,
                position=position,
                kind=spec.pop("kind", "product"),
                description=spec.pop("description", f"Line {position + 1}"),
                quantity=quantity,
                unit_amount=unit,
                line_subtotal=line_subtotal,
                tax_total=line_tax,
                tax_lines=taxes,
                line_total=line_subtotal + line_tax,
                **spec,
            )
            subtotal += line_subtotal
            tax_total += line_tax
        sale.subtotal = subtotal
        sale.tax_total = tax_total
        sale.total = subtotal + tax_total
        if tax_rate is not None:
            sale.tax_lines = [{"name": "GST", "rate": str(tax_rate), "amount": tax_total}]
        methods = {
            "cash": "cash",
            "credit": "credit",
            "reader": "card_present",
            "saved_card": "saved_method",
            "manual_card": "card",
        }
        for spec in tenders if tenders is not None else [{"kind": "cash", "amount": sale.total}]:
            spec = dict(spec)
            kind, amount = spec.pop("kind"), spec.pop("amount")
            extra = {k: spec.pop(k, default) for k, default in (("tip_amount", 0), ("card_fee_amount", 0))}
            brand, last4 = spec.pop("card_brand", ""), spec.pop("card_last4", "")
            payment = spec.pop("payment", None) or tender_payment(
                sale, method=methods[kind], amount=amount, card_brand=brand, card_last4=last4, **extra
            )
            SaleTender.objects.create(
                studio=studio,
                sale=sale,
                kind=kind,
                status="succeeded",
                amount=amount,
                payment=payment,
                token=f"till-tender-{next(_till_numbers)}",
                created_by=sale.created_by,
                **extra,
                **spec,
            )
            sale.tip_amount += extra["tip_amount"]
        sale.save()
        return sale


# --- readers (rdr) ---

_reader_numbers = iter(range(1, 10**9))


def make_card_reader(studio, *, location=None, account=None, label="Front desk", status="online", **fields):
    """A paired reader written straight to the rows (no Stripe): for pages that only read them.

    Its account is a ready one serving `location` (both made when not given)."""
    from django_scopes import scopes_disabled

    from payments.models import CardReader, ConnectedAccount, ConnectedAccountLocation, TerminalLocation
    from tests.factories import LocationFactory

    n = next(_reader_numbers)
    with scopes_disabled():
        location = location or LocationFactory(studio=studio, name=f"Reader place {n}")
        if account is None:
            account = ConnectedAccount.objects.create(
                studio=studio,
                display_name=f"Account {n}",
                stripe_account_id=f"acct_rdr{studio.pk}x{n}",
                creation_key=f"rdr-test:{n}",
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                state=ConnectedAccount.State.READY,
            )
            ConnectedAccountLocation.objects.get_or_create(
                studio=studio, location=location, defaults={"account": account}
            )
        terminal_location, _created = TerminalLocation.objects.get_or_create(
            studio=studio,
            location=location,
            account=account,
            defaults={"stripe_location_id": f"tml_rdr{n}", "idempotency_key": f"rdr-test-location:{n}"},
        )
        return CardReader.objects.create(
            studio=studio,
            location=location,
            account=account,
            terminal_location=terminal_location,
            stripe_reader_id=f"tmr_rdr{studio.pk}x{n}",
            label=label,
            device_type="simulated_wisepos_e",
            serial_number=f"SN-RDR-{n:05d}",
            status=status,
            **fields,
        )
