"""Idempotency with Stripe's semantics, and the faults that make it matter."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


def _charge(client: stripe.StripeClient, key: str, amount: int = 1500, pm: str = "pm_card_visa"):
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "usd", "payment_method": pm, "confirm": True}, {"idempotency_key": key}
    )


def test_same_key_same_params_replays_the_saved_response(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    first = _charge(client, "order-1")
    second = _charge(client, "order-1")
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(sandbox.objects("charge")) == 1


def test_same_key_other_params_is_an_idempotency_error(client: stripe.StripeClient) -> None:
    _charge(client, "order-2", amount=1500)
    with pytest.raises(stripe.IdempotencyError) as exc:
        _charge(client, "order-2", amount=1600)
    assert exc.value.http_status == 400
    assert exc.value.error.type == "idempotency_error"
    assert "can only be used with the same parameters they were first used with" in exc.value.user_message


def test_errors_are_replayed_too_with_their_status(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    with pytest.raises(stripe.CardError) as first:
        _charge(client, "declined-1", pm="pm_card_chargeDeclined")
    with pytest.raises(stripe.CardError) as second:
        _charge(client, "declined-1", pm="pm_card_chargeDeclined")
    assert second.value.http_status == 402
    assert second.value.headers["Idempotent-Replayed"] == "true"
    assert second.value.error.payment_intent.id == first.value.error.payment_intent.id
    assert len(sandbox.objects("payment_intent")) == 1


def test_validation_errors_are_not_saved(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"emial": "x@example.com"}, {"idempotency_key": "k"})  # type: ignore[typeddict-unknown-key]
    # The endpoint never ran, so the key is still free for the corrected request.
    assert (
        client.v1.customers.create({"email": "x@example.com"}, {"idempotency_key": "k"}).email
        == "x@example.com"
    )


def test_keys_are_scoped_per_account_and_api_key(
    client: stripe.StripeClient, sandbox: Sandbox, acct_client: stripe.StripeClient
) -> None:
    platform = client.v1.customers.create({"email": "p@example.com"}, {"idempotency_key": "shared"})
    connected = acct_client.v1.customers.create({"email": "p@example.com"}, {"idempotency_key": "shared"})
    other_key = sandbox.client("sk_test_other").v1.customers.create(
        {"email": "p@example.com"}, {"idempotency_key": "shared"}
    )
    assert len({platform.id, connected.id, other_key.id}) == 3


def test_lost_response_then_retry_with_the_same_key_charges_once(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    with pytest.raises(stripe.APIConnectionError):
        _charge(client, "renewal:42:2026-01")
    # It happened at "Stripe" even though the client never heard back.
    assert [pi["status"] for pi in sandbox.objects("payment_intent")] == ["succeeded"]
    retried = _charge(client, "renewal:42:2026-01")
    assert retried.status == "succeeded"
    assert retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox.objects("charge")) == 1


def test_sdk_retries_reuse_the_key_through_a_lost_response(sandbox: Sandbox, monkeypatch) -> None:
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)
    retrying = sandbox.client(max_network_retries=2)
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    pi = _charge(retrying, "auto-retry")
    assert pi.status == "succeeded"
    assert len(sandbox.objects("charge")) == 1


def test_timeout_does_nothing_and_raises_connection_error(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    sandbox.faults.next("timeout", "/v1/customers")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"email": "t@example.com"}, {"idempotency_key": "t"})
    assert sandbox.objects("customer") == []
    assert client.v1.customers.create({"email": "t@example.com"}, {"idempotency_key": "t"}).email


def test_server_error_and_rate_limit_surface_as_sdk_errors(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    sandbox.faults.next("server_error", "/v1/customers")
    with pytest.raises(stripe.APIError) as exc:
        client.v1.customers.create({})
    assert exc.value.http_status == 500
    assert exc.value.error.type == "api_error"
    sandbox.faults.next("rate_limit", count=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as limited:
            client.v1.customers.list()
        assert limited.value.http_status == 429
        assert limited.value.error.code == "rate_limit"
    assert client.v1.customers.list().object == "list"
    assert sandbox.objects("customer") == []
    assert [k for k, _, _ in sandbox.faults.fired] == ["server_error", "rate_limit", "rate_limit"]


def test_faults_only_hit_matching_paths(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.next("server_error", "/v1/payment_intents")
    client.v1.customers.create({})
    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.create({"amount": 500, "currency": "usd"})
    assert sandbox.faults.armed == []
    with pytest.raises(ValueError):
        sandbox.faults.next("meteor_strike")
