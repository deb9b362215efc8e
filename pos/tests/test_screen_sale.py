"""The sale's one screen (POS-1, POS-6): catalogue, cart, client zone; every cart change one POST
that answers the cart fragment with what else changed out of band (htmx), or redirects (PRG)
without JavaScript; refusals beside their cause; the waivers the cart needs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.models import CashSession, DiscountKind, LineKind, Sale, SaleLine, SaleStatus
from pos.tests.factories import open_sale, product, sale_line
from studio.models import Client, Role
from studio.permissions import Perm, RoleKind
from tests.factories import ClientFactory, LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def demo_pos_sale(studio, *, location=None):
    """An open sale with a product line at a home location of `studio`, its till open (for the
    accessibility walk and the browser tests): the sale's screen as a clerk sees it mid-sale."""
    from studio.models import Location
    from tests.factories import owner_of

    with scopes_disabled():
        location = (
            location or Location.objects.filter(studio=studio, is_home_location=True).order_by("id").first()
        )
        if not CashSession.objects.filter(studio=studio, location=location, closed_at__isnull=True).exists():
            CashSession.objects.create(
                studio=studio,
                location=location,
                currency=studio.currency,
                opening_float=10000,
                opened_by=owner_of(studio).user,
            )
    sale = open_sale(studio, location)
    sale_line(
        sale,
        product=product(studio, name="Gourde d’eau", barcode="9990000000017", stock={location: 5}),
        description="Gourde d’eau",
        unit_amount=1500,
        tax_kind="product",
    )
    return sale


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval")


@pytest.fixture
def desk(studio, owner, laval, owner_client):
    """The owner at Laval's front desk, till open, a sale open, two products on the shelf."""
    with scopes_disabled():
        CashSession.objects.create(
            studio=studio, location=laval, currency=studio.currency, opening_float=10000, opened_by=owner.user
        )
    owner_client.post(_url(studio, "pos-location"), {"location": laval.pk})
    bottle = product(studio, name="Water bottle", barcode="0123456789012", sku="BOT-1", stock={laval: 5})
    mat = product(studio, name="Yoga mat", price_amount=6000, stock={laval: 2})
    sale = open_sale(studio, laval)
    lea = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval)
    return {"http": owner_client, "sale": sale, "bottle": bottle, "mat": mat, "lea": lea, "laval": laval}


def _lines(sale) -> list[SaleLine]:
    with scopes_disabled():
        return list(SaleLine.objects.filter(sale=sale).order_by("position", "id"))


def _sale(sale) -> Sale:
    with scopes_disabled():
        return Sale.objects.select_related("client").get(pk=sale.pk)


def _post(http, studio, name, data, *, htmx=True, **kwargs):
    with translation.override("en"):
        return http.post(_url(studio, name, **kwargs), data, **(HX if htmx else {}))


def _add(desk, studio, data, *, htmx=True):
    return _post(desk["http"], studio, "pos-cart-add", data, htmx=htmx, pk=desk["sale"].pk)


def test_the_screen_shows_catalogue_cart_and_client_zone_in_focus_order(studio, desk):
    with translation.override("en"):
        page = desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Water bottle" in body and "Yoga mat" in body and "5 in stock" in body
    assert "The cart is empty" in body
    assert "Walk-in (no client)" in body
    # search → catalogue → cart → pay, in the document's order (the focus order).
    order = [
        body.index(marker)
        for marker in ('id="pos-search-q"', 'id="pos-catalogue-items"', 'id="pos-cart"', 'id="pos-tender"')
    ]
    assert order == sorted(order)
    assert 'id="pos-total" class="pos-total" aria-live="polite"' in body
    assert 'id="pos-messages" class="pos-messages" role="status" aria-live="polite"' in body


