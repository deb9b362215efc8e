"""Contract suite: the same scenarios against the sandbox (always) and real Stripe test mode.

Set `STRIPE_TEST_SECRET_KEY=sk_test_…` to also run them against Stripe itself; that is how we
know the sandbox answers as Stripe does. Connect and Terminal scenarios need account setup at
Stripe (Connect enabled; Terminal available), so against Stripe they run only when
`STRIPE_TEST_CONNECT=1` / `STRIPE_TEST_TERMINAL=1` say that setup exists.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
import stripe

from stripe_sandbox import Sandbox

pytestmark = pytest.mark.stripe_live

LIVE_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")


@dataclass
class Target:
    name: str
    client: stripe.StripeClient
    connect: bool
    terminal: bool

    def key(self, label: str) -> str:
        return f"contract:{label}:{uuid.uuid4()}"


@pytest.fixture(params=["sandbox", "stripe"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "sandbox":
        return Target("sandbox", Sandbox().client(), connect=True, terminal=True)
    if not LIVE_KEY:
        pytest.skip("STRIPE_TEST_SECRET_KEY is not set: the contract suite ran against the sandbox only")
    if not LIVE_KEY.startswith("sk_test_"):
        pytest.fail("STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_…)")
    client = stripe.StripeClient(LIVE_KEY, max_network_retries=2)
    return Target(
        "stripe",
        client,
        connect=os.environ.get("STRIPE_TEST_CONNECT") == "1",
        terminal=os.environ.get("STRIPE_TEST_TERMINAL") == "1",
    )


CARD_ONLY = {"allowed_payment_method_types": ["card"]}


def test_customer_and_metadata(target: Target) -> None:
    c = target.client
    customer = c.v1.customers.create({"email": "contract@example.com", "metadata": {"a": "1", "b": "2"}})
    assert customer.object == "customer" and customer.id.startswith("cus_")
    updated = c.v1.customers.update(customer.id, {"metadata": {"a": ""}})
    assert updated.metadata.to_dict() == {"b": "2"}
    assert c.v1.customers.retrieve(customer.id).email == "contract@example.com"


def test_unknown_parameter_and_missing_object(target: Target) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        target.client.v1.customers.create({"emial": "x@example.com"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "emial"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        target.client.v1.customers.retrieve("cus_doesnotexist000")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_setup_intent_then_off_session_payment(target: Target) -> None:
    c = target.client
    customer = c.v1.customers.create({"email": "saved-card@example.com"})
    si = c.v1.setup_intents.create(
        {
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "usage": "off_session",
            **CARD_ONLY,
        },
        {"idempotency_key": target.key("si")},
    )
    assert si.status == "succeeded"
    pm = c.v1.payment_methods.retrieve(si.payment_method)
    assert pm.customer == customer.id and pm.card.last4 == "4242" and pm.card.brand == "visa"
    pi = c.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "off_session": True,
            "confirm": True,
            "expand": ["latest_charge.balance_transaction"],
            **CARD_ONLY,
        },
        {"idempotency_key": target.key("pi")},
    )
    assert pi.status == "succeeded" and pi.amount_received == 2000
    assert pi.latest_charge.balance_transaction.amount == 2000
    refund = c.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    assert refund.status == "succeeded"
    assert c.v1.charges.retrieve(pi.latest_charge.id).amount_refunded == 500


def test_declines_and_authentication_required(target: Target) -> None:
    c = target.client
    with pytest.raises(stripe.CardError) as declined:
        c.v1.payment_intents.create(
            {
                "amount": 1500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
                **CARD_ONLY,
            }
        )
    assert declined.value.code == "card_declined"
    assert declined.value.error.decline_code == "generic_decline"
    assert declined.value.error.payment_intent.status == "requires_payment_method"
    customer = c.v1.customers.create({})
    pm = c.v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": customer.id})
    with pytest.raises(stripe.CardError) as auth:
        c.v1.payment_intents.create(
            {
                "amount": 1500,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": pm.id,
                "off_session": True,
                "confirm": True,
                **CARD_ONLY,
            }
        )
    assert auth.value.code == "authentication_required"
    assert auth.value.error.payment_intent.status == "requires_payment_method"


def test_idempotency(target: Target) -> None:
    c = target.client
    key = target.key("idem")
    first = c.v1.customers.create({"email": "idem@example.com"}, {"idempotency_key": key})
    again = c.v1.customers.create({"email": "idem@example.com"}, {"idempotency_key": key})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        c.v1.customers.create({"email": "other@example.com"}, {"idempotency_key": key})


def test_connected_account_and_isolation(target: Target) -> None:
    if not target.connect:
        pytest.skip("Connect is not set up on this Stripe account (set STRIPE_TEST_CONNECT=1 if it is)")
    c = target.client
    account = c.v1.accounts.create(
        {
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
    )
    assert account.charges_enabled is False and account.requirements.currently_due
    link = c.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "https://example.com/return",
            "refresh_url": "https://example.com/refresh",
        }
    )
    assert link.url.startswith("http")
    customer = c.v1.customers.create({"email": "on-connected@example.com"}, {"stripe_account": account.id})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        c.v1.customers.retrieve(customer.id)
    assert exc.value.http_status == 404


def test_simulated_reader_payment(target: Target) -> None:
    if not target.terminal:
        pytest.skip("Terminal is not set up on this Stripe account (set STRIPE_TEST_TERMINAL=1 if it is)")
    c = target.client
    location = c.v1.terminal.locations.create(
        {
            "display_name": "Contract studio",
            "address": {
                "line1": "1 Main St",
                "city": "San Francisco",
                "state": "CA",
                "postal_code": "94111",
                "country": "US",
            },
        }
    )
    reader = c.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id})
    assert reader.device_type == "simulated_wisepos_e"
    pi = c.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "capture_method": "manual",
            "allowed_payment_method_types": ["card_present"],
        }
    )
    processing = c.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert processing.action.type == "process_payment_intent"
    c.v1.test_helpers.terminal.readers.present_payment_method(reader.id)
    assert c.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    assert c.v1.payment_intents.capture(pi.id).status == "succeeded"
