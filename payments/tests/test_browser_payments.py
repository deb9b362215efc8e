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
    page, log_in_as, live_sandbox, studio, owner, password, location, celery_eager
):
    LocationFactory(studio=studio, name="Laval")
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/payments/accounts/")
    page.click("text=Connect a new Stripe account")
    page.fill("#id_display_name", "Plateau Inc.")
    page.check("text=Plateau")
    page.click("button[type=submit]")
    _go(page, 'button:has-text("Continue to Stripe onboarding")')
    assert "/_sandbox/onboarding/" in page.url
    page.check("input[name=leave_requirement_due]")
    _go(page, "text=Agree and submit")
    assert "no" in page.inner_text("[data-fact=charges]")
    _go(page, 'button:has-text("Resume onboarding")')
    assert "/_sandbox/onboarding/" in page.url
    _go(page, "text=Agree and submit")
    assert "ready to take payments" in page.content()
    assert "yes" in page.inner_text("[data-fact=charges]")

    page.goto(f"/{studio.slug}/manage/payments/accounts/new/")
    page.fill("#id_display_name", "Laval Inc.")
    page.check("text=Laval")
    _go(page, "button[type=submit]")
    _go(page, 'button:has-text("Continue to Stripe onboarding")')
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
        "document.querySelector('[data-testid=routing-reason]').innerText.includes('Laval')"
    )
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


def test_staff_and_client_save_cards_and_bank_accounts(
    page,
    log_in_as,
    live_sandbox,
    live_server,
    make_account,
    studio,
    owner,
    password,
    location,
    user_factory,
    caplog,
):
    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    from tests.factories import ClientFactory

    person = user_factory(email="camille@example.test")
    camille = ClientFactory(
        studio=studio,
        first_name="Camille",
        last_name="Tremblay",
        email=person.email,
        home_location=location,
        user=person,
    )
    seen_bodies: list[str] = []
    # Everything the browser sends to *our* server (not to "Stripe"), to prove no card number is in it.
    page.on(
        "request",
        lambda request: (
            seen_bodies.append(f"{request.url} {request.post_data or ''}")
            if request.url.startswith(live_server.url)
            else None
        ),
    )

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
    # The same card twice is refused, in words meant for the client (not "this client").
    page.goto(f"/{studio.slug}/account/")
    page.click("text=Add a card")
    _save_card_in_browser(page, number=CARD)
    page.wait_for_function("document.querySelector('#save-method-error').innerText.length > 0")
    assert "already saved on your account (Visa •••• 4242)" in page.inner_text("#save-method-error")
    for number in ("5555555555554444", "5200828282828210", "6011111111111117", "4000001240000000"):
        page.goto(f"/{studio.slug}/account/")
        page.click("text=Add a card")
        _save_card_in_browser(page, number=number)
        _wait_path(page, f"/{studio.slug}/account/")
    with scopes_disabled():
        assert SavedPaymentMethod.objects.filter(client=camille).count() == 5
    page.goto(f"/{studio.slug}/account/")
    assert "limit of 5" in page.content()  # no sixth: the add buttons are gone
    page.goto(f"/{studio.slug}/account/payment-methods/new/card/")
    assert "You already have 5 saved payment methods" in page.content()
    assert "This client" not in page.content()

    assert not any(CARD in body or "5555555555554444" in body for body in seen_bodies)
    assert CARD not in caplog.text and "5555555555554444" not in caplog.text  # nor in our logs