def test_adding_a_product_answers_the_cart_and_its_totals_in_one_round_trip(studio, desk):
    response = _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk})
    body = response.content.decode()
    assert response.status_code == 200
    [line] = _lines(desk["sale"])
    assert (line.kind, line.product_id, line.quantity) == (LineKind.PRODUCT, desk["bottle"].pk, 1)
    assert f'data-line="{line.pk}"' in body
    assert '<div id="pos-total" hx-swap-oob="innerHTML">' in body
    assert f'data-total="{_sale(desk["sale"]).total}"' in body
    assert '<div id="pos-tender" hx-swap-oob="innerHTML">' in body
    assert "<html" not in body  # a fragment, not the page


def test_without_javascript_the_same_form_posts_and_redirects_back(studio, desk):
    response = _add(desk, studio, {"kind": "product", "item": desk["mat"].pk}, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == _url(studio, "pos-sale", pk=desk["sale"].pk)
    assert [line.product_id for line in _lines(desk["sale"])] == [desk["mat"].pk]


def test_enter_on_an_exact_barcode_adds_it_and_any_other_text_filters(studio, desk):
    response = _add(desk, studio, {"kind": "code", "q": "0123456789012"})
    assert response["HX-Trigger"] == "posCodeAdded"
    assert [line.product_id for line in _lines(desk["sale"])] == [desk["bottle"].pk]
    response = _add(desk, studio, {"kind": "code", "q": "BOT-1"})
    assert _lines(desk["sale"])[0].quantity == 2
    # Not a code: nothing is added, the catalogue answers filtered (out of band).
    response = _add(desk, studio, {"kind": "code", "q": "mat"})
    body = response.content.decode()
    assert "HX-Trigger" not in response
    assert _lines(desk["sale"])[0].quantity == 2 and len(_lines(desk["sale"])) == 1
    catalogue = body[body.index('<div id="pos-catalogue-items" hx-swap-oob="innerHTML">') :]
    assert "Yoga mat" in catalogue and "Water bottle" not in catalogue
    # Without JavaScript a search that is not a code comes back as the filtered page.
    response = _add(desk, studio, {"kind": "code", "q": "mat"}, htmx=False)
    assert response.status_code == 302 and response["Location"].endswith("?q=mat")


def test_typing_in_the_search_filters_the_catalogue_items_only(studio, desk):
    with translation.override("en"):
        response = desk["http"].get(
            _url(studio, "pos-sale", pk=desk["sale"].pk) + "?q=water",
            HTTP_HX_TARGET="pos-catalogue-items",
            **HX,
        )
    body = response.content.decode()
    assert "Water bottle" in body and "Yoga mat" not in body and 'id="pos-cart"' not in body


def test_quantity_plus_minus_and_remove(studio, desk):
    _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk})
    [line] = _lines(desk["sale"])
    _post(desk["http"], studio, "pos-cart-line", {"action": "inc"}, pk=desk["sale"].pk, line_pk=line.pk)
    _post(desk["http"], studio, "pos-cart-line", {"action": "inc"}, pk=desk["sale"].pk, line_pk=line.pk)
    assert _lines(desk["sale"])[0].quantity == 3
    _post(desk["http"], studio, "pos-cart-line", {"action": "dec"}, pk=desk["sale"].pk, line_pk=line.pk)
    assert _lines(desk["sale"])[0].quantity == 2
    assert _sale(desk["sale"]).subtotal == 2 * desk["bottle"].price_amount
    response = _post(
        desk["http"], studio, "pos-cart-line", {"action": "remove"}, pk=desk["sale"].pk, line_pk=line.pk
    )
    assert _lines(desk["sale"]) == []
    assert "The cart is empty" in response.content.decode()
    assert _sale(desk["sale"]).total == 0


def test_a_refused_quantity_shows_beside_its_line_and_changes_nothing(studio, desk):
    _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk})
    [line] = _lines(desk["sale"])
    response = _post(
        desk["http"],
        studio,
        "pos-cart-line",
        {"action": "set", "quantity": "500"},
        pk=desk["sale"].pk,
        line_pk=line.pk,
    )
    body = response.content.decode()
    assert _lines(desk["sale"])[0].quantity == 1
    line_block = body[body.index(f'data-line="{line.pk}"') :]
    assert "errorlist" in line_block[: line_block.index("</li>")]


