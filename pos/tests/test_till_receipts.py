"""The finish page and the receipt (POS-1): the PDF in French and English (accents, "$", the card's
brand and last 4, the fee line, the taxes, the account's legal name), the email with its PDF in
the client's language, the sale's own receipt email sent once, and the location's sales of the day."""

from __future__ import annotations

import subprocess

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import ConnectedAccount, ConnectedAccountLocation
from pos.services.receipts import sale_receipt_email, sale_receipt_pdf
from pos.tests.factories import completed_sale
from studio.notifications.models import Message
from studio.services import SYSTEM
from studio.tasking import task_by_name
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(studio, location):
    with scopes_disabled():
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Yoga Plateau inc.",
            stripe_account_id="acct_receipt_test",
            creation_key="receipt-test",
            charges_enabled=True,
            state=ConnectedAccount.State.READY,
        )
        ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
    return account


def _sale(studio, location, client):
    return completed_sale(
        studio,
        location,
        client,
        tax_rate="9.975",
        lines=[
            {"description": "Café glacé à l'érable", "unit_amount": 450, "quantity": 2},
            {"description": "Tapis de yoga", "unit_amount": 4000},
        ],
        tenders=[
            {"kind": "cash", "amount": 2000, "cash_received": 2000},
            {
                "kind": "reader",
                "amount": 3389,
                "tip_amount": 441,
                "card_fee_amount": 95,
                "card_brand": "visa",
                "card_last4": "4242",
            },
        ],
    )


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    run = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    # pdftotext writes the French non-breaking spaces ("53,89 $", "1 234") as plain spaces.
    return run.stdout.decode().replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    "language,money",
    [
        ("en", ["$53.89", "$4.41", "$0.95", "$4.89"]),
        ("fr", ["53,89 $", "4,41 $", "0,95 $", "4,89 $"]),
    ],
)
def test_receipt_pdf_in_both_languages(studio, location, a_client, account, language, money):
    sale = _sale(studio, location, a_client)
    with scope(studio=studio):
        text = _text(sale_receipt_pdf(sale=sale, language=language))
    assert "Café glacé à l'érable" in text and "Tapis de yoga" in text
    assert "Yoga Plateau inc." in text and location.name in text and studio.name in text
    assert "4242" in text and "Visa" in text
    assert "GST" in text and "9" in text  # the tax line, its rate and amount
    for amount in money:  # total, tip, card fee, the tax
        assert amount in text, (amount, text)
    if language == "en":
        assert "Card fee" in text and "Tip" in text and f"Receipt no. {sale.number}" in text


def test_receipt_pdf_shows_refunds(studio, location, a_client, account):
    from payments.models import Refund
    from payments.services.refunds import refund_create

    sale = _sale(studio, location, a_client)
    with scopes_disabled():
        cash = sale.tenders.get(kind="cash").payment
    with scope(studio=studio):
        refund_create(
            studio=studio, actor=SYSTEM, payment=cash, amount=500, destination=Refund.Destination.ORIGINAL
        )
        text = _text(sale_receipt_pdf(sale=sale, language="en"))
    assert "Refunds" in text and "−$5.00" in text


def test_receipt_email_goes_in_the_clients_language_with_the_pdf(
    studio, location, account, celery_eager, django_capture_on_commit_callbacks
):
    client = ClientFactory(studio=studio, language="fr", email="camille@example.test", first_name="Camille")
    sale = _sale(studio, location, client)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        assert sale_receipt_email(studio=studio, actor=SYSTEM, sale=sale) == 1
    with scopes_disabled():
        message = Message.objects.get(template="pos.sale_receipt")
        attachment = message.attachments.get()
    assert message.language == "fr" and message.to_email == "camille@example.test"
    assert attachment.content_type == "application/pdf" and str(sale.pk) in attachment.filename
    assert "53,89 $" in _text(bytes(attachment.content))  # the PDF speaks French too
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["camille@example.test"]
    assert sent.attachments[0][0] == attachment.filename


def test_receipt_email_to_a_typed_address_and_refused_without_any(studio, location, account):
    from django.core.exceptions import ValidationError

    walk_in = _sale(studio, location, None)
    with scope(studio=studio):
        with pytest.raises(ValidationError):
            sale_receipt_email(studio=studio, actor=SYSTEM, sale=walk_in)
        assert sale_receipt_email(studio=studio, actor=SYSTEM, sale=walk_in, email="walk@in.test") == 1
    with scopes_disabled():
        message = Message.objects.get(template="pos.sale_receipt")
    assert message.to_email == "walk@in.test" and message.language == studio.language


def test_the_sales_own_receipt_email_task_sends_once(studio, location, a_client, account):
    sale = _sale(studio, location, a_client)
    task = task_by_name("pos.sale_receipt_email")
    assert task(studio.pk, sale.pk) == 1
    assert task(studio.pk, sale.pk) == 0  # a redelivered task
    with scopes_disabled():
        assert Message.objects.filter(template="pos.sale_receipt").count() == 1


# --- pages -------------------------------------------------------------------------------------


