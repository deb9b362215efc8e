"""Browser journeys of the foundation, in Debian's chromium."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from studio.models import Location, Studio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_signs_up_and_the_checklist_turns_green(page):
    page.goto("/signup/")
    page.fill("#id_full_name", "Maude Lefebvre")
    page.fill("#id_email", "maude@example.test")
    page.fill("#id_password", "Sun-salutation-108")
    page.fill("#id_studio_name", "Lumière Yoga")
    page.select_option("#id_language", "en")
    page.click("button[type=submit]")
    page.wait_for_url("**/lumiere-yoga/manage/")
    assert page.locator("[data-step=locations] .badge.ok").count() == 0

    page.click("text=Locations")
    page.click("text=Add a location")
    page.fill("#id_name", "Plateau")
    page.fill("#id_city", "Montréal")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/locations/*/")
    page.click("text=Dashboard")
    assert page.locator("[data-step=locations] .badge.ok").count() == 1
    with scopes_disabled():
        studio = Studio.objects.get(slug="lumiere-yoga")
        assert Location.objects.filter(studio=studio, name="Plateau").exists()


def test_client_search_updates_as_you_type(page, log_in_as, studio, owner, password):
    from tests.factories import ClientFactory

    ClientFactory(studio=studio, first_name="Zélie", last_name="Martin")
    ClientFactory(studio=studio, first_name="Paul", last_name="Durand")
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/clients/")
    page.fill("input[name=q]", "durand")
    page.wait_for_function("!document.querySelector('#client-table').innerText.includes('Martin')")
    assert "Durand" in page.inner_text("#client-table")


def test_owner_in_french_creates_a_location_and_a_client_fixing_an_error(
    page, log_in_as, studio, owner, password
):
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/")
    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()
    assert "Tableau de bord" in page.content()
    page.click("text=Lieux")
    page.click("text=Ajouter un lieu")
    page.fill("#id_name", "Québec")
    page.fill("#id_city", "Québec")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/locations/*/")
    page.goto(f"/{studio.slug}/manage/clients/new/")
    page.fill("#id_first_name", "Léa")
    page.fill("#id_last_name", "Roy")
    page.fill("#id_email", "pas-un-courriel")
    page.click("button[type=submit]")
    assert page.locator(".has-error #id_email").count() == 1  # the field error, in French, beside the field
    assert page.input_value("#id_first_name") == "Léa"  # nothing typed is lost
    page.fill("#id_email", "lea@example.test")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/clients/*/")
    page.goto(f"/{studio.slug}/manage/")
    assert page.locator("[data-step=locations] .badge.ok").count() == 1
