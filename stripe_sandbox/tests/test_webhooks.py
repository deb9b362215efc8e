"""Events and their signed delivery: routing, signatures, duplicates, shuffling, queueing, failures."""

from __future__ import annotations

import json

import pytest
import stripe

from stripe_sandbox import Sandbox, WebhookEndpoint


class Inbox:
    """A fake app endpoint: verifies like the app's webhook view and records what it saw."""

    def __init__(self, secrets: dict[str, str], status: int = 200):
        self.secrets = secrets
        self.status = status
        self.received: list[tuple[str, stripe.Event]] = []

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> int:
        event = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], self.secrets[url])
        self.received.append((url, event))
        return self.status

    def types(self, url: str | None = None) -> list[str]:
        return [e.type for u, e in self.received if url is None or u == url]


PLATFORM = "http://app/webhooks/stripe"
CONNECT = "http://app/webhooks/stripe/connect"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox({PLATFORM: "whsec_platform", CONNECT: "whsec_connect"})


def make(clock, inbox: Inbox, **kw) -> Sandbox:
    sb = Sandbox(
        clock=clock,
        seed=7,
        deliver=inbox,
        webhook_endpoints=[
            (PLATFORM, "whsec_platform", False),
            WebhookEndpoint(CONNECT, "whsec_connect", connect=True),
        ],
        **kw,
    )
    sb.raise_server_errors = True
    return sb


def test_signed_delivery_routed_by_account(clock, inbox: Inbox) -> None:
    sb = make(clock, inbox)
    client = sb.client()
    client.v1.customers.create({"email": "p@example.com"})
    account = client.v1.accounts.create({"type": "express"})
    sb.client(stripe_account=account.id).v1.customers.create({"email": "c@example.com"})
    sb.complete_onboarding(account.id)
    assert inbox.types(PLATFORM) == ["customer.created"]
    assert inbox.types(CONNECT)[0] == "customer.created"
    assert "account.updated" in inbox.types(CONNECT)
    connect_events = [e for u, e in inbox.received if u == CONNECT]
    assert all(e.account == account.id for e in connect_events)
    event = connect_events[0]
    assert event.api_version == stripe.api_version and event.livemode is False
    assert event.request.idempotency_key  # the SDK sends one on every POST
    assert sb.webhooks.pending() == []
    assert (
        client.v1.events.retrieve(next(e for u, e in inbox.received if u == PLATFORM).id).pending_webhooks
        == 0
    )


def test_signature_is_exactly_stripes(clock, inbox: Inbox) -> None:
    sb = make(clock, inbox)
    sb.client().v1.customers.create({})
    attempt = sb.webhooks.attempts()[0]
    assert attempt["status"] == 200
    payload = json.dumps(sb.get(attempt["event"]), indent=2)
    header = stripe.WebhookSignature._compute_signature  # the SDK's own HMAC
    from stripe_sandbox import sign

    signed = sign(payload.encode(), "whsec_platform", 1767225600)
    assert signed == f"t=1767225600,v1={header('1767225600.' + payload, 'whsec_platform')}"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign(payload.encode(), "whsec_wrong"), "whsec_platform")


def test_duplicate_delivery(clock, inbox: Inbox) -> None:
    sb = make(clock, inbox, duplicate=True)
    sb.client().v1.customers.create({})
    ids = [e.id for _, e in inbox.received]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_queued_and_shuffled_delivery_is_seeded(clock) -> None:
    def run() -> list[str]:
        inbox = Inbox({PLATFORM: "whsec_platform", CONNECT: "whsec_connect"})
        sb = make(clock, inbox, delivery="queued", shuffle=True)
        client = sb.client()
        created = [client.v1.customers.create({"email": f"{n}@example.com"}).id for n in range(6)]
        assert inbox.received == []
        assert len(sb.webhooks.pending()) == 6
        assert client.v1.events.list({"limit": 1}).data[0].pending_webhooks == 1
        sb.deliver_pending()
        seen = [e.data.object.id for _, e in inbox.received]
        assert sorted(seen) == sorted(created)
        return [created.index(i) for i in seen]

    first, second = run(), run()
    assert first == second  # same seed, same order
    assert first != sorted(first)  # and not creation order


def test_failed_deliveries_are_recorded_and_retried(clock, inbox: Inbox) -> None:
    inbox.status = 500
    sb = make(clock, inbox)
    sb.client().v1.customers.create({})
    assert [a["status"] for a in sb.webhooks.attempts()] == [500]
    assert len(sb.webhooks.pending()) == 1
    inbox.status = 200
    sb.deliver_pending()
    assert [a["status"] for a in sb.webhooks.attempts()] == [500, 200]
    assert sb.webhooks.pending() == []


def test_unreachable_endpoint_does_not_break_the_api_call(clock) -> None:
    def down(url, headers, body):
        raise ConnectionRefusedError("nobody home")

    sb = Sandbox(clock=clock, deliver=down, webhook_endpoints=[(PLATFORM, "whsec_x")])
    customer = sb.client().v1.customers.create({})
    assert customer.id
    assert "ConnectionRefusedError" in sb.webhooks.attempts()[0]["error"]


def test_event_list_filters_and_retrieve(client: stripe.StripeClient, clock) -> None:
    client.v1.customers.create({})
    clock.advance(10)
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    succeeded = client.v1.events.list({"type": "payment_intent.succeeded"})
    assert [e.data.object.id for e in succeeded.data] == [pi.id]
    wildcard = client.v1.events.list({"type": "payment_intent.*"})
    assert {e.type for e in wildcard.data} == {"payment_intent.created", "payment_intent.succeeded"}
    recent = client.v1.events.list({"created": {"gte": int(clock.now)}})
    assert "customer.created" not in {e.type for e in recent.data}
    many = client.v1.events.list({"types": ["charge.succeeded", "customer.created"]})
    assert {e.type for e in many.data} == {"charge.succeeded", "customer.created"}
    event = client.v1.events.retrieve(succeeded.data[0].id)
    assert event.data.object.status == "succeeded"
    assert event.request.id.startswith("req_")


def test_updated_events_carry_previous_attributes(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    customer = client.v1.customers.create({"metadata": {"tier": "gold"}})
    client.v1.customers.update(customer.id, {"metadata": {"tier": "silver"}, "email": "new@example.com"})
    event = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"metadata": {"tier": "gold"}, "email": None}
    assert event.data.object.email == "new@example.com"