def test_finish_page_offers_print_pdf_email_and_new_sale(owner_client, studio, location, a_client, account):
    sale = _sale(studio, location, a_client)
    url = reverse("pos-sale-receipt", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    with translation.override("en"):
        html = owner_client.get(url).content.decode()
    assert "window.print()" in html and "Download PDF" in html and "New sale" in html
    assert reverse("pos-sale-receipt-pdf", kwargs={"studio_slug": studio.slug, "pk": sale.pk}) in html
    assert a_client.email in html and "•••• 4242" in html and "$0.95" in html
    pdf = owner_client.get(
        reverse("pos-sale-receipt-pdf", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    )
    assert pdf["Content-Type"] == "application/pdf" and "Yoga Plateau inc." in _text(pdf.content)
    email_url = reverse("pos-sale-receipt-email", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    assert owner_client.get(email_url).status_code == 405
    response = owner_client.post(email_url, {"email": "other@example.test"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Message.objects.get(template="pos.sale_receipt").to_email == "other@example.test"
    assert owner_client.post(email_url, {"email": "not an email"}).status_code == 302
    with scopes_disabled():
        assert Message.objects.filter(template="pos.sale_receipt").count() == 1


def test_a_sale_not_completed_has_no_receipt(owner_client, studio, location):
    sale = completed_sale(studio, location, status="tendering", number=None, tenders=[])
    with scopes_disabled():
        sale.number = None
        sale.save(update_fields=["number"])
    page = owner_client.get(reverse("pos-sale-receipt", kwargs={"studio_slug": studio.slug, "pk": sale.pk}))
    assert page.status_code == 200 and b"not completed" in page.content
    pdf = owner_client.get(
        reverse("pos-sale-receipt-pdf", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    )
    assert pdf.status_code == 404


def test_sales_of_the_day_lists_this_locations_sales(owner_client, studio, other_studio, location, a_client):
    from tests.factories import LocationFactory

    mine = _sale(studio, location, a_client)
    elsewhere = completed_sale(studio, LocationFactory(studio=studio), a_client)
    owner_client.cookies["atelier_pos_location"] = str(location.pk)
    url = reverse("pos-sales", kwargs={"studio_slug": studio.slug})
    with translation.override("en"):
        html = owner_client.get(url).content.decode()
    assert f'data-sale="{mine.pk}"' in html and f'data-sale="{elsewhere.pk}"' not in html
    assert "Cash, Card reader" in html and a_client.full_name in html and "$53.89" in html
    assert reverse("pos-sale-return", kwargs={"studio_slug": studio.slug, "pk": mine.pk}) in html


def test_sales_of_the_day_query_count_does_not_grow(owner_client, studio, location, a_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner_client.cookies["atelier_pos_location"] = str(location.pk)
    url = reverse("pos-sales", kwargs={"studio_slug": studio.slug})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    completed_sale(studio, location, a_client)
    one = count()
    for _ in range(10):
        completed_sale(studio, location, a_client)
    assert count() == one


def test_purchases_panel_on_the_client_profile(owner_client, studio, location, a_client):
    sale = _sale(studio, location, a_client)
    with translation.override("en"):
        html = owner_client.get(
            reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
        )
    html = html.content.decode()
    assert 'data-panel="pos-purchases"' in html and f'data-sale="{sale.pk}"' in html
    assert reverse("pos-sale-receipt", kwargs={"studio_slug": studio.slug, "pk": sale.pk}) in html


def test_receipt_shows_each_lines_own_discount_and_the_carts_apart(studio, location, a_client):
    from pos.services.receipts import sale_receipt_context

    sale = completed_sale(
        studio,
        location,
        a_client,
        discount_total=500,
        lines=[
            {"unit_amount": 1000, "discount_kind": "amount", "discount_amount": 200},
            {"unit_amount": 2000, "discount_kind": "percent", "discount_percent": "10"},
            {"unit_amount": 500},
        ],
    )
    with scope(studio=studio):
        receipt = sale_receipt_context(sale=sale)
    assert [line.own_discount for line in receipt.lines] == [200, 200, 0]
    assert receipt.lines_discount == 400 and receipt.cart_discount == 100


def test_the_studios_own_receipt_email_is_what_the_client_receives_with_the_pdf(
    studio, location, account, owner, celery_eager, django_capture_on_commit_callbacks
):
    """CHK-3 for the POS receipt: the studio's French version, its placeholders filled (the total
    paid formatted in French), and the receipt's PDF still attached."""
    from studio.notifications.template_services import mail_override_save
    from studio.services import Actor

    client = ClientFactory(studio=studio, language="fr", email="camille@example.test", first_name="Camille")
    sale = _sale(studio, location, client)
    with scope(studio=studio):
        mail_override_save(
            studio=studio,
            actor=Actor(user=owner.user),
            template="pos.sale_receipt",
            language="fr",
            subject="Reçu {receipt_number} — {studio_name}",
            body="Bonjour {client_first_name},\n\nMerci! Total payé : {total} à {location_name}.",
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert sale_receipt_email(studio=studio, actor=SYSTEM, sale=sale) == 1
    sent = mail.outbox[-1]
    number = str(sale.number or sale.pk)
    assert sent.subject == f"Reçu {number} — {studio.name}"
    # 53,89 $ of goods, plus the card fee and the tip the sale's card tender carried.
    assert "Bonjour Camille," in sent.body and "59,25\xa0$" in sent.body and location.name in sent.body
    assert sent.attachments and sent.attachments[0][2] == "application/pdf"
