"""Webhooks (PAY-5): verified, stored once, safe twice and out of order, never crossing studios."""

from __future__ import annotations

import random

import pytest
from django_scopes import scope, scopes_disabled

from payments.models import ConnectedAccount, Payment, StripeEvent
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.tests.conftest import process_inbox
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


def _scenario(sandbox, make_account, studio, client_obj):
    """State only webhooks can settle: onboarding finished at Stripe, and two lost responses."""
    from payments import gateway

    account = make_account(studio, name="Plateau", default=True, ready=False)
    ready_acct = make_account(studio, name="Charges", ready=True)
    sandbox.complete_onboarding(account.stripe_account_id)
    customer = gateway.customer_create(account=ready_acct.stripe_account_id, idempotency_key="cus:wh", email=None,
                                       name="C", metadata={})
    payments = []
    for pm in ("pm_card_visa", "pm_card_chargeDeclined"):
        with scope(studio=studio):
            payment = payment_create(
                studio=studio, actor=SYSTEM, client=client_obj, subtotal=1500, item_kind=ItemKind.PRODUCT,
                channel=Channel.ONLINE, description=pm, route=None,
                target=ChargeTarget(customer_id=customer.id, payment_method_id=pm, off_session=True))
            Payment.objects.filter(pk=payment.pk).update(account=ready_acct,
                                                         stripe_account_id=ready_acct.stripe_account_id)
            payment.refresh_from_db()
            sandbox.faults.next("lost_response", "/v1/payment_intents")
            payments.append(payment_submit(payment=payment))
    return account, payments


def _state(account, payments):
    with scopes_disabled():
        account.refresh_from_db()
        return (account.charges_enabled, account.details_submitted, account.state,
                [Payment.objects.get(pk=p.pk).status for p in payments])


@pytest.mark.parametrize("mode", ["once_in_order", "twice_shuffled"])
def test_events_twice_and_shuffled_leave_the_same_state(webhooks_to_app, make_account, studio, other_studio,
                                                        a_client, mode):
    sandbox = webhooks_to_app
    account, payments = _scenario(sandbox, make_account, studio, a_client)
    assert [p.status for p in payments] == [Payment.Status.PENDING, Payment.Status.PENDING]
    if mode == "twice_shuffled":
        sandbox.webhooks.duplicate = True
        sandbox.webhooks.shuffle = True
    sandbox.deliver_pending()
    if mode == "twice_shuffled":
        sandbox.deliver_pending()  # a redelivery of everything, too
    rng = random.Random(7)
    process_inbox(order=(lambda rows: rng.sample(rows, len(rows))) if mode == "twice_shuffled" else None)
    process_inbox()  # anything stored by the redelivery is a duplicate and was not stored again
    assert _state(account, payments) == (True, True, ConnectedAccount.State.READY,
                                         [Payment.Status.SUCCEEDED, Payment.Status.FAILED])
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))


def test_bad_signature_is_rejected_and_stored_nowhere(client, db):
    body = b'{"id": "evt_forged", "type": "account.updated", "created": 1, "data": {"object": {}}}'
    response = client.post("/webhooks/stripe/", data=body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE="t=1,v1=deadbeef")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert client.post("/webhooks/stripe/connect/", data=body, content_type="application/json").status_code == 400
    assert not StripeEvent.objects.exists()


def test_event_for_studio_a_never_touches_studio_b(webhooks_to_app, make_account, studio, other_studio):
    sandbox = webhooks_to_app
    mine = make_account(studio, name="A", ready=False)
    theirs = make_account(other_studio, name="B", ready=False)
    sandbox.complete_onboarding(mine.stripe_account_id)
    sandbox.deliver_pending()
    process_inbox()
    with scopes_disabled():
        assert ConnectedAccount.objects.get(pk=mine.pk).charges_enabled
        assert not ConnectedAccount.objects.get(pk=theirs.pk).charges_enabled
        assert set(StripeEvent.objects.exclude(account="").values_list("studio_id", flat=True)) == {studio.pk}


def test_unknown_account_events_are_kept_but_touch_nothing(webhooks_to_app, db):
    from payments import gateway

    created = gateway.account_create(idempotency_key="stranger", country="CA", email=None, business_name="X",
                                     metadata={})
    webhooks_to_app.complete_onboarding(created.id)
    webhooks_to_app.deliver_pending()
    outcomes = process_inbox()
    assert outcomes and set(outcomes) <= {"unknown account", "ignored"}
