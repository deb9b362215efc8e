"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# products and stock (prod)


def _product(studio):
    from pos.tests.factories import product

    return {"pk": product(studio, stock=2).pk}


CASES["product-edit"] = _product
CASES["product-archive"] = _product
CASES["product-stock"] = _product

# the POS screen (screen)


def _screen_sale(studio):
    from pos.tests.factories import open_sale

    return {"pk": open_sale(studio).pk}


def _screen_line(studio):
    from pos.tests.factories import open_sale, sale_line

    line = sale_line(open_sale(studio), description="Water bottle")
    return {"pk": line.sale_id, "line_pk": line.pk}


CASES["pos-sale"] = _screen_sale
CASES["pos-cart-add"] = _screen_sale
CASES["pos-cart-line"] = _screen_line
CASES["pos-cart-discount"] = _screen_sale
CASES["pos-cart-client"] = _screen_sale

# tenders (tender)


def _tender_sale(studio):
    from pos.tests.factories import open_sale, sale_line

    return {"pk": sale_line(open_sale(studio), description="Water bottle").sale_id}


def _tender(studio, kind="cash"):
    from django_scopes import scopes_disabled

    from pos.tests.factories import completed_sale

    sale = completed_sale(studio, tenders=[{"kind": kind, "amount": 1000}])
    with scopes_disabled():
        return {"pk": sale.tenders.get().pk}


CASES["pos-tender"] = _tender_sale
CASES["pos-sale-void"] = _tender_sale
CASES["pos-tender-status"] = _tender
CASES["pos-tender-cancel"] = _tender
CASES["pos-tender-card"] = lambda studio: _tender(studio, kind="manual_card")

# tills, receipts, returns (till)


def _till(studio):
    from pos.tests.factories import till

    return {"pk": till(studio).pk}


def _completed_sale(studio):
    from pos.tests.factories import completed_sale

    return {"pk": completed_sale(studio).pk}


CASES["pos-till-close"] = _till
CASES["pos-till-report"] = _till
CASES["pos-till-report-pdf"] = _till
for _name in ("pos-sale-receipt", "pos-sale-receipt-pdf", "pos-sale-receipt-email", "pos-sale-return"):
    CASES[_name] = _completed_sale

# card readers (rdr)


def _card_reader(studio):
    from pos.tests.factories import make_card_reader

    return {"pk": make_card_reader(studio).pk}


for _name in ("reader-edit", "reader-delete", "reader-refresh"):
    CASES[_name] = _card_reader
