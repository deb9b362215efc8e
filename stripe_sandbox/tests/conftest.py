"""Fixtures: a fresh sandbox per test and real `stripe.StripeClient`s wired to it in-process."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


class Clock:
    """A hand-driven clock so `created`, expiry and ordering are deterministic."""

    def __init__(self, now: float = 1_767_225_600):  # 2026-01-01T00:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    sb = Sandbox(clock=clock, seed=1234)
    sb.raise_server_errors = True  # a crash in a handler must fail the test, not become a 500
    return sb


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    return sandbox.client()


@pytest.fixture
def connected(client: stripe.StripeClient, sandbox: Sandbox) -> str:
    """An onboarded Express-style connected account."""
    account = client.v1.accounts.create(
        {
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
    )
    sandbox.complete_onboarding(account.id)
    return account.id


@pytest.fixture
def acct_client(sandbox: Sandbox, connected: str) -> stripe.StripeClient:
    """A client that names the connected account on every call (`Stripe-Account`)."""
    return sandbox.client(stripe_account=connected)
