"""Checkout Sessions and the hosted checkout page."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox

LINE = {
    "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "10-class pass"}},
    "quantity": 2,
}


def _session(client: stripe.StripeClient, **extra) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [LINE],
            "client_reference_id": "order-9",
            "metadata": {"order": "9"},
            "success_url": "http://127.0.0.1:8000/paid?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://127.0.0.1:8000/cart",
            **extra,
        }
    )


def test_payment_session_completes_through_the_hosted_page(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    session = _session(client, payment_intent_data={"metadata": {"order": "9"}})
    assert (session.status, session.payment_status, session.amount_total) == ("open", "unpaid", 5000)
    assert session.url == f"http://127.0.0.1:12111/_sandbox/checkout/{session.id}"
    page = sandbox.handle("GET", f"/_sandbox/checkout/{session.id}")
    assert page.status == 200 and b'name="cardnumber"' in page.body and b"10-class pass" in page.body
    declined = sandbox.handle(
        "POST",
        f"/_sandbox/checkout/{session.id}",
        body=b"email=a%40example.com&cardnumber=4000000000000002&exp=12+%2F+34&cvc=123",
    )
    assert declined.status == 200 and b"Your card was declined." in declined.body
    paid = sandbox.handle(
        "POST",
        f"/_sandbox/checkout/{session.id}",
        body=b"email=a%40example.com&cardnumber=4242+4242+4242+4242&exp=12+%2F+34&cvc=123",
    )
    assert paid.status == 303
    assert paid.headers["Location"] == f"http://127.0.0.1:8000/paid?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded" and done.payment_intent.amount == 5000
    assert done.payment_intent.metadata["order"] == "9"
    assert done.customer_details.email == "a@example.com"
    completed = sandbox.events.list(event_type="checkout.session.completed")
    assert completed[0]["data"]["object"]["client_reference_id"] == "order-9"
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert items.data[0].quantity == 2 and items.data[0].amount_total == 5000


def test_setup_session_with_helper_and_3ds(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    customer = client.v1.customers.create({"email": "s@example.com"})
    session = client.v1.checkout.sessions.create(
        {
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "success_url": "http://127.0.0.1:8000/saved",
        }
    )
    target = sandbox.complete_checkout(session.id, card_number="4000002760003184")
    assert "/_sandbox/3ds/seti_" in target
    path = target.split("127.0.0.1:12111")[1]
    challenge = sandbox.handle("GET", path.split("?")[0], query=path.split("?")[1])
    assert b"Complete authentication" in challenge.body
    back = sandbox.handle(
        "POST",
        path.split("?")[0],
        body=b"outcome=complete&return_to="
        + f"http://127.0.0.1:12111/_sandbox/checkout/{session.id}".encode(),
    )
    assert back.status == 303
    final = sandbox.handle("GET", f"/_sandbox/checkout/{session.id}")
    assert final.headers["Location"] == "http://127.0.0.1:8000/saved"
    done = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["setup_intent"]})
    assert done.status == "complete" and done.setup_intent.status == "succeeded"
    assert client.v1.payment_methods.list({"customer": customer.id}).data[0].card.last4 == "3184"


def test_connected_account_session_with_application_fee(
    acct_client: stripe.StripeClient, sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        _session(client, payment_intent_data={"application_fee_amount": 100})
    session = _session(
        acct_client, payment_intent_data={"application_fee_amount": 100, "setup_future_usage": "off_session"}
    )
    sandbox.complete_checkout(session.id, email="fee@example.com")
    done = acct_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent.latest_charge"]})
    assert done.payment_intent.latest_charge.application_fee_amount == 100
    assert done.customer  # created to hold the saved card
    assert acct_client.v1.payment_methods.list({"customer": done.customer}).data


def test_expire_and_expiry(client: stripe.StripeClient, sandbox: Sandbox, clock) -> None:
    session = _session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    later = _session(client)
    clock.advance(24 * 3600 + 1)
    assert client.v1.checkout.sessions.retrieve(later.id).status == "expired"
    assert sandbox.handle("GET", f"/_sandbox/checkout/{later.id}").status == 410
    assert {s.status for s in client.v1.checkout.sessions.list().data} == {"expired"}
    assert sandbox.events.list(event_type="checkout.session.expired")
