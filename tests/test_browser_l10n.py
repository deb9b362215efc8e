"""French in a real browser (issue 10): the kiosk keeps and switches its language, and the
card fields of the Stripe.js stand-in speak the page's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope

from payments.tests.conftest import live_sandbox, make_account  # noqa: F401 - fixtures
from studio.services import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(live_sandbox):  # noqa: F811 - the served sandbox the browser sees
    return live_sandbox


def _in_french(page, studio):
    page.goto(f"/{studio.slug}/manage/")
    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()


def test_the_kiosk_stays_french_once_staff_leave_and_switches_language(
    page, log_in_as, studio, staff_factory, location, password
):
    from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory
    from studio.permissions import RoleKind

    ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Vinyasa"),
        location=location,
        starts_in=dt.timedelta(minutes=30),
        today=True,
    )
    clerk = staff_factory(RoleKind.FRONT_DESK)
    clerk.user.language = "fr"  # saved on the account; the browser itself asks for English (en-CA)
    clerk.user.save(update_fields=["language"])
    log_in_as(clerk.user.email, password)
    page.goto(f"/{studio.slug}/kiosk/")
    assert page.get_attribute("html", "lang") == "fr"
    page.click("form[action$='/kiosk/open/'] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "fr"
    assert "Plein écran" in page.inner_text(".kiosk-bar")
    page.reload()  # a new day's first visit: still French, though nobody is signed in
    assert page.get_attribute("html", "lang") == "fr"
    page.click(".kiosk-language button[value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert "Full screen" in page.inner_text(".kiosk-bar")
    page.click("text=Vinyasa")  # the choice holds on every kiosk page
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    page.click(".kiosk-language button[value=fr]")
    page.wait_for_load_state()
    assert "/kiosk/sessions/" in page.url and page.get_attribute("html", "lang") == "fr"


def test_card_fields_speak_the_pages_language(
    page,
    log_in_as,
    make_account,  # noqa: F811 - the fixture imported above
    studio,
    owner,
    password,
    location,
    a_client,
):
    from payments.services import saved_methods as svc

    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    log_in_as(owner.user.email, password)
    _in_french(page, studio)
    page.goto(f"/{studio.slug}/manage/clients/{a_client.pk}/payment-methods/new/card/")
    page.wait_for_selector("input[name=sandbox-cardnumber]")
    labels = page.inner_text("#card-element")
    assert "Numéro de carte" in labels and "Code postal" in labels and "Card number" not in labels
    page.fill("input[name=sandbox-cardnumber]", "4000000000000002")  # declined
    page.fill("input[name=sandbox-exp]", "12 / 34")
    page.fill("input[name=sandbox-cvc]", "123")
    page.fill("input[name=sandbox-postal]", "H2J 2K9")
    page.check("#consent")
    page.click("#save-method-form button[type=submit]")
    page.wait_for_function("document.querySelector('#save-method-error').innerText.length > 0")
    assert page.inner_text("#save-method-error") == "Votre carte a été refusée."