def test_more_units_than_the_shelf_holds_are_refused_when_added_not_at_the_payment(studio, desk):
    """The mat has 2 on Laval's shelf: a third, by the catalogue or by "+", is refused there and
    then, with what is left, beside what the clerk tapped; the cart keeps its 2."""
    mat = desk["mat"]
    _add(desk, studio, {"kind": "product", "item": mat.pk})
    _add(desk, studio, {"kind": "product", "item": mat.pk})
    refused = _add(desk, studio, {"kind": "product", "item": mat.pk}).content.decode()
    assert "Only 2 “Yoga mat” left here." in refused
    [line] = _lines(desk["sale"])
    assert line.quantity == 2
    by_plus = _post(
        desk["http"], studio, "pos-cart-line", {"action": "inc"}, pk=desk["sale"].pk, line_pk=line.pk
    )
    line_block = by_plus.content.decode().split(f'data-line="{line.pk}"', 1)[1].split("</li>", 1)[0]
    assert "Only 2 “Yoga mat” left here." in line_block
    desk["http"].cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    in_french = desk["http"].post(
        _url(studio, "pos-cart-line", pk=desk["sale"].pk, line_pk=line.pk), {"action": "inc"}, **HX
    )
    del desk["http"].cookies[settings.LANGUAGE_COOKIE_NAME]
    assert "Il n’en reste que 2 ici\u00a0: «\u00a0Yoga mat\u00a0»." in in_french.content.decode()
    assert _lines(desk["sale"])[0].quantity == 2
    assert _sale(desk["sale"]).subtotal == 2 * mat.price_amount
    # Fewer is always possible; a product that does not count its stock is never short.
    _post(desk["http"], studio, "pos-cart-line", {"action": "dec"}, pk=desk["sale"].pk, line_pk=line.pk)
    assert _lines(desk["sale"])[0].quantity == 1
    towel = product(studio, name="Towel rental", track_stock=False)
    for _ in range(3):
        _add(desk, studio, {"kind": "product", "item": towel.pk})
    assert [row.quantity for row in _lines(desk["sale"])] == [1, 3]


def test_the_manager_discounts_a_line_and_the_cart_in_french_decimals(studio, desk, login):
    manager = StaffFactory(studio=studio, kind=RoleKind.MANAGER)
    http = login(manager.user)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"  # the page speaks French: "5,50"
    _add(desk, studio, {"kind": "product", "item": desk["mat"].pk})
    [line] = _lines(desk["sale"])
    with translation.override("fr"):
        http.post(
            _url(studio, "pos-cart-line", pk=desk["sale"].pk, line_pk=line.pk),
            {"action": "discount", "discount_kind": "amount", "discount_amount": "5,50"},
            **HX,
        )
        http.post(
            _url(studio, "pos-cart-discount", pk=desk["sale"].pk),
            {"discount_kind": "percent", "discount_percent": "10,5"},
            **HX,
        )
    line = _lines(desk["sale"])[0]
    sale = _sale(desk["sale"])
    assert (line.discount_kind, line.discount_amount) == (DiscountKind.AMOUNT, 550)
    assert (sale.discount_kind, str(sale.discount_percent)) == (DiscountKind.PERCENT, "10.500")
    assert sale.discount_total > 550


def test_without_the_discount_permission_there_is_no_discount_and_a_post_is_refused(studio, desk, login):
    clerk = StaffFactory(studio=studio, kind=RoleKind.FRONT_DESK)
    http = login(clerk.user)
    _add(desk, studio, {"kind": "product", "item": desk["mat"].pk})
    [line] = _lines(desk["sale"])
    with translation.override("en"):
        page = http.get(_url(studio, "pos-sale", pk=desk["sale"].pk)).content.decode()
        assert "Discount on the cart" not in page and 'name="discount_kind"' not in page
        response = http.post(
            _url(studio, "pos-cart-discount", pk=desk["sale"].pk),
            {"discount_kind": "amount", "discount_amount": "5"},
            **HX,
        )
        http.post(
            _url(studio, "pos-cart-line", pk=desk["sale"].pk, line_pk=line.pk),
            {"action": "discount", "discount_kind": "amount", "discount_amount": "5"},
            **HX,
        )
    assert "Only staff allowed to give discounts can change this." in response.content.decode()
    assert _sale(desk["sale"]).discount_total == 0 and _lines(desk["sale"])[0].discount_amount == 0


