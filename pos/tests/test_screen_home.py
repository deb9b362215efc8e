"""The POS screen's first page (POS-1): the selling location remembered on the device, the till
that must be open, "New sale" (a double click opens one sale), the sales in progress."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from pos import device
from pos.models import CashSession, Sale, SaleStatus
from pos.tests.factories import open_sale
from studio.permissions import RoleKind
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def _open_till(studio, location, owner):
    with scopes_disabled():
        return CashSession.objects.create(
            studio=studio,
            location=location,
            currency=studio.currency,
            opening_float=10000,
            opened_by=owner.user,
        )


@pytest.fixture
def places(studio, other_studio):
    return {
        "laval": LocationFactory(studio=studio, name="Laval"),
        "plateau": LocationFactory(studio=studio, name="Plateau"),
        "park": LocationFactory(studio=studio, name="Parc Jarry", is_home_location=False),
        "old": LocationFactory(studio=studio, name="Ancien local", archived_at=timezone.now()),
        "foreign": LocationFactory(studio=other_studio, name="Bravo Annex"),
    }


def _choose(http, studio, location):
    return http.post(_url(studio, "pos-location"), {"location": location.pk})


def test_the_picker_offers_only_this_studios_home_locations(owner_client, studio, places):
    with translation.override("en"):
        page = owner_client.get(_url(studio, "pos-home"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Where is this device?" in body
    for name in ("Laval", "Plateau"):
        assert f"<span>{name}</span>" in body
    for name in ("Parc Jarry", "Ancien local", "Bravo"):
        assert name not in body


def test_choosing_a_home_location_is_remembered_on_the_device(owner_client, studio, places):
    response = _choose(owner_client, studio, places["laval"])
    assert response.status_code == 302
    cookie = response.cookies[device.COOKIE_NAME]
    assert cookie.value == str(places["laval"].pk)
    assert cookie["path"] == f"/{studio.slug}/"
    assert cookie["httponly"]
    with translation.override("en"):
        page = owner_client.get(_url(studio, "pos-home"))
    body = page.content.decode()
    assert "Selling at Laval" in body
    assert "Where is this device?" not in body
    # The till is not open: selling waits for it.
    assert "The till is closed — Laval" in body
    assert 'id="pos-new-sale"' not in body


@pytest.mark.parametrize("which", ["park", "old", "foreign"])
def test_a_non_home_archived_or_foreign_location_is_refused(owner_client, studio, places, which):
    with translation.override("en"):
        response = _choose(owner_client, studio, places[which])
    assert response.status_code == 400
    assert device.COOKIE_NAME not in response.cookies
    assert "Choose one of this studio&#x27;s home locations." in response.content.decode()


def _request(studio, cookie: str | None):
    request = RequestFactory().get("/")
    request.studio = studio
    if cookie is not None:
        request.COOKIES[device.COOKIE_NAME] = cookie
    return request


def test_selling_location_trusts_nothing_in_the_cookie(studio, other_studio, places):
    with scope(studio=studio):
        assert device.selling_location(_request(studio, str(places["laval"].pk))) == places["laval"]
        for value in (
            None,
            "",
            "abc",
            "²",
            "٣",
            "-1",
            "0",
            "9" * 40,
            "1\x00",
            str(places["park"].pk),
            str(places["old"].pk),
            str(places["foreign"].pk),
        ):
            assert device.selling_location(_request(studio, value)) is None, value


def test_a_location_that_stops_being_home_is_forgotten(owner_client, studio, places):
    _choose(owner_client, studio, places["laval"])
    with scopes_disabled():
        type(places["laval"]).objects.filter(pk=places["laval"].pk).update(is_home_location=False)
    with translation.override("en"):
        body = owner_client.get(_url(studio, "pos-home")).content.decode()
    assert "Where is this device?" in body


def test_with_the_till_open_new_sale_opens_one_sale_however_often_it_is_sent(
    owner_client, studio, owner, places
):
    _choose(owner_client, studio, places["laval"])
    till = _open_till(studio, places["laval"], owner)
    with translation.override("en"):
        page = owner_client.get(_url(studio, "pos-home"))
    token = page.context["new_sale_form"].initial["token"]
    assert 'id="pos-new-sale"' in page.content.decode()
    first = owner_client.post(_url(studio, "pos-sale-new"), {"token": token})
    second = owner_client.post(_url(studio, "pos-sale-new"), {"token": token})
    with scopes_disabled():
        sales = list(Sale.objects.filter(studio=studio))
    assert len(sales) == 1
    sale = sales[0]
    assert (sale.location, sale.cash_session, sale.status) == (places["laval"], till, SaleStatus.OPEN)
    assert first["Location"] == second["Location"] == _url(studio, "pos-sale", pk=sale.pk)


def test_new_sale_is_refused_without_a_location_or_an_open_till(owner_client, studio, places):
    token = "t" * 32
    response = owner_client.post(_url(studio, "pos-sale-new"), {"token": token})
    assert response.status_code == 302 and response["Location"] == _url(studio, "pos-home")
    _choose(owner_client, studio, places["laval"])
    with translation.override("en"):
        response = owner_client.post(_url(studio, "pos-sale-new"), {"token": token}, follow=True)
    assert "Open the till before selling." in response.content.decode()
    with scopes_disabled():
        assert not Sale.objects.filter(studio=studio).exists()


def test_a_stale_or_hostile_token_opens_nothing(owner_client, studio, owner, places):
    _choose(owner_client, studio, places["laval"])
    _open_till(studio, places["laval"], owner)
    for token in ("", "short", "x" * 65, "é" * 20, "../../etc/passwd-xxxxxxxx"):
        response = owner_client.post(_url(studio, "pos-sale-new"), {"token": token})
        assert response.status_code == 302
    with scopes_disabled():
        assert not Sale.objects.filter(studio=studio).exists()


def test_the_sales_in_progress_here_are_listed_to_resume(owner_client, studio, other_studio, owner, places):
    _choose(owner_client, studio, places["laval"])
    _open_till(studio, places["laval"], owner)
    lea = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon")
    here = open_sale(studio, places["laval"], lea)
    walk_in = open_sale(studio, places["laval"])
    elsewhere = open_sale(studio, places["plateau"], ClientFactory(studio=studio, first_name="Zoé"))
    done = open_sale(studio, places["laval"], status=SaleStatus.COMPLETED)
    foreign = open_sale(other_studio)
    with translation.override("en"):
        body = owner_client.get(_url(studio, "pos-home")).content.decode()
    assert f'data-sale="{here.pk}"' in body and "Léa Gagnon" in body
    assert f'data-sale="{walk_in.pk}"' in body and "Walk-in" in body
    for other in (elsewhere, done, foreign):
        assert f'data-sale="{other.pk}"' not in body


def test_the_home_page_reads_a_fixed_number_of_queries(owner_client, studio, owner, places):
    _choose(owner_client, studio, places["laval"])
    _open_till(studio, places["laval"], owner)
    for _ in range(3):
        open_sale(studio, places["laval"], ClientFactory(studio=studio))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        owner_client.get(_url(studio, "pos-home"))
    for _ in range(20):
        open_sale(studio, places["laval"], ClientFactory(studio=studio))
    with CaptureQueriesContext(connection) as many:
        owner_client.get(_url(studio, "pos-home"))
    assert len(many) == len(few)


def test_staff_without_the_pos_permission_are_refused(login, studio, staff_factory, places):
    teacher = staff_factory(RoleKind.TEACHER)
    http = login(teacher.user)
    assert http.get(_url(studio, "pos-home")).status_code == 403
    assert _choose(http, studio, places["laval"]).status_code == 403


def test_the_back_office_menu_links_to_the_point_of_sale_for_the_front_desk(login, studio, staff_factory):
    desk = staff_factory(RoleKind.FRONT_DESK)
    teacher = staff_factory(RoleKind.TEACHER)
    with translation.override("en"):
        desk_page = login(desk.user).get(_url(studio, "dashboard")).content.decode()
        teacher_page = login(teacher.user).get(_url(studio, "dashboard")).content.decode()
    link = f'href="{_url(studio, "pos-home")}"'
    assert link in desk_page
    assert link not in teacher_page
