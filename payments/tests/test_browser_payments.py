"""Browser journeys for payments: the Stripe onboarding round trip and saving payment methods."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from payments.models import ConnectedAccount, SavedPaymentMethod
from payments.services import saved_methods as svc
from studio.services import Actor
from tests.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = "4242424242424242"


@pytest.fixture
def sandbox(live_sandbox):
    """In this module every helper (make_account…) talks to the served sandbox the browser sees."""
    return live_sandbox


def _go(page, selector):
    """Click something that navigates, and wait until the new page (after any redirects) has loaded."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def _wait_path(page, suffix: str, timeout_ms: int = 10_000) -> None:
    """Wait until a script-driven navigation (location.assign) has landed on a path ending in `suffix`."""
    for _ in range(timeout_ms // 100):
        if page.url.split("?")[0].endswith(suffix):
            page.wait_for_load_state()
            return
        page.wait_for_timeout(100)
    error = page.inner_text("#save-method-error") if page.query_selector("#save-method-error") else ""
    raise AssertionError(f"still on {page.url}, expected …{suffix}; error shown: {error!r}")


def test_owner_connects_leaves_a_requirement_resumes_and_adds_a_second_account(
        page, log_in_as, live_sandbox, studio, owner, password, location, celery_eager):
    LocationFactory(studio=studio, name="Laval")
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/payments/accounts/")
    page.click("text=Connect a new Stripe account")
    page.fill("#id_display_name", "Plateau Inc.")
    page.check("text=Plateau")
    page.click("button[type=submit]")
    _go(page, "button:has-text(\"Continue to Stripe onboarding\")")
    assert "/_sandbox/onboarding/" in page.url
    page.check("input[name=leave_requirement_due]")
    _go(page, "text=Agree and submit")
    assert "no" in page.inner_text("[data-fact=charges]")
    _go(page, "button:has-text(\"Resume onboarding\")")
    assert "/_sandbox/onboarding/" in page.url
    _go(page, "text=Agree and submit")
    assert "ready to take payments" in page.content()
    assert "yes" in page.inner_text("[data-fact=charges]")

    page.goto(f"/{studio.slug}/manage/payments/accounts/new/")
    page.fill("#id_display_name", "Laval Inc.")
    page.check("text=Laval")
    _go(page, "button[type=submit]")
    _go(page, "button:has-text(\"Continue to Stripe onboarding\")")
    _go(page, "text=Agree and submit")
    with scopes_disabled():
        accounts = {a.display_name: a for a in ConnectedAccount.objects.filter(studio=studio)}
    assert accounts["Plateau Inc."].is_default and accounts["Laval Inc."].charges_enabled

    # "Where would this go?" — a membership bought online by a Laval client.
    page.goto(f"/{studio.slug}/manage/payments/routing/")
    page.select_option("#id_channel", "online")
    page.select_option("#id_item_kind", "membership")
    page.select_option("#id_client_home_location", label="Laval")
    page.wait_for_function(
        "document.querySelector('[data-testid=routing-reason]') && "
        "document.querySelector('[data-testid=routing-reason]').innerText.includes('Laval')")
    reason = page.inner_text("[data-testid=routing-reason]")
    assert "Laval Inc." in reason and "home location" in reason


def _save_card_in_browser(page, number=CARD, consent=True):
    page.fill("input[name=sandbox-cardnumber]", number)
    page.fill("input[name=sandbox-exp]", "12 / 34")
    page.fill("input[name=sandbox-cvc]", "123")
    page.fill("input[name=sandbox-postal]", "H2J 2K9")
    if consent:
        page.check("#consent")
    page.click("#save-method-form button[type=submit]")


def test_staff_and_client_save_cards_and_bank_accounts(page, log_in_as, live_sandbox, live_server, make_account,
                                                       studio, owner, password, location, user_factory, caplog):
    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    from tests.factories import ClientFactory

    person = user_factory(email="camille@example.test")
    camille = ClientFactory(studio=studio, first_name="Camille", last_name="Tremblay", email=person.email,
                            home_location=location, user=person)
    seen_bodies: list[str] = []
    # Everything the browser sends to *our* server (not to "Stripe"), to prove no card number is in it.
    page.on("request", lambda request: seen_bodies.append(f"{request.url} {request.post_data or ''}")
            if request.url.startswith(live_server.url) else None)

    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/clients/{camille.pk}/")
    page.click("text=Add a card")
    page.wait_for_selector("input[name=sandbox-cardnumber]")
    _save_card_in_browser(page, consent=False)
    assert "agreed" in page.inner_text("#save-method-error")
    _save_card_in_browser(page, number="4000000000000002")  # declined by "Stripe", said beside the field
    page.wait_for_function("document.querySelector('#save-method-error').innerText.length > 0")
    assert "declined" in page.inner_text("#save-method-error").lower()
    _save_card_in_browser(page)
    _wait_path(page, f"/manage/clients/{camille.pk}/")
    assert "Visa •••• 4242" in page.content()

    page.click("text=Add a bank account")
    page.check("#consent")
    page.click("#save-method-form button[type=submit]")
    _wait_path(page, f"/manage/clients/{camille.pk}/")
    with scopes_disabled():
        bank = SavedPaymentMethod.objects.get(client=camille, kind="acss_debit")
    page.click(f"[data-method='{bank.pk}'] >> text=Make default")
    page.wait_for_load_state()
    assert "Default" in page.inner_text(f"[data-method='{bank.pk}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-method='{bank.pk}'] >> text=Delete")
    page.wait_for_load_state()
    with scopes_disabled():
        assert not SavedPaymentMethod.objects.filter(pk=bank.pk).exists()

    # The client, on their own account page.
    page.context.clear_cookies()
    page.goto(f"/{studio.slug}/account/login/")
    page.fill("input[name=username]", person.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    for _ in range(4):
        page.goto(f"/{studio.slug}/account/")
        page.click("text=Add a card")
        _save_card_in_browser(page, number="5555555555554444")
        _wait_path(page, f"/{studio.slug}/account/")
    with scopes_disabled():
        assert SavedPaymentMethod.objects.filter(client=camille).count() == 5
    page.goto(f"/{studio.slug}/account/")
    assert "limit of 5" in page.content()  # no sixth: the add buttons are gone
    page.goto(f"/{studio.slug}/account/payment-methods/new/card/")
    assert "5 saved payment methods" in page.content()

    assert not any(CARD in body or "5555555555554444" in body for body in seen_bodies)
    assert CARD not in caplog.text and "5555555555554444" not in caplog.text  # nor in our logs
