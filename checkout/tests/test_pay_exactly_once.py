"""Checkout exactly once (issue #15): twenty parallel submits of one pay form, the webhook before
the return, after it and twice, the outcome hook and the return page racing → one payment, one
membership."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from checkout.models import OrderStatus
from checkout.services.payment import _settle, order_payment_settle
from checkout.tests.test_pay_support import *  # noqa: F403 - fixtures
from checkout.tests.test_pay_support import (
    confirm_card,
    fresh,
    order_with,
    post_pay,
    process_inbox,
    review_form,
    signed_in,
    url,
)
from memberships.tests.renewal_helpers import save_method
from payments.models import Payment
from payments.models.ledger import PaymentOutcome
from payments.services.outcomes import outcome_deliver


def _payments(order):
    with scopes_disabled():
        return list(
            Payment.objects.filter(source_type="checkout_order", source_id=str(order.pk)).order_by("id")
        )


def _memberships(client):
    from memberships.models import Membership

    with scopes_disabled():
        return list(Membership.objects.filter(client=client))


def _deliver_outcomes(studio) -> list[str]:
    """What the worker does with every recorded outcome (the hook, once)."""
    with scopes_disabled():
        ids = list(PaymentOutcome.objects.filter(studio=studio).order_by("id").values_list("pk", flat=True))
    with scope(studio=studio):
        return [outcome_deliver(outcome_id=pk) for pk in ids]


def _race(workers, job):
    barrier = threading.Barrier(workers)
    outcomes = [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = job(i)
        except Exception as exc:  # the test inspects it
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_pay_form_make_one_payment_and_one_membership(
    sandbox, studio, accounts, buyer, plan
):
    card = save_method(sandbox, studio, buyer)
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    first = signed_in(buyer)
    data = review_form(first, studio)
    data.pop("_html")
    data["method"] = f"saved:{card.pk}"
    browsers = [signed_in(buyer) for _ in range(20)]
    codes = _race(20, lambda i: browsers[i].post(url(studio, "checkout-review"), data).status_code)
    assert codes == [302] * 20, codes  # each answered with where the one payment went
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.attempt == 1
    assert len(_payments(order)) == 1
    assert len(_memberships(buyer)) == 1
    charges = [c for c in sandbox.objects("charge", account=accounts["laval"].stripe_account_id) if c["paid"]]
    assert len(charges) == 1


@pytest.mark.django_db
def test_the_same_token_posted_again_answers_with_the_first_attempt(sandbox, studio, accounts, buyer, plan):
    web = signed_in(buyer)
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    data = review_form(web, studio)
    data.pop("_html")
    data["method"] = "new"
    one = web.post(url(studio, "checkout-review"), data)
    two = web.post(url(studio, "checkout-review"), data)
    assert one["Location"] == two["Location"] == url(studio, "checkout-card", token=order.token)
    assert len(_payments(order)) == 1


@pytest.mark.django_db
def test_webhook_before_the_return_then_the_return_then_the_webhook_again(
    sandbox, webhooks_to_app, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    confirm_card(sandbox, payment)
    sandbox.deliver_pending()  # Stripe's webhook arrives before the browser comes back
    process_inbox()
    assert "delivered" in _deliver_outcomes(studio)
    assert fresh(order).status == OrderStatus.PAID
    back = buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert back.status_code == 302
    # The same events once more (a redelivery) and every hook again: nothing changes.
    sandbox.deliver_pending()
    process_inbox()
    assert set(_deliver_outcomes(studio)) == {"already delivered"}
    with scope(studio=studio):
        _settle(order_id=order.pk)
        order_payment_settle(studio=studio, order=order)
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.number == 1
    assert len(_payments(order)) == 1 and len(_memberships(buyer)) == 1


@pytest.mark.django_db
def test_return_first_then_the_webhook_adds_nothing(
    sandbox, webhooks_to_app, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    confirm_card(sandbox, payment)
    buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert fresh(order).status == OrderStatus.PAID
    sandbox.deliver_pending()
    process_inbox()
    _deliver_outcomes(studio)
    assert fresh(order).status == OrderStatus.PAID
    assert len(_payments(order)) == 1 and len(_memberships(buyer)) == 1


@pytest.mark.django_db
def test_a_decline_heard_by_the_hook_alone_reopens_the_order(
    sandbox, webhooks_to_app, studio, accounts, buyer, buyer_web, plan
):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    [payment] = _payments(order)
    confirm_card(sandbox, payment, pm="pm_card_chargeDeclined")
    sandbox.deliver_pending()
    process_inbox()
    _deliver_outcomes(studio)
    order = fresh(order)
    assert order.status == OrderStatus.OPEN and order.failure_code
    assert _memberships(buyer) == []


@pytest.mark.django_db
def test_the_status_poll_answers_json(sandbox, studio, accounts, buyer, buyer_web, plan):
    order = order_with(studio, buyer, {"kind": "plan", "plan": plan})
    post_pay(buyer_web, studio, method="new")
    poll = buyer_web.get(url(studio, "checkout-status", token=order.token)).json()
    assert poll["status"] == "card" and poll["redirect"].endswith("/card/")
    [payment] = _payments(order)
    confirm_card(sandbox, payment)
    poll = buyer_web.get(url(studio, "checkout-status", token=order.token)).json()
    assert poll["status"] == "paid"


@pytest.mark.django_db
def test_a_drop_in_paid_by_card_is_one_booking_whatever_arrives_first(
    sandbox, webhooks_to_app, studio, accounts, buyer, buyer_web, laval
):
    from scheduling.models import Booking
    from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory

    template = ClassTemplateFactory(studio=studio, name="Vinyasa", drop_in_price=2500)
    session = ClassSessionFactory(template=template, location=laval)
    order = order_with(studio, buyer, {"kind": "drop_in", "session": session})
    post_pay(buyer_web, studio, method="new")
    with scopes_disabled():
        assert Booking.objects.filter(session=session, client=buyer).count() == 1  # held at freeze
    [payment] = _payments(order)
    confirm_card(sandbox, payment)
    sandbox.deliver_pending()
    process_inbox()
    _deliver_outcomes(studio)
    buyer_web.get(url(studio, "checkout-return", token=order.token))
    buyer_web.get(url(studio, "checkout-return", token=order.token))
    assert fresh(order).status == OrderStatus.PAID
    with scopes_disabled():
        [booking] = Booking.objects.filter(session=session, client=buyer)
    assert booking.status == "booked"
    assert len(_payments(order)) == 1
