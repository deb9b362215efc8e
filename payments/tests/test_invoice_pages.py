"""Invoice pages (PAY-11): staff list, create, detail, send, void; the hosted payment link from
the client's choice to the card, 3-D Secure and the return; isolation, hostile input, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from payments.models import Invoice, InvoicePayment, Payment
from payments.models.invoices import InvoiceStatus
from payments.services import invoices as services
from payments.tests.invoice_helpers import *  # noqa: F403
from payments.tests.invoice_helpers import confirm_card, make_invoice
from studio.models import Message
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _staff_url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def _link(invoice, name="pay-link"):
    return reverse(name, kwargs={"studio_slug": invoice.studio.slug, "token": invoice.token})


def _lines(*rows):
    data = {
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
    }
    for i, (description, quantity, price, tax) in enumerate(rows):
        data.update(
            {
                f"lines-{i}-description": description,
                f"lines-{i}-quantity": quantity,
                f"lines-{i}-unit_price": price,
                f"lines-{i}-tax_kind": tax,
            }
        )
    return data


def _create_data(client_pk, due, **extra):
    return {
        "client": str(client_pk),
        "due_date": due.isoformat(),
        "deposit_kind": "percent",
        "deposit_percent": "30",
        "memo": "Merci !",
        **_lines(("Cours privés", "2", "10,50", "")),
        **extra,
    }


# --- staff pages -----------------------------------------------------------------------------------


def test_staff_create_an_invoice_with_french_decimals_and_email_the_link(
    owner_client, studio, other_studio, payer
):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    with scope(studio=studio):
        due = services.studio_today(studio=studio) + dt.timedelta(days=14)
    response = owner_client.post(
        _staff_url(studio, "invoice-create"), _create_data(payer.pk, due, send_now="on")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        invoice = Invoice.objects.get(studio=studio)
        assert (invoice.subtotal, invoice.total, invoice.deposit_amount) == (2100, 2100, 630)
        assert invoice.sent_at is not None
        message = Message.objects.get(studio=studio, template=services.TEMPLATE_LINK)
    assert response["Location"] == _staff_url(studio, "invoice-detail", pk=invoice.pk)
    assert invoice.token in message.body_text and message.to_email == "lea@example.com"


def test_the_create_form_refuses_bad_input_and_saves_nothing(owner_client, studio, other_studio, payer):
    with scope(studio=studio):
        due = services.studio_today(studio=studio) + dt.timedelta(days=14)
    stranger = ClientFactory(studio=other_studio)
    hostile = [
        {"client": str(stranger.pk)},
        {"due_date": "9999-12-31"},
        {"due_date": "2001-01-01"},
        {"memo": "x" * 10_000},
        {"memo": "nul\x00"},
        {"deposit_percent": "²"},
        {"deposit_percent": "150"},
        {"deposit_kind": "amount", "deposit_amount": "99999999999999999999"},
        {"lines-0-unit_price": "-1"},
        {"lines-0-unit_price": "10.5.5"},
        {"lines-0-quantity": "²"},
        {"lines-0-description": "d" * 300},
        {"lines-TOTAL_FORMS": "²"},
        {"lines-0-description": "", "lines-0-unit_price": ""},
        {"lines-0-unit_price": "0"},  # a total of zero
    ]
    for change in hostile:
        response = owner_client.post(
            _staff_url(studio, "invoice-create"), {**_create_data(payer.pk, due), **change}
        )
        assert response.status_code == 400, change
    with scopes_disabled():
        assert not Invoice.objects.filter(studio=studio).exists()


def test_staff_pages_show_balance_payments_and_paid_in_full(
    sandbox, accounts, owner_client, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    with scope(studio=studio):
        part = services.invoice_pay_start(studio=studio, invoice=invoice, amount=10000, pay_token="t" * 43)
    confirm_card(sandbox, part)
    with scope(studio=studio):
        services.invoice_pay_settle(studio=studio, part=part)
    with scopes_disabled():
        payment = Payment.objects.get(pk=part.payment_id)
    with translation.override("en"):
        page = owner_client.get(_staff_url(studio, "invoice-detail", pk=invoice.pk)).content.decode()
        listing = owner_client.get(_staff_url(studio, "invoice-list") + "?status=paid").content.decode()
    assert 'data-testid="paid-in-full"' in page
    assert payment.stripe_charge_id in page and payment.stripe_payment_intent_id in page
    assert "4242" in page
    assert _staff_url(studio, "payments-payment-detail", pk=payment.pk) in page
    assert f"#{invoice.number}" in listing and "Léa Gagnon" in listing


def test_void_asks_first_then_cancels_and_the_link_says_so(owner_client, client, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    with translation.override("en"):
        ask = owner_client.get(_staff_url(studio, "invoice-void", pk=invoice.pk))
        assert "stops working" in ask.content.decode()
        done = owner_client.post(
            _staff_url(studio, "invoice-void", pk=invoice.pk), {"reason": "client_cancelled"}
        )
    assert done.status_code == 302
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.VOID
    bad = owner_client.post(_staff_url(studio, "invoice-void", pk=invoice.pk), {"reason": "nul\x00"})
    assert bad.status_code == 400
    page = client.get(_link(invoice))
    assert "This invoice was cancelled" in page.content.decode()


def test_resend_emails_the_link_again(owner_client, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    for _ in range(2):
        assert owner_client.post(_staff_url(studio, "invoice-send", pk=invoice.pk)).status_code == 302
    with scopes_disabled():
        assert Message.objects.filter(studio=studio, template=services.TEMPLATE_LINK).count() == 2


def test_the_front_desk_bills_clients_and_a_teacher_may_not(
    login, staff_factory, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    desk = login(staff_factory("front_desk").user)
    assert desk.get(_staff_url(studio, "invoice-detail", pk=invoice.pk)).status_code == 200
    teacher = login(staff_factory("teacher").user)
    assert teacher.get(_staff_url(studio, "invoice-list")).status_code == 403


def test_the_invoice_list_reads_the_same_queries_for_1_and_30_invoices(
    owner_client, studio, other_studio, payer
):
    make_invoice(studio, payer)
    owner_client.get(_staff_url(studio, "invoice-list"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert owner_client.get(_staff_url(studio, "invoice-list")).status_code == 200
    for _ in range(29):
        make_invoice(studio, ClientFactory(studio=studio, email="x@example.com"))
    with CaptureQueriesContext(connection) as many:
        page = owner_client.get(_staff_url(studio, "invoice-list"))
    assert page.content.decode().count("/manage/payments/invoices/") >= 30
    assert len(many) == len(one)


def test_the_client_profile_shows_the_invoices_panel_with_a_new_invoice_link(
    owner_client, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    page = owner_client.get(reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": payer.pk}))
    html = page.content.decode()
    assert f"{_staff_url(studio, 'invoice-create')}?client={payer.pk}" in html
    assert _staff_url(studio, "invoice-detail", pk=invoice.pk) in html
    form = owner_client.get(f"{_staff_url(studio, 'invoice-create')}?client={payer.pk}").content.decode()
    assert f'<option value="{payer.pk}" selected>' in form


# --- the hosted payment link -----------------------------------------------------------------------


def test_the_client_pays_the_deposit_then_the_rest_on_the_link(
    sandbox, accounts, client, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)  # 100,00 $, deposit 30,00 $
    with translation.override("en"):
        page = client.get(_link(invoice)).content.decode()
    assert "The deposit ($30.00)" in page and "The balance ($100.00)" in page
    token = page.split('name="pay_token" value="', 1)[1].split('"', 1)[0]
    chosen = client.post(_link(invoice), {"choice": "deposit", "pay_token": token, "other_amount": ""})
    assert chosen.status_code == 302 and chosen["Location"].startswith(_link(invoice, "pay-link-card"))
    again = client.post(_link(invoice), {"choice": "deposit", "pay_token": token, "other_amount": ""})
    assert again["Location"] == chosen["Location"]  # a double submit is the same part
    card_page = client.get(chosen["Location"]).content.decode()
    with scopes_disabled():
        part = InvoicePayment.objects.get(invoice=invoice)
    assert "secret" in card_page and part.amount == 3000
    assert confirm_card(sandbox, part, pm="pm_card_authenticationRequired") == "authenticated"
    answer = client.post(
        _link(invoice, "pay-link-return") + f"?p={part.pay_token}", HTTP_ACCEPT="application/json"
    ).json()
    assert answer["status"] == "succeeded" and answer["redirect"] == _link(invoice)
    with translation.override("en"):
        page = client.get(_link(invoice)).content.decode()
    assert "$30.00" in page.split('data-testid="amount-paid"', 1)[1][:40]
    assert "The balance ($70.00)" in page and "The deposit" not in page

    token = page.split('name="pay_token" value="', 1)[1].split('"', 1)[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"  # "another amount" typed the French way
    rest = client.post(_link(invoice), {"choice": "other", "other_amount": "70,00", "pay_token": token})
    assert rest.status_code == 302
    with scopes_disabled():
        second = InvoicePayment.objects.filter(invoice=invoice).order_by("-id").first()
    confirm_card(sandbox, second)
    client.get(_link(invoice, "pay-link-return") + f"?p={second.pay_token}")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(_link(invoice)).content.decode()
    assert "Paid in full, thank you" in page


def test_the_link_refuses_an_amount_over_the_balance_in_french(
    sandbox, accounts, client, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    for amount in ("100,01", "²", "-1", "abc", "99999999999999999999", "0", "nul\x00"):
        response = client.post(
            _link(invoice), {"choice": "other", "other_amount": amount, "pay_token": "a" * 43}
        )
        assert response.status_code == 400, amount
    for token in ("", "x" * 3000, "²"):
        response = client.post(_link(invoice), {"choice": "balance", "other_amount": "", "pay_token": token})
        assert response.status_code == 400, token
    with scopes_disabled():
        assert not InvoicePayment.objects.exists() and not Payment.objects.exists()


def test_an_expired_link_says_so_with_the_studio_contact(client, studio, other_studio, payer, location):
    invoice = make_invoice(studio, payer, location=location)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(link_expires_at=timezone.now() - dt.timedelta(minutes=1))
    with translation.override("en"):
        page = client.get(_link(invoice)).content.decode()
        post = client.post(_link(invoice), {"choice": "balance", "pay_token": "a" * 43})
    assert "This payment link has expired" in page and "Contact Studio alpha" in page and "Plateau" in page
    assert 'name="pay_token"' not in page
    assert post.status_code == 400


def test_another_studios_token_or_a_wrong_one_is_404(client, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    foreign = reverse("pay-link", kwargs={"studio_slug": other_studio.slug, "token": invoice.token})
    assert client.get(foreign).status_code == 404
    assert (
        client.get(reverse("pay-link", kwargs={"studio_slug": studio.slug, "token": "nope"})).status_code
        == 404
    )
    assert client.get(_link(invoice, "pay-link-card") + "?p=nope").status_code == 404
    assert client.get(_link(invoice, "pay-link-return")).status_code == 404
    assert client.get(_link(invoice)).status_code == 200


def test_the_part_of_one_invoice_is_not_reachable_through_another(
    sandbox, accounts, client, studio, other_studio, payer
):
    first = make_invoice(studio, payer)
    second = make_invoice(studio, payer)
    with scope(studio=studio):
        part = services.invoice_pay_start(studio=studio, invoice=first, amount=1000, pay_token="p" * 43)
    assert client.get(_link(second, "pay-link-card") + f"?p={part.pay_token}").status_code == 404
    assert client.get(_link(first, "pay-link-card") + f"?p={part.pay_token}").status_code == 200


def test_another_studios_staff_get_404_on_every_invoice_page(login, studio, other_studio, payer):
    from tests.factories import owner_of

    invoice = make_invoice(studio, payer)
    stranger = login(owner_of(other_studio).user)
    for name in ("invoice-detail", "invoice-void", "invoice-send"):
        url = reverse(name, kwargs={"studio_slug": other_studio.slug, "pk": invoice.pk})
        assert stranger.get(url).status_code in (404, 405), name
        assert stranger.post(url, {"reason": "mistake"}).status_code == 404, name
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OPEN


def test_the_link_shows_the_card_fee_when_the_studio_passes_it_on(client, studio, other_studio, payer):
    from decimal import Decimal

    from payments.models import PaymentSettings

    invoice = make_invoice(studio, payer)
    with translation.override("en"):
        assert 'data-testid="fee-line"' not in client.get(_link(invoice)).content.decode()
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(
            studio=studio,
            defaults={"card_fee_mode": "pass_on", "card_fee_percent": Decimal("2.9"), "card_fee_fixed": 30},
        )
    with translation.override("en"):
        page = client.get(_link(invoice)).content.decode()
    fee_line = page.split('data-testid="fee-line"', 1)[1].split("</p>", 1)[0]
    assert "$1.17" in fee_line and "$3.20" in fee_line  # 2.9 % + 0.30 of 30.00 and of 100.00


def test_a_card_page_left_with_the_whole_balance_can_be_finished_then_is_released(
    sandbox, accounts, client, studio, other_studio, payer
):
    """The client who left the card page with the whole balance finds, on the link, the way back to
    that payment; left unconfirmed past `ABANDONED_AFTER`, it stops holding the balance when the link
    is opened again (not only when someone starts paying: the page then offers nothing to start)."""
    from payments.tests.invoice_helpers import pay_token

    invoice = make_invoice(studio, payer)
    with scope(studio=studio):
        part = services.invoice_pay_start(
            studio=studio, invoice=invoice, amount=invoice.total, pay_token=pay_token()
        )
    link = reverse("pay-link", kwargs={"studio_slug": studio.slug, "token": invoice.token})
    with translation.override("en"):
        page = client.get(link).content.decode()
    assert "in progress" in page and f"?p={part.pay_token}" in page and 'data-testid="resume-payment"' in page
    with scopes_disabled():
        InvoicePayment.objects.filter(pk=part.pk).update(
            created_at=timezone.now() - services.ABANDONED_AFTER - dt.timedelta(minutes=1)
        )
    with translation.override("en"):
        page = client.get(link).content.decode()
    assert 'data-testid="resume-payment"' not in page and 'name="choice"' in page
    with scopes_disabled():
        assert Payment.objects.get(pk=part.payment_id).status == Payment.Status.CANCELED
