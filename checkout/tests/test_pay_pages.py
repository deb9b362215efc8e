"""The pay pages around the payment (CHK-2): isolation of every order token, the checkout
settings page (Perm.MANAGE_SETTINGS), Stripe Checkout's hosted page as the studio's choice."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from checkout.models import CardForm, CheckoutSettings, OrderStatus
from checkout.tests.test_pay_support import *  # noqa: F403 - fixtures
from checkout.tests.test_pay_support import fresh, order_with, post_pay, signed_in, url
from payments.models import Payment
from studio.models import AuditLog
from studio.permissions import RoleKind
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_PAGES = ("checkout-card", "checkout-return", "checkout-status")


def _payments(order):
    with scopes_disabled():
        return list(
            Payment.objects.filter(source_type="checkout_order", source_id=str(order.pk)).order_by("id")
        )


def test_another_clients_order_and_another_studios_token_answer_404(
    sandbox, studio, other_studio, accounts, buyer, buyer_web, plan
):
    from memberships.tests.factories import PlanFactory

    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    stranger = ClientFactory(studio=studio, user=UserFactory(), first_name="Noé")
    stranger_web = signed_in(stranger)
    for name in TOKEN_PAGES:
        assert stranger_web.get(url(studio, name, token=order.token)).status_code == 404, name
    assert stranger_web.post(url(studio, "checkout-abandon", token=order.token)).status_code == 404
    assert buyer_web.get(url(studio, "checkout-return", token="x" * 32)).status_code == 404
    # The other studio's order, by its token, under this studio's address: 404 too.
    with scopes_disabled():
        other_client = ClientFactory(studio=other_studio, user=UserFactory())
        other_plan = PlanFactory(studio=other_studio, pack=True)
    theirs = order_with(other_studio, other_client, {"kind": "plan", "plan": other_plan})
    for name in TOKEN_PAGES:
        assert buyer_web.get(url(studio, name, token=theirs.token)).status_code == 404, name
    assert fresh(theirs).status == OrderStatus.OPEN
    assert fresh(order).status == OrderStatus.PAYING


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client, studio):
    answer = client.get(url(studio, "checkout-review"))
    assert answer.status_code == 302 and "next=" in answer["Location"]


def test_checkout_settings_page_saves_the_choice_and_audits_it(owner_client, studio, staff_factory, login):
    page = owner_client.get(url(studio, "checkout-settings"))
    assert page.status_code == 200 and "Stripe Checkout" in page.content.decode()
    settings_page = owner_client.get(url(studio, "settings")).content.decode()
    assert url(studio, "checkout-settings") in settings_page  # the settings tab
    saved = owner_client.post(url(studio, "checkout-settings"), {"card_form": CardForm.HOSTED})
    assert saved.status_code == 302
    with scopes_disabled():
        assert CheckoutSettings.objects.get(studio=studio).card_form == CardForm.HOSTED
        assert AuditLog.objects.filter(studio=studio, action="checkout.settings_updated").count() == 1
    refused = owner_client.post(url(studio, "checkout-settings"), {"card_form": "bogus\x00"})
    assert refused.status_code == 400
    with scopes_disabled():
        assert CheckoutSettings.objects.get(studio=studio).card_form == CardForm.HOSTED
    front_desk = login(staff_factory(RoleKind.FRONT_DESK).user)
    assert front_desk.get(url(studio, "checkout-settings")).status_code == 403


def test_hosted_checkout_on_the_routed_account_then_back_to_the_return_page(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    with scopes_disabled():
        CheckoutSettings.objects.update_or_create(studio=studio, defaults={"card_form": CardForm.HOSTED})
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    html = buyer_web.get(url(studio, "checkout-review")).content.decode()
    assert "Stripe&#x27;s secure page" in html
    answer = post_pay(buyer_web, studio, method="new")
    assert answer.status_code == 302 and "/_sandbox/checkout/cs_test" in answer["Location"]
    session_id = answer["Location"].rstrip("/").rsplit("/", 1)[-1]
    laval = accounts["laval"].stripe_account_id
    session = sandbox.get(session_id, account=laval)
    assert session is not None and session["amount_total"] == fresh(order).amount_due
    # A second look at the step (a reload) answers the same session, never a second one.
    again = buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert again.status_code == 302 and again["Location"] == answer["Location"]
    assert len(sandbox.objects("checkout.session", account=laval)) == 1
    sandbox.complete_checkout(session_id, account=laval)
    back = buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert back.status_code == 302
    order = fresh(order)
    assert order.status == OrderStatus.PAID
    [payment] = _payments(order)
    assert payment.status == Payment.Status.SUCCEEDED and payment.account_id == accounts["laval"].pk


def test_leaving_stripe_checkout_expires_the_session_and_reopens_the_order(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    with scopes_disabled():
        CheckoutSettings.objects.update_or_create(studio=studio, defaults={"card_form": CardForm.HOSTED})
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    answer = post_pay(buyer_web, studio, method="new")
    session_id = answer["Location"].rstrip("/").rsplit("/", 1)[-1]
    back = buyer_web.get(url(studio, "checkout-return", token=order.token) + "?canceled=1")
    assert back.status_code == 302 and back["Location"] == url(studio, "checkout-review")
    assert fresh(order).status == OrderStatus.OPEN
    assert sandbox.get(session_id, account=accounts["laval"].stripe_account_id)["status"] == "expired"


def test_hostile_values_on_the_pay_form_are_refused_and_nothing_is_saved(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    for fields in (
        {"pay_token": "a\x00b" * 10, "method": "new"},
        {"pay_token": "x" * 10_000, "method": "new"},
        {"method": "saved:²"},
        {"method": "saved:99999999999999999999"},
        {"method": "new", "waivers": ["²", "-1", "99999999999999999999"]},
        {"method": "new", "use_credit": "\x00"},
    ):
        answer = post_pay(buyer_web, studio, **fields)
        assert answer.status_code == 400, fields
    assert fresh(order).status == OrderStatus.OPEN and _payments(order) == []
