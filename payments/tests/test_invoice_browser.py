"""Browser journey of a payment link (PAY-11, issue 15): the owner creates an invoice with a 30 %
deposit and emails its link; the client opens it from the outbox message on a phone, pays the
deposit with a card asking for 3-D Secure, then the rest; the invoice reads "paid in full"."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from payments.models import Invoice, Payment
from payments.services import invoices as services
from studio.models import Message
from tests.browser import fill_sandbox_card, wait_until
from tests.factories import ClientFactory, LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREE_D_SECURE_CARD = "4000002760003184"
CARD = "4242424242424242"


@pytest.fixture
def sandbox(live_sandbox):
    """Every helper (make_account…) talks to the served sandbox the browser's Stripe.js sees."""
    return live_sandbox


def test_owner_bills_with_a_deposit_and_the_client_pays_deposit_then_rest(
    page, log_in_as, live_sandbox, live_server, make_account, studio, owner, password, location
):
    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Plateau", default=True, locations=[location])
    make_account(studio, name="Laval", locations=[laval])
    payer = ClientFactory(
        studio=studio, first_name="Léa", last_name="Gagnon", email="lea@example.com", home_location=laval
    )

    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/clients/{payer.pk}/")
    page.click("#panel-invoices a.button")  # "New invoice" from the client's profile
    page.wait_for_load_state()
    page.fill("input[name=lines-0-description]", "Private lessons")
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-unit_price]", "50")
    page.check("input[name=deposit_kind][value=percent]")
    page.fill("input[name=deposit_percent]", "30")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Invoice #1" in page.inner_text("h1")
    with scopes_disabled():
        invoice = Invoice.objects.get(studio=studio)
        assert (invoice.total, invoice.deposit_amount) == (10000, 3000)
        body = Message.objects.get(studio=studio, template=services.TEMPLATE_LINK).body_text
    link = re.search(r"https?://\S+/pay/\S+/", body).group(0)

    page.context.clear_cookies()  # the client, on a phone, follows the link from the email
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link.replace(live_server.url, ""))
    page.check("input[name=choice][value=deposit]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    fill_sandbox_card(page, THREE_D_SECURE_CARD)
    page.click("#invoice-card-form button[type=submit]")
    wait_until(page, lambda: page.is_visible("[data-testid=sandbox-3ds]"))
    page.click("[data-testid=sandbox-3ds] button:has-text('Complete authentication')")
    wait_until(page, lambda: page.url.rstrip("/").endswith(invoice.token))
    assert "30.00" in page.inner_text("[data-testid=amount-paid]")

    page.check("input[name=choice][value=balance]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    fill_sandbox_card(page, CARD)
    page.click("#invoice-card-form button[type=submit]")
    wait_until(page, lambda: page.url.rstrip("/").endswith(invoice.token))
    assert page.is_visible("[data-testid=paid-in-full]")
    with scopes_disabled():
        invoice.refresh_from_db()
        assert (invoice.amount_paid, invoice.status) == (10000, "paid")
        assert sorted(Payment.objects.filter(studio=studio).values_list("amount", flat=True)) == [3000, 7000]