def test_choosing_a_client_shows_their_credit_and_saved_cards_and_walk_in_takes_them_off(studio, desk):
    lea = desk["lea"]
    response = _post(desk["http"], studio, "pos-cart-client", {"client": lea.pk}, pk=desk["sale"].pk)
    body = response.content.decode()
    assert _sale(desk["sale"]).client_id == lea.pk
    client_zone = body[body.index('<div id="pos-client-main" hx-swap-oob="innerHTML">') :]
    assert "Léa Gagnon" in client_zone
    assert 'data-credit="0"' in client_zone and 'data-saved-cards="0"' in client_zone
    assert "Amounts owed" in body  # the catalogue's tab appears with a client
    _post(desk["http"], studio, "pos-cart-client", {"client": ""}, pk=desk["sale"].pk)
    assert _sale(desk["sale"]).client_id is None


def test_another_studios_client_is_refused(studio, other_studio, desk):
    with scopes_disabled():
        secret = Client.objects.get(studio=other_studio, first_name="Secret")
    response = _post(desk["http"], studio, "pos-cart-client", {"client": secret.pk}, pk=desk["sale"].pk)
    assert "This client is not one of this studio" in response.content.decode()
    assert _sale(desk["sale"]).client_id is None
    # The next tap that goes through takes the client zone's refusal away (out of band).
    answer = _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk}).content.decode()
    assert '<div id="pos-client-errors" hx-swap-oob="innerHTML"></div>' in answer


def test_the_client_search_answers_results_that_set_the_client(studio, other_studio, desk):
    with translation.override("en"):
        response = desk["http"].get(
            _url(studio, "pos-client-search"), {"q": "gagnon", "sale": desk["sale"].pk}, **HX
        )
        plain = desk["http"].get(_url(studio, "pos-client-search"), {"q": "gagnon", "sale": desk["sale"].pk})
    body = response.content.decode()
    assert f'data-client="{desk["lea"].pk}"' in body and "Secret" not in body
    assert desk["laval"].name in body  # her home location, to tell namesakes apart (SPM-4)
    assert plain.status_code == 302 and "client_q=gagnon" in plain["Location"]
    foreign = open_sale(other_studio)
    assert (
        desk["http"].get(_url(studio, "pos-client-search"), {"q": "x", "sale": foreign.pk}).status_code == 404
    )
    assert desk["http"].get(_url(studio, "pos-client-search"), {"q": "x", "sale": "²"}).status_code == 404


def test_quick_create_makes_the_client_with_the_studio_form_and_sells_to_them(studio, desk):
    response = _post(
        desk["http"],
        studio,
        "pos-client-create",
        {
            "sale": desk["sale"].pk,
            "first_name": "Noé",
            "last_name": "Roy",
            "email": "noe@example.test",
            "phone": "514 555 0199",
            "home_location": desk["laval"].pk,
        },
    )
    assert response.status_code == 200
    with scopes_disabled():
        noe = Client.objects.get(studio=studio, email="noe@example.test")
    assert (noe.first_name, noe.home_location_id) == ("Noé", desk["laval"].pk)
    assert _sale(desk["sale"]).client_id == noe.pk


def test_quick_create_refuses_cleanly_and_saves_nothing(studio, desk):
    with scopes_disabled():
        before = Client.objects.filter(studio=studio).count()
    response = _post(
        desk["http"],
        studio,
        "pos-client-create",
        {"sale": desk["sale"].pk, "first_name": "", "last_name": "Roy", "email": "a" * 288 + "@example.com"},
    )
    body = response.content.decode()
    assert (
        response.status_code == 200 and 'id="id_first_name_error"' in body and 'id="id_email_error"' in body
    )
    with scopes_disabled():
        assert Client.objects.filter(studio=studio).count() == before


