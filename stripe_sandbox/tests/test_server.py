"""The sandbox over real local HTTP: the SDK's default HTTP client, faults that drop the connection,
background webhook delivery, and the `python -m stripe_sandbox serve` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.server import SandboxServer


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, SandboxServer, list]]:
    received: list = []

    def deliver(url, headers, body):
        received.append(json.loads(body))
        return 200

    sandbox = Sandbox(
        delivery="background", deliver=deliver, webhook_endpoints=[("http://app/hook", "whsec_x")]
    )
    server = SandboxServer(sandbox, "127.0.0.1", 0).start()
    try:
        yield sandbox, server, received
    finally:
        server.stop()


def _client(server: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_over_http", base_addresses={"api": server.url}, max_network_retries=0)


def test_sdk_over_http(served) -> None:
    _, server, received = served
    client = _client(server)
    customer = client.v1.customers.create({"email": "http@example.com", "metadata": {"k": "v"}})
    assert client.v1.customers.retrieve(customer.id).metadata["k"] == "v"
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            {"amount": 500, "currency": "usd", "confirm": True, "payment_method": "pm_card_chargeDeclined"}
        )
    assert exc.value.error.decline_code == "generic_decline"
    deadline = time.time() + 5
    while len(received) < 4 and time.time() < deadline:
        time.sleep(0.05)
    assert "customer.created" in [e["type"] for e in received]


def test_lost_response_over_http_then_replay(served) -> None:
    sandbox, server, _ = served
    client = _client(server)
    request = urllib.request.Request(
        f"{server.url}/_sandbox/faults",
        method="POST",
        data=b'{"kind": "lost_response", "path_prefix": "/v1/payment_intents"}',
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    params = {"amount": 700, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create(params, {"idempotency_key": "http-lost"})
    retried = client.v1.payment_intents.create(params, {"idempotency_key": "http-lost"})
    assert retried.status == "succeeded"
    assert len(sandbox.objects("charge")) == 1


def test_hosted_page_over_http(served) -> None:
    _, server, _ = served
    with urllib.request.urlopen(f"{server.url}/_sandbox/health") as response:
        assert json.loads(response.read()) == {"ok": True}
    with urllib.request.urlopen(f"{server.url}/_sandbox/js/stripe.js") as response:
        assert b"window.Stripe" in response.read()


def test_serve_command(tmp_path) -> None:
    state = tmp_path / "sandbox.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_sandbox",
            "serve",
            "--port",
            "0",
            "--state",
            str(state),
            "--webhook",
            "http://127.0.0.1:9/hook=whsec_demo",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("Stripe sandbox listening on http://127.0.0.1:")
        url = banner.split()[4]
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url}, max_network_retries=0)
        customer = client.v1.customers.create({"email": "kept@example.com"})
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    saved = json.loads(state.read_text())
    assert any(customer.id in objects for objects in saved["objects"].values())
    reset = subprocess.run(
        [sys.executable, "-m", "stripe_sandbox", "reset", "--state", str(state)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "reset" in reset.stdout and not state.exists()
