"""The client's side of the shop in Debian's chromium (issue 15), on a phone-sized screen.

An anonymous visitor opens the studio's page, picks a class, creates an account with the Laval
home location, buys the 10-class pack with a new card that asks for 3-D Secure (saving the card and
accepting the waiver by checkbox), then books the class with the pack; the receipt email is in the
outbox. Then the owner bills her by payment link with a 30 % deposit; she pays the deposit from the
email's link, then the rest."""

from __future__ import annotations

import re

import pytest
from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderStatus
from memberships.models import Membership
from memberships.tests.factories import PlanFactory
from payments.models import Invoice, Payment, PaymentSettings, SavedPaymentMethod
from payments.tests.conftest import live_sandbox, make_account  # noqa: F401 - fixtures
from scheduling.models import Booking, BookingStatus
from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory
from studio.models import Client, Message
from tests.browser import axe_violations, describe_violations, fill_sandbox_card, wait_until
from tests.factories import LocationFactory
from waivers.models import WaiverSignature
from waivers.tests.factories import req_require, req_waiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
THREE_D_SECURE_CARD = "4000002760003184"
CARD = "4242424242424242"


@pytest.fixture
def sandbox(live_sandbox):  # noqa: F811
    """Every helper (make_account…) talks to the served sandbox the browser's Stripe.js sees."""
    return live_sandbox


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-CA", viewport=PHONE, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()


def _receipt_sent(studio, client) -> bool:
    with scopes_disabled():
        return Message.objects.filter(studio=studio, client=client, template="checkout.receipt").exists()


@pytest.fixture
def shop(studio, location, make_account, sandbox):  # noqa: F811
    laval = LocationFactory(studio=studio, name="Laval", time_zone="America/Toronto")
    make_account(studio, name="Plateau", default=True, locations=[location])
    laval_account = make_account(studio, name="Laval", locations=[laval])
    with scopes_disabled():
        studio.require_home_location = True
        studio.save(update_fields=["require_home_location"])
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    pack = PlanFactory(studio=studio, pack=True, name="10 cours", price_amount=15000)
    template = ClassTemplateFactory(studio=studio, name="Yoga flow", drop_in_price=2200, capacity=12)
    session = ClassSessionFactory(template=template, location=laval)
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="membership", name="Contrat d’adhésion")
        req_require(waiver, scope="studio")
    return {"laval": laval, "account": laval_account, "pack": pack, "session": session, "waiver": waiver}