def test_quick_create_needs_the_permission_to_create_clients(studio, desk, login):
    with scopes_disabled():
        role = Role.objects.create(studio=studio, name="Till only", permissions=[Perm.SELL_POS])
    seller = StaffFactory(studio=studio, role=role)
    http = login(seller.user)
    with translation.override("en"):
        page = http.get(_url(studio, "pos-sale", pk=desk["sale"].pk)).content.decode()
    assert "New client" not in page
    response = http.post(
        _url(studio, "pos-client-create"),
        {"sale": desk["sale"].pk, "first_name": "A", "last_name": "B"},
        **HX,
    )
    assert response.status_code == 403


def test_a_credit_top_up_reads_french_decimals_and_refusals_show_beside_the_amount(studio, desk):
    _post(desk["http"], studio, "pos-cart-client", {"client": desk["lea"].pk}, pk=desk["sale"].pk)
    desk["http"].cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"  # the page speaks French: "25,50"
    with translation.override("fr"):
        desk["http"].post(
            _url(studio, "pos-cart-add", pk=desk["sale"].pk),
            {"kind": "credit_topup", "amount": "25,50"},
            **HX,
        )
        refused = desk["http"].post(
            _url(studio, "pos-cart-add", pk=desk["sale"].pk), {"kind": "credit_topup", "amount": "²"}, **HX
        )
    [line] = _lines(desk["sale"])
    assert (line.kind, line.unit_amount) == (LineKind.CREDIT_TOPUP, 2550)
    body = refused.content.decode()
    assert 'id="pos-topup-error"' in body
    # The next amount goes in: the form is drawn again, empty and without the refusal.
    added = (
        desk["http"]
        .post(
            _url(studio, "pos-cart-add", pk=desk["sale"].pk), {"kind": "credit_topup", "amount": "0,5"}, **HX
        )
        .content.decode()
    )
    topup = added[added.index('id="pos-topup-amount"') :].split(">", 1)[0]
    assert 'id="pos-topup-error"' not in added and 'value=""' in topup
    assert [row.unit_amount for row in _lines(desk["sale"])] == [2550, 50]


def test_what_the_last_tap_was_refused_for_goes_once_the_next_one_is_answered(studio, desk):
    """A refusal shows above the catalogue; the next tap that goes through takes it away (its
    answer carries the catalogue's messages out of band, without drawing the catalogue again)."""
    mat = desk["mat"]
    for _ in range(3):
        refused = _add(desk, studio, {"kind": "product", "item": mat.pk}).content.decode()
    assert "Only 2 “Yoga mat” left here." in refused
    answer = _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk}).content.decode()
    assert '<div id="pos-catalogue-errors" hx-swap-oob="innerHTML"></div>' in answer
    assert 'id="pos-catalogue-items"' not in answer  # the catalogue itself is not drawn again


def test_a_plan_for_a_walk_in_is_refused_beside_the_catalogue_and_saves_nothing(studio, desk):
    plan = PlanFactory(studio=studio, pack=True, name="10 classes")
    response = _add(desk, studio, {"kind": "plan", "item": plan.pk})
    body = response.content.decode()
    assert _lines(desk["sale"]) == []
    catalogue = body[body.index('<div id="pos-catalogue-items" hx-swap-oob="innerHTML">') :]
    assert "errorlist" in catalogue


def test_a_sale_being_paid_shows_its_frozen_cart_and_refuses_changes(studio, desk):
    _add(desk, studio, {"kind": "product", "item": desk["bottle"].pk})
    with scopes_disabled():
        Sale.objects.filter(pk=desk["sale"].pk).update(status=SaleStatus.TENDERING)
    with translation.override("en"):
        page = desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk)).content.decode()
    assert "The cart is frozen while the sale is being paid." in page
    assert 'id="pos-search-q"' not in page and "pos-qty" not in page
    response = _add(desk, studio, {"kind": "product", "item": desk["mat"].pk})
    assert "no longer open" in response.content.decode()
    assert len(_lines(desk["sale"])) == 1


