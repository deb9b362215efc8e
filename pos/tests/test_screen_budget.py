"""Query budgets of the POS screen (issue 14, Q-6): the sale's page and the cart fragment read the
same number of queries with 1 and 30 lines, and with 1 and 200 products on the shelf."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.models import CashSession
from pos.tests.factories import open_sale, product, sale_line
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop(studio, owner, owner_client, other_studio):
    laval = LocationFactory(studio=studio, name="Laval")
    with scopes_disabled():
        CashSession.objects.create(
            studio=studio, location=laval, currency=studio.currency, opening_float=0, opened_by=owner.user
        )
    owner_client.post(reverse("pos-location", kwargs={"studio_slug": studio.slug}), {"location": laval.pk})
    client = ClientFactory(studio=studio, home_location=laval)
    sale = open_sale(studio, laval, client)
    # The first line is a plan: the waivers a plan asks are read at every size.
    plan = PlanFactory(studio=studio, pack=True)
    sale_line(sale, kind="plan", plan=plan, description=plan.name, unit_amount=plan.price_amount)
    first = product(studio, name="Product A", stock={laval: 9})
    # The other studio has a shop too: none of it may be read.
    product(other_studio, name="Foreign")
    return {"laval": laval, "sale": sale, "client": client, "first": first}


def _count(http, method, url, data=None, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(http, method)(url, data or {}, **headers)
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def _grow_lines(studio, shop, n: int) -> None:
    for i in range(n):
        item = product(studio, name=f"Line product {i}", stock={shop["laval"]: 5})
        sale_line(
            shop["sale"],
            product=item,
            description=item.name,
            unit_amount=item.price_amount,
            tax_kind="product",
        )


def _grow_products(studio, shop, n: int) -> None:
    for i in range(n):
        product(studio, name=f"Shelf {i:03d}", stock={shop["laval"]: i % 4})


def test_the_screen_costs_the_same_with_1_and_30_lines_and_1_and_200_products(studio, shop, owner_client):
    url = reverse("pos-sale", kwargs={"studio_slug": studio.slug, "pk": shop["sale"].pk})
    owner_client.get(url)  # warm: the settings rows a first read creates
    one = _count(owner_client, "get", url)
    _grow_lines(studio, shop, 29)
    thirty = _count(owner_client, "get", url)
    _grow_products(studio, shop, 199)
    many = _count(owner_client, "get", url)
    assert one == thirty == many, (one, thirty, many)


def test_the_cart_fragment_costs_the_same_with_1_and_30_lines_and_1_and_200_products(
    studio, shop, owner_client
):
    sale = shop["sale"]
    line_pk = sale_line(sale, product=product(studio, stock={shop["laval"]: 99}), unit_amount=100).pk
    url = reverse("pos-cart-line", kwargs={"studio_slug": studio.slug, "pk": sale.pk, "line_pk": line_pk})
    owner_client.post(url, {"action": "inc"}, **HX)
    one = _count(owner_client, "post", url, {"action": "inc"}, **HX)
    _grow_lines(studio, shop, 29)
    thirty = _count(owner_client, "post", url, {"action": "inc"}, **HX)
    _grow_products(studio, shop, 199)
    many = _count(owner_client, "post", url, {"action": "inc"}, **HX)
    assert one == thirty == many, (one, thirty, many)


def test_a_quantity_change_answers_without_reading_the_catalogue_or_the_client_zone(
    studio, shop, owner_client
):
    """Issue 14's speed goal: a cart answer reads only what the zones it sends show. A line's
    quantity re-renders the cart, the total and the tender panel, not the catalogue (its products,
    plans and today's classes) nor the client search; and the whole POST stays within its ceiling."""
    sale = shop["sale"]
    line_pk = sale_line(sale, product=product(studio, stock={shop["laval"]: 99}), unit_amount=100).pk
    url = reverse("pos-cart-line", kwargs={"studio_slug": studio.slug, "pk": sale.pk, "line_pk": line_pk})
    owner_client.post(url, {"action": "inc"}, **HX)  # warm: the settings rows a first read creates
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.post(url, {"action": "inc"}, **HX)
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    catalogue = ('SELECT "pos_product"."id"', 'SELECT "memberships_plan"', 'SELECT "scheduling_classsession"')
    assert not [s for s in sql if s.startswith(catalogue)], sql
    # What the shelf holds is read once (one more unit must be on it: `stock_check_available`).
    assert len([s for s in sql if 'FROM "pos_productstock"' in s]) == 1, sql
    # One UPDATE of the line (its quantity with its totals), one of the sale's totals.
    assert len([s for s in sql if s.startswith('UPDATE "pos_saleline"')]) == 1, sql
    assert len(sql) <= CART_LINE_QUERIES_MAX, (len(sql), sql)
    assert b'data-line="%d"' % line_pk in response.content


# The htmx answer to "one more" on a line, everything included (session, user, tenant, the sale,
# the line, the service's transaction, lock, lines, what the shelf holds (one more unit must be
# there), tax rates and writes, the waivers the plan
# line asks, the card-fee settings, the tender panel drawn in full: route, saved cards, readers,
# credit). Before issue 14's speed work the same answer also read the catalogue (products, plans,
# today's classes), the account's route and the client's credit twice, the cart's lines three
# times and the tenders twice (33); then the sale and its lines again after the change, and an
# OPEN sale's tenders, which it cannot have (21).
CART_LINE_QUERIES_MAX = 19
# The same answer when the screen says its tender panel shows what the change leaves as it was
# (`#pos-panel-state`): only the balance and the forms' amounts are sent, the panel's reads skipped.
CART_LINE_BALANCE_QUERIES_MAX = 15


def _panel_state(body: bytes) -> str:
    import re

    found = re.search(rb'id="pos-panel-state" name="panel" value="([^"]*)"', body)
    assert found, "the tender panel carries its state"
    return found.group(1).decode()


def _quantity_change(studio, shop, owner_client):
    sale = shop["sale"]
    line_pk = sale_line(sale, product=product(studio, stock={shop["laval"]: 99}), unit_amount=100).pk
    url = reverse("pos-cart-line", kwargs={"studio_slug": studio.slug, "pk": sale.pk, "line_pk": line_pk})
    first = owner_client.post(url, {"action": "inc"}, **HX)  # the panel drawn in full, with its state
    return url, line_pk, _panel_state(first.content)


def test_a_quantity_change_answers_only_the_tender_panels_balance_when_nothing_else_on_it_moved(
    studio, shop, owner_client
):
    """Issue 14: the tender panel (route, saved cards, readers, credit, five forms drawn by widget
    templates) is a third of a cart answer's work; a line's quantity moves only its balance and the
    amounts its forms are prefilled with, so those are what the answer carries (out of band)."""
    url, line_pk, state = _quantity_change(studio, shop, owner_client)
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.post(url, {"action": "inc", "panel": state}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    with scopes_disabled():
        total = type(shop["sale"]).objects.get(pk=shop["sale"].pk).total
    assert '<div id="pos-tender" hx-swap-oob="innerHTML">' not in body
    assert (
        f'id="pos-tender-balance" hx-swap-oob="true" data-testid="tender-balance" data-balance="{total}"'
        in body
    )
    # Every form's amount follows the balance, as the full panel prefills them (cash: received too).
    for name in ("cash-amount", "cash-cash_received", "manual_card-amount"):
        assert f'id="id_{name}"' in body and 'hx-swap-oob="true"' in body
    assert body.count('hx-swap-oob="true"') == 1 + len(state.rsplit(":", 1)[1].split(",")) + 1
    sql = [q["sql"] for q in queries.captured_queries]
    panel_reads = (
        "payments_cardreader",
        "payments_savedpaymentmethod",
        "payments_creditentry",
        "pos_saletender",
    )
    assert not [s for s in sql if any(f'FROM "{table}"' in s for table in panel_reads)], sql
    # The change's own rows answer: the sale is read by the view and locked by the service, no more.
    assert len([s for s in sql if s.startswith('SELECT "pos_sale"."id"')]) == 2, sql
    assert len(sql) <= CART_LINE_BALANCE_QUERIES_MAX, (len(sql), sql)
    assert f'data-line="{line_pk}"' in body


def test_the_balance_only_answer_costs_the_same_with_1_and_30_lines(studio, shop, owner_client):
    url, _line_pk, state = _quantity_change(studio, shop, owner_client)
    one = _count(owner_client, "post", url, {"action": "inc", "panel": state}, **HX)
    _grow_lines(studio, shop, 29)
    thirty = _count(owner_client, "post", url, {"action": "inc", "panel": state}, **HX)
    assert one == thirty, (one, thirty)


@pytest.mark.parametrize(
    "state",
    [
        "",
        "open:0:cash",
        "tendering:1:cash",
        "open:{client}:cash,bogus",
        "open:{client}:cash,cash",
        "\u00b2" * 300,
    ],
)
def test_a_panel_state_that_is_not_the_sales_draws_the_whole_panel(studio, shop, owner_client, state):
    """Another client than the sale's, a state no answer writes, or hostile text: the panel is drawn
    again in full (it never trusts the screen for more than "nothing else moved")."""
    url, _line_pk, _state = _quantity_change(studio, shop, owner_client)
    posted = state.replace("{client}", str(shop["client"].pk))
    response = owner_client.post(url, {"action": "inc", "panel": posted}, **HX)
    assert response.status_code == 200
    assert b'<div id="pos-tender" hx-swap-oob="innerHTML">' in response.content


def test_choosing_the_client_draws_the_whole_panel_whatever_the_screen_says(studio, shop, owner_client):
    """A new client changes the panel's credit, saved cards and forms: drawn in full."""
    _url, _line_pk, state = _quantity_change(studio, shop, owner_client)
    other = ClientFactory(studio=studio, home_location=shop["laval"])
    response = owner_client.post(
        reverse("pos-cart-client", kwargs={"studio_slug": studio.slug, "pk": shop["sale"].pk}),
        {"client": other.pk, "panel": state},
        **HX,
    )
    assert response.status_code == 200
    assert b'<div id="pos-tender" hx-swap-oob="innerHTML">' in response.content
    assert _panel_state(response.content) == state.replace(f":{shop['client'].pk}:", f":{other.pk}:")


def test_studio_credit_is_prefilled_with_what_it_can_pay_in_the_panel_and_in_a_balance_only_answer(
    studio, shop, owner_client
):
    """A client with $0.50 of credit and a larger balance: the credit form offers $0.50, not the
    balance it cannot pay — when the panel is drawn and when a cart change sends only amounts."""
    from payments.services.credit import credit_grant
    from studio.services import SYSTEM

    with scopes_disabled():
        credit_grant(studio=studio, actor=SYSTEM, client=shop["client"], amount=50, note="gift")
    url, _line_pk, state = _quantity_change(studio, shop, owner_client)
    assert "credit" in state.rsplit(":", 1)[1].split(",")
    response = owner_client.post(url, {"action": "inc", "panel": state}, **HX)
    body = response.content.decode()
    assert '<div id="pos-tender" hx-swap-oob="innerHTML">' not in body  # amounts only
    assert 'value="0.50"' in _input_tag(body, "id_credit-amount")
    assert 'value="0.50"' not in _input_tag(body, "id_cash-amount")
    panel = owner_client.get(
        reverse("pos-tender", kwargs={"studio_slug": studio.slug, "pk": shop["sale"].pk}), **HX
    ).content.decode()
    assert 'value="0.50"' in _input_tag(panel, "id_credit-amount")


def _input_tag(html: str, input_id: str) -> str:
    at = html.index(f'id="{input_id}"')
    return html[html.rindex("<input", 0, at) : html.index(">", at)]
