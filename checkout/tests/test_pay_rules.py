"""What pay checks and takes (CHK-2): studio credit (all, or part then refunded when the card is
refused), waiver checkboxes, routing of each kind of online purchase (PAY-3 rules 2–4) with its
reason stored, lines paid to two accounts refused."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from checkout.models import OrderStatus
from checkout.tests.test_pay_support import *  # noqa: F403 - fixtures
from checkout.tests.test_pay_support import (
    confirm_card,
    fresh,
    make_product,
    order_with,
    post_pay,
    review_form,
    url,
)
from payments.models import Payment
from payments.services.credit import credit_balance, credit_grant
from payments.services.routing import route_reason
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


def _payments(order):
    with scopes_disabled():
        return list(
            Payment.objects.filter(source_type="checkout_order", source_id=str(order.pk)).order_by("id")
        )


def _grant(studio, client, amount):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=client, amount=amount, note="gift")


def _balance(studio, client):
    with scope(studio=studio):
        return credit_balance(client=client)


def test_credit_covering_everything_pays_at_once_without_a_card(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    _grant(studio, buyer, 20000)
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    html = buyer_web.get(url(studio, "checkout-review"), {"use_credit": "1"}).content.decode()
    assert "Use my credit: $200.00 available" in html and "−$150.00" in html
    answer = post_pay(buyer_web, studio, use_credit="1")
    assert answer.status_code == 302
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.payment_id is None
    assert order.credit_applied == 15000 and order.amount_due == 0
    [credit] = _payments(order)
    assert credit.method == Payment.Method.CREDIT and credit.status == Payment.Status.SUCCEEDED
    assert credit.amount == 15000
    assert _balance(studio, buyer) == 5000


def test_the_credit_box_recomputes_the_summary_under_htmx(sandbox, studio, accounts, buyer, buyer_web, plan):
    _grant(studio, buyer, 5000)
    order_with(studio, buyer, {"kind": "plan", "plan": plan})
    partial = buyer_web.get(url(studio, "checkout-review"), {"use_credit": "1"}, HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in text
    assert "−$50.00" in text and "Pay $100.00" in text
    without = buyer_web.get(url(studio, "checkout-review"), HTTP_HX_REQUEST="true").content.decode()
    assert "Pay $150.00" in without


def test_credit_part_then_a_declined_card_gives_the_credit_back(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    _grant(studio, buyer, 5000)
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, use_credit="1", method="new")
    credit, card = _payments(order)
    assert credit.amount == 5000 and card.amount == 10000
    assert credit.amount + card.amount == fresh(order).total
    assert credit.subtotal + card.subtotal == fresh(order).subtotal  # the two parts add up exactly
    assert _balance(studio, buyer) == 0
    confirm_card(sandbox, card, pm="pm_card_chargeDeclined")
    buyer_web.get(url(studio, "checkout-return", token=order.token))
    order = fresh(order)
    assert order.status == OrderStatus.OPEN
    assert _balance(studio, buyer) == 5000  # refunded to credit
    assert fresh(credit).amount_refunded == 5000
    # Settling again (the hook after the page) gives nothing back twice.
    from checkout.services.payment import _settle

    with scope(studio=studio):
        _settle(order_id=order.pk)
    assert _balance(studio, buyer) == 5000


def test_a_required_waiver_not_ticked_is_refused_and_nothing_is_written(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    from waivers.models import WaiverSignature
    from waivers.services.requirements import waiver_requirements_set
    from waivers.tests.factories import published_waiver

    waiver = published_waiver(studio, kind="membership", name="Membership terms")
    with scope(studio=studio):
        waiver_requirements_set(studio=studio, actor=SYSTEM, waiver=waiver, studio_wide=True)
    card_order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    html = review_form(buyer_web, studio)["_html"]
    assert "I have read and accept “Membership terms”" in html and "Read “Membership terms”" in html
    refused = post_pay(buyer_web, studio, method="new")
    assert refused.status_code == 400 and "Membership terms" in refused.content.decode()
    assert fresh(card_order).status == OrderStatus.OPEN and _payments(card_order) == []
    with scopes_disabled():
        assert not WaiverSignature.objects.filter(client=buyer).exists()
    accepted = post_pay(buyer_web, studio, method="new", waivers=[str(waiver.pk)])
    assert accepted.status_code == 302
    with scopes_disabled():
        [signature] = WaiverSignature.objects.filter(client=buyer)
    assert signature.method == "checkbox" and signature.signer_id == buyer.pk
    assert signature.ip_address == "127.0.0.1" and signature.user_agent == "pytest-browser/1.0"
    assert fresh(card_order).status == OrderStatus.PAYING


def test_a_plan_routes_to_the_client_home_location_with_the_reason_stored(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    assert payment.account_id == accounts["laval"].pk
    assert (
        payment.routing_rule == "client_home_location" and payment.routing_params["location_name"] == "Laval"
    )
    assert "Laval" in route_reason(rule=payment.routing_rule, params=payment.routing_params)


def test_a_product_routes_to_its_location_account(sandbox, studio, accounts, buyer, buyer_web, location):
    product = make_product(studio, stock={location: 5})
    order = order_with(studio, buyer, {"kind": "product", "product": product, "location": location})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    assert payment.account_id == accounts["plateau"].pk and payment.routing_rule == "item_location"
    assert payment.routing_params["location_name"] == "Plateau"


def test_a_drop_in_routes_to_the_class_location_account(sandbox, studio, accounts, buyer, buyer_web, laval):
    from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory

    template = ClassTemplateFactory(studio=studio, name="Vinyasa", drop_in_price=2500)
    session = ClassSessionFactory(template=template, location=laval)
    order = order_with(studio, buyer, {"kind": "drop_in", "session": session})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    assert payment.account_id == accounts["laval"].pk and payment.routing_rule == "item_location"


def test_no_account_for_the_home_location_falls_back_to_the_default(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    from tests.factories import LocationFactory

    elsewhere = LocationFactory(studio=studio, name="Québec")  # no account of its own
    with scopes_disabled():
        buyer.home_location = elsewhere
        buyer.save()
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    assert payment.account_id == accounts["plateau"].pk and payment.routing_rule == "default"


def test_lines_paid_to_two_accounts_are_refused_with_the_explanation(
    sandbox, studio, accounts, buyer, buyer_web, plan, location
):
    product = make_product(studio, stock={location: 5})  # Plateau's, while the plan is Laval's
    order = order_with(
        studio,
        buyer,
        {"kind": "plan", "plan": plan},
        {"kind": "product", "product": product, "location": location},
    )
    page = buyer_web.get(url(studio, "checkout-review")).content.decode()
    assert "These items cannot be paid together" in page and 'name="pay_token"' not in page
    from checkout.services.payment import order_pay

    with scope(studio=studio), pytest.raises(Exception) as refused:
        order_pay(
            studio=studio,
            client=buyer,
            order=order,
            pay_token="t" * 32,
            card="new",
            waivers_accepted=[],
            ip=None,
            user_agent="",
        )
    assert "another location's account" in str(refused.value)
    assert fresh(order).status == OrderStatus.OPEN and _payments(order) == []


def test_review_page_reads_the_same_number_of_queries_at_1_and_8_lines(
    sandbox, studio, accounts, buyer, buyer_web, location
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        from checkout.models import Order

        with scopes_disabled():
            Order.objects.filter(client=buyer, status=OrderStatus.OPEN).update(status=OrderStatus.CANCELED)
        products = [make_product(studio, name=f"Bottle {i}", stock={location: 5}) for i in range(n)]
        order_with(
            studio, buyer, *({"kind": "product", "product": p, "location": location} for p in products)
        )
        with CaptureQueriesContext(connection) as seen:
            assert buyer_web.get(url(studio, "checkout-review")).status_code == 200
        return len(seen)

    count(1)  # the first page creates the studio's settings rows once
    assert count(1) == count(8)


def test_a_total_changed_since_the_page_was_shown_is_not_paid_blind(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    answer = post_pay(buyer_web, studio, method="new", expected_amount="100")
    assert answer.status_code == 400 and "The total changed" in answer.content.decode()
    assert fresh(order).status == OrderStatus.OPEN and _payments(order) == []