def test_a_waiver_the_cart_needs_offers_signing_here_or_sending_the_link(studio, desk):
    from waivers.tests.factories import req_require, req_sign, req_waiver

    plan = PlanFactory(studio=studio, pack=True, name="10 classes")
    with scopes_disabled():
        waiver = req_waiver(studio, kind="membership", name="Décharge membre")
        req_require(waiver, scope="plan", target_id=plan.pk)
    _post(desk["http"], studio, "pos-cart-client", {"client": desk["lea"].pk}, pk=desk["sale"].pk)
    response = _add(desk, studio, {"kind": "plan", "item": plan.pk})
    body = response.content.decode()
    assert [line.plan_id for line in _lines(desk["sale"])] == [plan.pk]
    sale_url = _url(studio, "pos-sale", pk=desk["sale"].pk)
    sign = _url(studio, "client-waiver-sign", pk=desk["lea"].pk, waiver_pk=waiver.pk)
    send = _url(studio, "client-waiver-send", pk=desk["lea"].pk, waiver_pk=waiver.pk)
    assert "Décharge membre" in body
    assert f'href="{sign}?next={sale_url}"' in body and f'action="{send}?next={sale_url}"' in body
    assert "The payment waits for the waiver to be signed." in body
    # Signed: the cart no longer asks.
    with scopes_disabled():
        req_sign(waiver, desk["lea"])
    with translation.override("en"):
        page = desk["http"].get(sale_url).content.decode()
    assert "Décharge membre" not in page and "waits for the waiver" not in page


def test_sending_the_waiver_link_comes_back_to_the_sale(studio, desk, celery_eager):
    from waivers.tests.factories import req_require, req_waiver

    plan = PlanFactory(studio=studio, pack=True)
    with scopes_disabled():
        waiver = req_waiver(studio, kind="membership", name="Décharge membre")
        req_require(waiver, scope="plan", target_id=plan.pk)
    sale_url = _url(studio, "pos-sale", pk=desk["sale"].pk)
    send = _url(studio, "client-waiver-send", pk=desk["lea"].pk, waiver_pk=waiver.pk)
    response = desk["http"].post(f"{send}?next={sale_url}")
    assert response.status_code == 302 and response["Location"] == sale_url


def test_another_studios_line_is_not_found_on_this_sale(studio, other_studio, desk):
    foreign_line = sale_line(open_sale(other_studio))
    own_line = sale_line(open_sale(studio, desk["laval"]))
    for line in (foreign_line, own_line):  # a line of another sale is not this sale's
        response = _post(
            desk["http"], studio, "pos-cart-line", {"action": "remove"}, pk=desk["sale"].pk, line_pk=line.pk
        )
        assert response.status_code == 404
    with scopes_disabled():
        assert SaleLine.objects.filter(pk__in=[foreign_line.pk, own_line.pk]).count() == 2


def test_todays_class_is_a_drop_in_and_its_waiver_is_asked(studio, desk):
    import datetime as dt

    from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory
    from waivers.tests.factories import req_require, req_waiver

    template = ClassTemplateFactory(studio=studio, name="Vinyasa", drop_in_price=2500, capacity=12)
    session = ClassSessionFactory(
        template=template, location=desk["laval"], starts_in=dt.timedelta(minutes=30), today=True
    )
    with scopes_disabled():
        waiver = req_waiver(studio, kind="client", name="Décharge cours")
        req_require(waiver, scope="class_template", target_id=template.pk)
    with translation.override("en"):
        tab = desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk) + "?tab=classes").content.decode()
    assert f'id="pos-add-session-{session.pk}"' in tab and "Vinyasa" in tab and "12 places left" in tab
    assert "Choose the client first" in tab  # a drop-in books someone
    _post(desk["http"], studio, "pos-cart-client", {"client": desk["lea"].pk}, pk=desk["sale"].pk)
    response = _add(desk, studio, {"kind": "drop_in", "item": session.pk, "tab": "classes"})
    [line] = _lines(desk["sale"])
    assert (line.kind, line.session_id, line.unit_amount) == (LineKind.DROP_IN, session.pk, 2500)
    body = response.content.decode()
    assert "Décharge cours" in body and "The payment waits for the waiver to be signed." in body