def _set_language(page, live_server, language: str) -> None:
    from django.conf import settings

    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def test_money_pages_in_french_and_english_with_hostile_input(
    page, log_in_as, live_sandbox, live_server, make_account, studio, owner, password, location, a_client
):
    """Issue 10's walk: words instead of codes in each language, confirmations with the amount,
    French decimals, upper bounds, and the warning before a location changes account."""
    from payments.models import Payment, Refund
    from payments.models.settings import Channel, ItemKind
    from payments.services.tenders import payment_record_tender
    from tests.factories import ClientFactory

    main = make_account(studio, name="Atelier Plateau", default=True, locations=[location])
    laval = LocationFactory(studio=studio, name="Laval")
    second = make_account(studio, name="Atelier Laval", locations=[laval])
    unfinished = make_account(studio, name="Pas fini", ready=False)
    from payments.services.accounts import connected_account_sync

    with scope(studio=studio):
        connected_account_sync(account=unfinished)  # records what Stripe still needs
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
        payment = payment_record_tender(
            studio=studio,
            actor=Actor(user=owner.user),
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Illimité",
        )
    ClientFactory(studio=studio, first_name="Nora", last_name="Laval", home_location=laval)
    with scopes_disabled():
        from payments.models import StripeCustomer

        customer = StripeCustomer.objects.create(
            studio=studio,
            client=a_client,
            account=main,
            stripe_customer_id="cus_walk",
            idempotency_key="walk",
        )
        SavedPaymentMethod.objects.create(
            studio=studio,
            client=a_client,
            account=main,
            customer=customer,
            stripe_payment_method_id="pm_walk",
            kind="card",
            brand="visa",
            last4="4242",
            source="staff",
            is_default=True,
        )
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    log_in_as(owner.user.email, password)

    # --- in French ---------------------------------------------------------------------------
    _set_language(page, live_server, "fr")
    page.goto(f"/{studio.slug}/manage/payments/{payment.pk}/")
    reason = page.inner_text("[data-testid=routing-reason]")
    assert "lieu d'attache du client" in reason and "Atelier Plateau" in reason
    history = page.inner_text("[data-testid=status-history]")
    for code in ("pending", "succeeded", "staff", "created", "cash"):
        assert code not in history.split(), (code, history)
    amount = page.locator("#refund-panel input[name=amount]")
    assert amount.input_value() == ""  # never pre-filled with the full amount
    amount.fill("9999999999")
    page.click("#refund-panel button[type=submit]")
    page.wait_for_selector("#refund-panel .error")
    assert "25,00" in page.inner_text("#refund-panel")  # the maximum, said in French
    page.locator("#refund-panel input[name=amount]").fill("10,50")
    page.locator("#refund-panel input[name=reason]").fill("<script>alert(1)</script>" + "x" * 150)
    page.click("#refund-panel button[type=submit]")
    confirm = page.wait_for_selector("[data-testid=refund-confirm]")
    text = confirm.inner_text()
    assert "10,50" in text and "14,50" in text  # the amount, and what stays refundable
    with scopes_disabled():
        assert not Refund.objects.filter(payment=payment).exists()
    with page.expect_navigation():
        page.click("[data-testid=refund-confirm] button[name=confirm]")
    page.wait_for_load_state()
    with scopes_disabled():
        assert list(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [1050]
    assert "<script>alert(1)</script>" in page.inner_text("#refund-panel")  # shown as text, not run

    page.goto(f"/{studio.slug}/manage/payments/accounts/{unfinished.pk}/")
    needs = page.inner_text("ul.requirements")
    assert "business_profile" not in needs and ("catégorie" in needs.lower() or "category" in needs.lower())
    assert "en retard" not in needs and "overdue" not in needs

    # --- in English --------------------------------------------------------------------------
    _set_language(page, live_server, "en")
    page.goto(f"/{studio.slug}/manage/payments/{payment.pk}/")
    assert "client's home location" in page.inner_text("[data-testid=routing-reason]")
    assert "Partly refunded" in page.content()

    page.goto(f"/{studio.slug}/manage/payments/clients/{a_client.pk}/credit/")
    assert "At most $10,000.00 at a time." in page.content()
    page.check("input[name=direction][value=add]")
    page.fill("input[name=amount]", "9999999999")
    page.fill("input[name=note]", "typo")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert page.query_selector(".error") is not None
    with scopes_disabled():
        from payments.models import CreditEntry

        assert not CreditEntry.objects.filter(client=a_client, kind="adjustment").exists()

    # Moving Plateau to the Laval account: Camille's card on the Plateau account stops working.
    page.goto(f"/{studio.slug}/manage/payments/accounts/{second.pk}/edit/")
    page.check("text=Plateau")
    page.click("form.card button[type=submit]")
    warning = page.wait_for_selector("[data-testid=move-warning]")
    assert "Camille Tremblay" in warning.inner_text() and "Visa •••• 4242" in warning.inner_text()
    assert "Nora Laval" not in warning.inner_text()
    with scopes_disabled():
        from payments.models import ConnectedAccountLocation

        assert ConnectedAccountLocation.objects.get(location=location).account == main
    _go(page, "button:has-text('Save anyway')")
    with scopes_disabled():
        assert ConnectedAccountLocation.objects.get(location=location).account == second

    # Turning saved methods off asks first.
    page.goto(f"/{studio.slug}/manage/payments/saved-methods/")
    page.click("button:has-text('Turn off')")
    page.wait_for_selector("[data-testid=disable-confirm]")
    assert "1 saved method will no longer be used" in page.inner_text("[data-testid=disable-confirm]")
    _go(page, "button:has-text('Yes, turn off')")
    assert "turned off" in page.content()
    assert not errors, errors
