"""The paid order's receipt (PDF, email in the reader's language with the PDF attached, sent once),
the client's confirmation and purchases pages (owner only), the staff list and page of online
orders, and the client-profile panel "Online orders" (no query of its own)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderStatus
from checkout.services.receipts import order_receipt_pdf
from checkout.tests.ful_helpers import card_payment, freeze, open_order, paid_order, pdf_text
from memberships.tests.factories import PlanFactory
from payments.models import ConnectedAccount
from studio.money import format_money
from studio.notifications.models import Message
from studio.permissions import RoleKind
from studio.registries import profile_panels
from studio.tasking import task_by_name
from tests.factories import ClientFactory, FamilyLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(studio):
    with scopes_disabled():
        return ConnectedAccount.objects.create(
            studio=studio,
            display_name="Yoga Plateau inc.",
            stripe_account_id="acct_ful_test",
            creation_key="ful-test",
            charges_enabled=True,
            state=ConnectedAccount.State.READY,
        )


@pytest.fixture
def signed_in(client, studio, user_factory):
    """A client of `studio` signed in on its hosted pages."""
    from studio import services

    user = user_factory(full_name="Nadia Roy")
    with scopes_disabled():
        me = services.client_profile_attach(studio=studio, user=user)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client, me


def _paid(studio, who, account=None, name="10 classes", price=15000):
    return paid_order(
        studio,
        who,
        {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True, name=name, price_amount=price)},
        account=account,
    )


def _url(name, studio, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


# --- the receipt --------------------------------------------------------------------------------


@pytest.mark.parametrize("language,money", [("en", "$150.00"), ("fr", "150,00 $")])
def test_receipt_pdf_shows_the_lines_number_card_and_account(studio, a_client, account, language, money):
    order = _paid(studio, a_client, account=account, name="Carte de 10 cours")
    with scope(studio=studio):
        order = Order.objects.select_related("client", "payment__account", "studio").get(pk=order.pk)
        text = pdf_text(order_receipt_pdf(order=order, language=language))
    assert "W-1" in text
    assert "Carte de 10 cours" in text
    assert money in text
    assert "4242" in text and "Visa" in text
    assert "Yoga Plateau inc." in text


@pytest.mark.parametrize("language,subject", [("en", "Your receipt no. W-1"), ("fr", "W-1")])
def test_receipt_email_in_the_clients_language_with_the_pdf_sent_once(
    studio, a_client, celery_eager, django_capture_on_commit_callbacks, language, subject
):
    with scopes_disabled():
        a_client.language = language
        a_client.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        order = _paid(studio, a_client)
    task_by_name("checkout.order_receipt_email").delay(studio.pk, order.pk)  # a redelivered task
    with scopes_disabled():
        messages = list(Message.objects.filter(studio=studio, template="checkout.receipt"))
        assert len(messages) == 1
        message = messages[0]
        assert message.to_email == a_client.email
        assert subject in message.subject
        attachment = message.attachments.get()
        assert attachment.filename.endswith(".pdf")
        assert bytes(attachment.content).startswith(b"%PDF")
    assert message.language == language  # worded in the client's language (the catalogue's French)


def test_a_childs_receipt_goes_to_the_guardian(studio, celery_eager, django_capture_on_commit_callbacks):
    child = ClientFactory(studio=studio, email="", first_name="Léo")
    guardian = ClientFactory(studio=studio, email="parent@example.test", language="fr")
    FamilyLinkFactory(studio=studio, guardian=guardian, dependant=child)
    with django_capture_on_commit_callbacks(execute=True):
        _paid(studio, child)
    with scopes_disabled():
        assert list(
            Message.objects.filter(studio=studio, template="checkout.receipt").values_list(
                "to_email", flat=True
            )
        ) == ["parent@example.test"]


# --- the client's pages -------------------------------------------------------------------------


def test_done_page_shows_what_was_bought_and_the_receipt(signed_in, studio, other_studio):
    http, me = signed_in
    order = _paid(studio, me)
    with translation.override("en"):
        response = http.get(_url("checkout-order-done", studio, token=order.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Order no. W-1 is paid" in html
    assert "10 classes" in html and "Your membership is active." in html
    assert _url("account-order-receipt", studio, token=order.token) in html
    assert me.email in html  # "the receipt is emailed to …"


def test_done_page_while_paying_polls_and_says_so(signed_in, studio, monkeypatch):
    import checkout.services.payment as pay

    monkeypatch.setattr(
        pay, "order_payment_settle", lambda *, studio, order: order
    )  # Stripe not answered yet
    http, me = signed_in
    order = freeze(
        studio, open_order(studio, me, {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True)})
    )
    url = _url("checkout-order-done", studio, token=order.token)
    with translation.override("en"):
        html = http.get(url).content.decode()
        partial = http.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Your payment is being confirmed" in html
    assert 'hx-trigger="every 3s"' in html
    assert "<html" not in partial and 'id="order-status"' in partial


def test_another_clients_order_and_another_studios_answer_404(signed_in, studio, other_studio):
    http, me = signed_in
    theirs = _paid(studio, ClientFactory(studio=studio))
    for name in ("checkout-order-done", "account-order-receipt"):
        assert http.get(_url(name, studio, token=theirs.token)).status_code == 404
        assert http.get(_url(name, studio, token="nope")).status_code == 404
    mine = _paid(studio, me)
    for name in ("checkout-order-done", "account-order-receipt"):
        assert http.get(_url(name, other_studio, token=mine.token)).status_code in (302, 404)


def test_anonymous_visitors_are_sent_to_sign_in(client, studio, a_client):
    order = _paid(studio, a_client)
    response = client.get(_url("checkout-order-done", studio, token=order.token))
    assert response.status_code == 302 and "login" in response["Location"]


def test_my_purchases_lists_my_paid_orders_with_receipts(signed_in, studio):
    http, me = signed_in
    mine = _paid(studio, me, name="Mine pack")
    with scopes_disabled():
        Order.objects.filter(pk=mine.pk).update(card_fee=113)  # the studio passes card fees on
    _paid(studio, ClientFactory(studio=studio), name="Their pack")
    open_order(
        studio, me, {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True, name="Still in cart")}
    )
    with translation.override("en"):
        html = http.get(_url("account-orders", studio)).content.decode()
    assert "Mine pack" in html and "Their pack" not in html and "Still in cart" not in html
    with scopes_disabled():
        mine.refresh_from_db()
    # what she paid (the card fee included), not only the goods
    assert mine.paid_total == mine.total + 113
    assert format_money(mine.paid_total, mine.currency) in html
    receipt = http.get(_url("account-order-receipt", studio, token=mine.token))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert "Mine pack" in pdf_text(receipt.content)


def test_an_unpaid_order_has_no_receipt(signed_in, studio):
    http, me = signed_in
    order = open_order(studio, me, {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True)})
    assert http.get(_url("account-order-receipt", studio, token=order.token)).status_code == 404


# --- staff --------------------------------------------------------------------------------------


def test_staff_list_filters_and_detail_shows_lines_and_payments(owner_client, studio, a_client):
    paid = _paid(studio, a_client, name="Pack ten")
    paying = freeze(
        studio,
        open_order(
            studio,
            a_client,
            {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True, name="Pack five")},
        ),
    )
    open_order(
        studio, a_client, {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True, name="Cart only")}
    )
    with translation.override("en"):
        html = owner_client.get(_url("order-list", studio)).content.decode()
        assert "W-1" in html and f'data-order="{paying.pk}"' in html
        assert "Cart only" not in html
        only_paid = owner_client.get(_url("order-list", studio) + "?status=paid").content.decode()
        assert f'data-order="{paying.pk}"' not in only_paid and f'data-order="{paid.pk}"' in only_paid
        hostile = owner_client.get(_url("order-list", studio) + "?date_from=9999-12-31&date_to=0000-01-01")
        assert hostile.status_code == 200
        detail = owner_client.get(_url("order-detail", studio, pk=paid.pk)).content.decode()
    assert "Pack ten" in detail and "Membership granted" in detail
    assert _url("payments-payment-detail", studio, pk=paid.payment_id) in detail
    assert "ch_test_" in detail


def test_staff_page_shows_an_order_that_needs_attention(owner_client, studio, other_studio, a_client):
    pack = PlanFactory(studio=studio, pack=True)
    order = freeze(studio, open_order(studio, a_client, {"kind": "plan", "plan": pack}))
    card_payment(studio, order)
    with scopes_disabled():
        from memberships.models import Plan

        Plan.objects.filter(pk=pack.pk).update(studio=other_studio)
    with scope(studio=studio):
        from checkout.services.fulfilment import order_mark_paid

        order_mark_paid(studio=studio, order=order, now=timezone.now())
    with translation.override("en"):
        detail = owner_client.get(_url("order-detail", studio, pk=order.pk)).content.decode()
        listing = owner_client.get(_url("order-list", studio) + "?attention=on").content.decode()
    assert "data-attention" in detail and "Not delivered" in detail
    assert f'data-order="{order.pk}"' in listing


def test_a_teacher_cannot_open_the_orders(login, studio, staff_factory, a_client):
    order = _paid(studio, a_client)
    http = login(staff_factory(RoleKind.TEACHER).user)
    assert http.get(_url("order-list", studio)).status_code == 403
    assert http.get(_url("order-detail", studio, pk=order.pk)).status_code == 403


def test_another_studios_order_answers_404_to_staff(owner_client, studio, other_studio):
    theirs = _paid(other_studio, ClientFactory(studio=other_studio))
    assert owner_client.get(_url("order-detail", studio, pk=theirs.pk)).status_code == 404


def test_the_staff_navigation_links_the_orders(owner_client, studio):
    with translation.override("en"):
        html = owner_client.get(_url("dashboard", studio)).content.decode()
    assert _url("order-list", studio) in html


# --- the client-profile panel -------------------------------------------------------------------


def _profile_queries(http, studio, who) -> tuple[int, str]:
    url = _url("client-detail", studio, pk=who.pk)
    http.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_panel_costs_no_query_and_does_not_grow_with_orders(owner_client, studio, monkeypatch):
    few, many = ClientFactory(studio=studio), ClientFactory(studio=studio)
    _paid(studio, few)
    for i in range(4):
        _paid(studio, many, name=f"Pack {i}")
    with translation.override("en"):
        few_queries, few_html = _profile_queries(owner_client, studio, few)
        many_queries, many_html = _profile_queries(owner_client, studio, many)
        monkeypatch.delitem(profile_panels._PROFILE_PANELS, "checkout-orders")
        without_queries, without_html = _profile_queries(owner_client, studio, few)
    assert few_queries == many_queries
    assert few_queries - without_queries <= 1
    assert 'data-panel="checkout-orders"' in few_html and 'data-panel="checkout-orders"' not in without_html
    assert "W-1" in few_html
    assert many_html.count("data-order=") >= 4
    with scopes_disabled():
        assert Order.objects.filter(client=many, status=OrderStatus.PAID).count() == 4