def test_an_amount_owed_is_offered_once_a_client_is_chosen(studio, desk):
    from memberships.selectors.penalties import AmountOwed

    owed = [AmountOwed(kind="penalty", id=7, label="Late cancel fee — Dec 1", amount=1500, currency="CAD")]
    with patch_owed(owed):
        with translation.override("en"):
            walk_in = (
                desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk) + "?tab=owed").content.decode()
            )
        assert 'id="pos-tab-owed"' not in walk_in  # no client, no amounts owed
        _post(desk["http"], studio, "pos-cart-client", {"client": desk["lea"].pk}, pk=desk["sale"].pk)
        with translation.override("en"):
            page = (
                desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk) + "?tab=owed").content.decode()
            )
    assert 'id="pos-add-owed-penalty-7"' in page and "Late cancel fee — Dec 1" in page


def patch_owed(owed):
    from unittest import mock

    return mock.patch("pos.selectors.cart.amounts_owed_for", return_value=owed)


def test_the_card_fee_note_shows_when_the_studio_passes_fees_on(studio, desk):
    from payments.models import PaymentSettings

    _add(desk, studio, {"kind": "product", "item": desk["mat"].pk})
    url = _url(studio, "pos-sale", pk=desk["sale"].pk)
    with translation.override("en"):
        assert "A card fee of" not in desk["http"].get(url).content.decode()
        with scopes_disabled():
            PaymentSettings.objects.update_or_create(studio=studio, defaults={"card_fee_mode": "pass_on"})
        page = desk["http"].get(url).content.decode()
    assert "A card fee of" in page and "is added when paying by card." in page


def test_taking_the_client_off_says_which_lines_went_with_them(studio, desk):
    _post(desk["http"], studio, "pos-cart-client", {"client": desk["lea"].pk}, pk=desk["sale"].pk)
    plan = PlanFactory(studio=studio, pack=True, name="10 classes")
    _add(desk, studio, {"kind": "plan", "item": plan.pk})
    response = _post(desk["http"], studio, "pos-cart-client", {"client": ""}, pk=desk["sale"].pk)
    messages_zone = response.content.decode().split('<div id="pos-messages" hx-swap-oob="innerHTML">')[1]
    assert "10 classes" in messages_zone.split("</div>")[0]
    assert _lines(desk["sale"]) == []


def test_a_completed_sale_opens_its_receipt(studio, desk):
    with scopes_disabled():
        Sale.objects.filter(pk=desk["sale"].pk).update(status=SaleStatus.COMPLETED)
    response = desk["http"].get(_url(studio, "pos-sale", pk=desk["sale"].pk))
    assert response.status_code == 302
    assert response["Location"] == _url(studio, "pos-sale-receipt", pk=desk["sale"].pk)


def test_ids_past_any_row_answer_404_not_an_error(studio, desk):
    """The compiled reads take any whole number a URL carries (a bigint's range and past it)."""
    _add(desk, studio, {"kind": "product", "item": desk["mat"].pk})
    [line] = _lines(desk["sale"])
    for huge in (2**63 - 1, 2**63, 10**30):
        for name, kwargs in (
            ("pos-cart-add", {"pk": huge}),
            ("pos-cart-client", {"pk": huge}),
            ("pos-cart-line", {"pk": huge, "line_pk": line.pk}),
            ("pos-cart-line", {"pk": desk["sale"].pk, "line_pk": huge}),
        ):
            response = _post(desk["http"], studio, name, {"action": "inc", "kind": "product"}, **kwargs)
            assert response.status_code == 404, (name, huge)
    assert _lines(desk["sale"])[0].quantity == 1
