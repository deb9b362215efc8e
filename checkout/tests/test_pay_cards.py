"""Paying an order by card (CHK-2): a saved card, a new card kept for later, 3-D Secure, a
declined card then another one."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.utils import translation
from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderStatus
from checkout.tests.test_pay_support import *  # noqa: F403 - fixtures
from checkout.tests.test_pay_support import confirm_card, fresh, order_with, post_pay, review_form, url
from memberships.tests.renewal_helpers import save_method
from payments.models import Payment, SavedPaymentMethod
from payments.services.saved_methods import saved_method_from_payment
from payments.tests.test_saved_methods import save_card

pytestmark = pytest.mark.django_db


def _payments(order):
    with scopes_disabled():
        return list(
            Payment.objects.filter(source_type="checkout_order", source_id=str(order.pk)).order_by("id")
        )


def _memberships(client):
    from memberships.models import Membership

    with scopes_disabled():
        return list(Membership.objects.filter(client=client))


def test_review_page_shows_lines_route_reason_saved_card_and_the_amount_on_the_button(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    card = save_card(sandbox, studio, buyer)
    order_with(studio, buyer, {"kind": "plan", "plan": plan})
    html = review_form(buyer_web, studio)["_html"]
    assert "10-class pack" in html
    assert "Laval" in html and "client&#x27;s home location" in html  # PAY-3 rule 3, in small print
    assert f'value="saved:{card.pk}"' in html and "A new card" in html
    assert "Save this card for future purchases" in html
    assert "Pay $150.00" in html
    with translation.override("fr"):
        buyer_web.cookies["django_language"] = "fr"
        french = buyer_web.get(url(studio, "checkout-review"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "150,00" in french  # the amount in French (the words come with the merged catalogue)


def test_saved_card_pays_at_once_and_the_plan_is_granted_once(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    card = save_card(sandbox, studio, buyer)
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    answer = post_pay(buyer_web, studio, method=f"saved:{card.pk}")
    assert answer.status_code == 302
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.number == 1
    [payment] = _payments(order)
    assert payment.status == Payment.Status.SUCCEEDED and payment.amount == order.amount_due == order.total
    assert payment.idempotency_key == f"checkout_order:{order.pk}:1"
    assert payment.account_id == accounts["laval"].pk and payment.routing_rule == "client_home_location"
    assert payment.channel == "online" and not payment.off_session
    assert len(_memberships(buyer)) == 1
    # A reload of the return page changes nothing.
    assert buyer_web.get(url(studio, "checkout-return", token=order.token)).status_code == 302
    assert len(_payments(order)) == 1 and len(_memberships(buyer)) == 1


def test_a_card_saved_for_another_account_is_not_offered_and_refused(
    sandbox, studio, accounts, buyer, buyer_web, plan, location, laval
):
    with scopes_disabled():
        buyer.home_location = location  # the card is saved on Plateau's account…
        buyer.save()
    card = save_card(sandbox, studio, buyer)
    with scopes_disabled():
        buyer.home_location = laval  # …the plan goes to Laval's
        buyer.save()
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    html = review_form(buyer_web, studio)["_html"]
    assert f'value="saved:{card.pk}"' not in html
    answer = post_pay(buyer_web, studio, method=f"saved:{card.pk}")
    assert answer.status_code == 400
    assert fresh(order).status == OrderStatus.OPEN and _payments(order) == []


def test_new_card_saved_with_consent_appears_among_the_saved_methods_of_the_routed_account(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    answer = post_pay(buyer_web, studio, method="new", save_card="on")
    card_url = url(studio, "checkout-card", token=order.token)
    assert answer.status_code == 302 and answer["Location"] == card_url
    page = buyer_web.get(card_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "checkout/pay.js" in html and "data-client-secret=" in html and "<script>" not in html
    [payment] = _payments(fresh(order))
    assert payment.save_method and payment.status == Payment.Status.PENDING
    confirm_card(sandbox, payment)
    done = buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert done.status_code == 302
    assert fresh(order).status == OrderStatus.PAID
    payment = fresh(payment)
    assert payment.status == Payment.Status.SUCCEEDED
    with scope(studio=studio):
        saved = saved_method_from_payment(payment=payment)  # what the worker does after success
    assert saved is not None and saved.account_id == accounts["laval"].pk
    with scopes_disabled():
        assert SavedPaymentMethod.objects.filter(client=buyer, account=accounts["laval"]).count() == 1


def test_3ds_saved_card_reload_during_the_step_then_authenticated_makes_one_payment(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    card = save_method(sandbox, studio, buyer, pm="pm_card_authenticationRequired")
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    answer = post_pay(buyer_web, studio, method=f"saved:{card.pk}")
    return_url = url(studio, "checkout-return", token=order.token)
    assert answer.status_code == 302 and answer["Location"] == return_url
    first = buyer_web.get(return_url)
    assert first.status_code == 200 and "Confirm the payment" in first.content.decode()
    again = buyer_web.get(return_url)  # a reload while the bank's window is open
    assert again.status_code == 200 and "data-client-secret=" in again.content.decode()
    [payment] = _payments(order)
    assert payment.status == Payment.Status.REQUIRES_ACTION
    assert fresh(order).status == OrderStatus.PAYING
    sandbox.authenticate(payment.stripe_payment_intent_id, account=payment.stripe_account_id)
    assert buyer_web.get(return_url).status_code == 302
    assert fresh(order).status == OrderStatus.PAID
    assert len(_payments(order)) == 1 and len(_memberships(buyer)) == 1


def test_declined_then_approved_two_attempts_two_keys_one_membership(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [first] = _payments(order)
    confirm_card(sandbox, first, pm="pm_card_chargeDeclined")
    back = buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert back.status_code == 302 and back["Location"] == url(studio, "checkout-review")
    order = fresh(order)
    assert order.status == OrderStatus.OPEN and order.failure_code and order.attempt == 1
    page = buyer_web.get(url(studio, "checkout-review")).content.decode()
    assert "declined" in page
    post_pay(buyer_web, studio, method="new")
    second = _payments(order)[-1]
    assert second.pk != first.pk and second.idempotency_key == f"checkout_order:{order.pk}:2"
    confirm_card(sandbox, second)
    buyer_web.get(url(studio, "checkout-return", token=order.token))
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.failure_code == "" and order.attempt == 2
    assert [p.status for p in _payments(order)] == [Payment.Status.FAILED, Payment.Status.SUCCEEDED]
    assert len(_memberships(buyer)) == 1


def test_abandoning_a_3ds_step_cancels_the_intent_and_reopens_the_order(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    card = save_method(sandbox, studio, buyer, pm="pm_card_authenticationRequired")
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method=f"saved:{card.pk}")
    in_progress = buyer_web.get(url(studio, "checkout-review"))
    assert in_progress.status_code == 200 and "Choose another way to pay" in in_progress.content.decode()
    answer = buyer_web.post(url(studio, "checkout-abandon", token=order.token))
    assert answer.status_code == 302
    order = fresh(order)
    assert order.status == OrderStatus.OPEN
    [payment] = _payments(order)
    assert payment.status == Payment.Status.CANCELED
    intent = sandbox.get(payment.stripe_payment_intent_id, account=payment.stripe_account_id)
    assert intent["status"] == "canceled"
    assert _memberships(buyer) == []
    with scopes_disabled():
        assert Order.objects.filter(pk=order.pk, status=OrderStatus.OPEN).exists()


def test_a_new_card_asking_for_3ds_is_confirmed_then_paid(sandbox, studio, accounts, buyer, buyer_web, plan):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new", save_card="on")
    [payment] = _payments(order)
    confirm_card(sandbox, payment, pm="pm_card_authenticationRequired")
    return_url = url(studio, "checkout-return", token=order.token)
    page = buyer_web.get(return_url)
    assert page.status_code == 200 and "Confirm the payment" in page.content.decode()
    sandbox.authenticate(payment.stripe_payment_intent_id, account=payment.stripe_account_id)
    assert buyer_web.get(return_url).status_code == 302
    assert fresh(order).status == OrderStatus.PAID
    assert len(_payments(order)) == 1 and len(_memberships(buyer)) == 1


def test_the_sweep_cancels_a_payment_left_on_the_card_page_and_reopens_the_order(
    sandbox, studio, accounts, buyer, buyer_web, plan
):
    import datetime as dt

    from django.utils import timezone

    from checkout.services.payment import orders_paying_expire

    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    with scope(studio=studio):
        assert orders_paying_expire(studio=studio) == 0  # not old enough yet
        later = timezone.now() + dt.timedelta(hours=2)
        assert orders_paying_expire(studio=studio, now=later) == 1
    order = fresh(order)
    assert order.status == OrderStatus.OPEN
    [payment] = _payments(order)
    assert payment.status == Payment.Status.CANCELED
    assert (
        sandbox.get(payment.stripe_payment_intent_id, account=payment.stripe_account_id)["status"]
        == "canceled"
    )


def test_the_beat_runs_the_sweep_for_every_studio_through_the_worker(
    sandbox, studio, other_studio, accounts, buyer, buyer_web, plan, celery_eager
):
    """The beat entry fans out to each studio's sweep task; the order frozen an hour ago is reopened."""
    import datetime as dt

    from checkout.tasks import sweep_paying_orders_all_studios
    from studio import beat

    assert (
        beat.entries()["checkout-sweep-paying-orders"]["task"] == "checkout.sweep_paying_orders_all_studios"
    )
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    with scopes_disabled():
        Order.objects.filter(pk=order.pk).update(frozen_at=F("frozen_at") - dt.timedelta(hours=2))
    assert sweep_paying_orders_all_studios() >= 2
    assert fresh(order).status == OrderStatus.OPEN