def test_a_visitor_signs_up_at_laval_buys_the_pack_with_3ds_books_then_pays_a_payment_link(
    phone, browser, live_server, sandbox, studio, owner, password, shop, celery_eager
):
    page, errors = phone
    session = shop["session"]

    # (The worker runs in-process: the card kept on success, the receipt email.)
    # The studio's page, anonymous, on a phone: the week's classes are there; she picks Yoga flow.
    page.goto(f"/{studio.slug}/")
    assert axe_violations(page) == [], describe_violations(axe_violations(page))
    page.click(f"a[href$='/schedule/{session.pk}/']")
    page.wait_for_load_state()
    assert "Yoga flow" in page.inner_text("h1")

    # She creates her account from the class page, with Laval as her home location.
    page.click("#book a[href*='/account/signup/']")
    page.wait_for_load_state()
    page.fill("input[name=first_name]", "Léa")
    page.fill("input[name=last_name]", "Gagnon")
    page.fill("input[name=email]", "lea.gagnon@example.com")
    page.fill("input[name=password]", "Un-mot-de-passe-solide-42")
    page.select_option("select[name=home_location]", str(shop["laval"].pk))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert f"/schedule/{session.pk}/" in page.url  # back on the class she picked

    # Nothing she holds pays for it yet: she buys the 10-class pack.
    page.goto(f"/{studio.slug}/plans/")
    with page.expect_navigation():
        page.click(f"form:has(input[name=plan][value='{shop['pack'].pk}']) button[type=submit]")
    assert f"/{studio.slug}/checkout/" in page.url
    summary = page.inner_text("main")
    assert "10 cours" in summary and "Laval" in summary  # the line, and where the money goes
    assert axe_violations(page) == [], describe_violations(axe_violations(page))
    page.check(f"input[name=waivers][value='{shop['waiver'].pk}']")
    page.check("input[name=method][value=new]")
    page.check("input[name=save_card]")
    with page.expect_navigation():
        page.click("[data-testid=pay-button]")
    fill_sandbox_card(page, THREE_D_SECURE_CARD)
    page.click("[data-testid=card-pay]")
    wait_until(page, lambda: page.is_visible("[data-testid=sandbox-3ds]"))
    page.click("[data-testid=sandbox-3ds] button >> nth=0")  # « Réussir l'authentification »
    wait_until(page, lambda: "/done/" in page.url)
    wait_until(page, lambda: "10 cours" in page.inner_text("main") and "W-" in page.inner_text("main"))
    assert axe_violations(page) == [], describe_violations(axe_violations(page))

    with scopes_disabled():
        lea = Client.objects.get(studio=studio, email="lea.gagnon@example.com")
        assert lea.home_location_id == shop["laval"].pk
        order = Order.objects.get(studio=studio, client=lea)
        assert order.status == OrderStatus.PAID
        payment = Payment.objects.get(pk=order.payment_id)
        assert payment.status == Payment.Status.SUCCEEDED and payment.amount == order.amount_due
        assert payment.account_id == shop["account"].pk  # PAY-3 rule 3: her home location's account
        assert Membership.objects.filter(studio=studio, client=lea, plan=shop["pack"]).count() == 1
        card = SavedPaymentMethod.objects.get(studio=studio, client=lea)
        assert card.account_id == shop["account"].pk
        assert WaiverSignature.objects.filter(studio=studio, client=lea, method="checkbox").count() == 1
    # The receipt email, in the outbox, with the PDF receipt attached.
    wait_until(page, lambda: _receipt_sent(studio, lea))
    with scopes_disabled():
        receipt = Message.objects.get(studio=studio, client=lea, template="checkout.receipt")
        assert receipt.attachments.filter(content_type="application/pdf").count() == 1

    # Back to the class: the pack pays for it now, and she books.
    page.goto(f"/{studio.slug}/schedule/{session.pk}/")
    with page.expect_navigation():
        page.click("#book form[action$='/book/'] button[type=submit]")
    with scopes_disabled():
        booking = Booking.objects.get(studio=studio, client=lea, session=session)
        assert booking.status == BookingStatus.BOOKED

    # The owner bills her by payment link: 200 $ with a 30 % deposit.
    staff = browser.new_context(base_url=live_server.url, locale="fr-CA")
    desk = staff.new_page()
    desk.goto("/login/")
    desk.fill("input[name=username]", owner.user.email)
    desk.fill("input[name=password]", password)
    with desk.expect_navigation():
        desk.click("button[type=submit]")
    desk.goto(f"/{studio.slug}/manage/clients/{lea.pk}/")
    desk.click("#panel-invoices a.button")
    desk.wait_for_load_state()
    desk.fill("input[name=lines-0-description]", "Cours privés")
    desk.fill("input[name=lines-0-quantity]", "1")
    desk.fill("input[name=lines-0-unit_price]", "200")
    desk.check("input[name=deposit_kind][value=percent]")
    desk.fill("input[name=deposit_percent]", "30")
    with desk.expect_navigation():
        desk.click("main form button[type=submit]")
    with scopes_disabled():
        assert Invoice.objects.filter(studio=studio, client=lea).exists(), [
            e.inner_text() for e in desk.query_selector_all(".error, .errorlist, [role=alert]")
        ]
    staff.close()
    with scopes_disabled():
        invoice = Invoice.objects.get(studio=studio, client=lea)
        assert invoice.deposit_amount == 6000
        link_mail = Message.objects.filter(studio=studio, template="payments.invoice_link").latest("id")
    link = re.search(r"https?://\S+/pay/\S+/", link_mail.body_text).group(0)

    # She pays the deposit from the email's link, then the rest.
    page.goto(link.replace(live_server.url, ""))
    page.check("input[name=choice][value=deposit]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    fill_sandbox_card(page, CARD)
    page.click("#invoice-card-form button[type=submit]")
    wait_until(page, lambda: page.url.rstrip("/").endswith(invoice.token))
    assert re.search(r"60[,.]00", page.inner_text("[data-testid=amount-paid]"))
    page.check("input[name=choice][value=balance]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    fill_sandbox_card(page, CARD)
    page.click("#invoice-card-form button[type=submit]")
    wait_until(page, lambda: page.url.rstrip("/").endswith(invoice.token))
    assert page.is_visible("[data-testid=paid-in-full]")
    with scopes_disabled():
        invoice.refresh_from_db()
        assert (invoice.amount_paid, invoice.status) == (invoice.total, "paid")
    assert errors == []
