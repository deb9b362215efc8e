"""The Stripe boundary's own rules: account named, keys on writes, no call in a transaction, errors mapped."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction

from payments import gateway

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_gateway_imports_stripe():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if (
            rel.startswith((".venv/", "stripe_sandbox/", "payments/gateway/"))
            or "/tests/" in rel
            or rel.startswith("tests/")
        ):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                offenders.append(rel)
    assert not offenders, offenders


def test_the_account_must_be_named(sandbox):
    with pytest.raises(ValueError, match="Name the connected account"):
        gateway.customer_create(account=None, idempotency_key="k", email=None, name="x", metadata={})
    with pytest.raises(ValueError, match="Name the connected account"):
        gateway.customer_create(account="", idempotency_key="k", email=None, name="x", metadata={})


def test_writes_need_an_idempotency_key(sandbox):
    with pytest.raises(ValueError, match="idempotency key"):
        gateway.customer_create(
            account=gateway.PLATFORM, idempotency_key="", email=None, name="x", metadata={}
        )


@pytest.mark.django_db
def test_no_stripe_call_inside_a_transaction(sandbox):
    with pytest.raises(gateway.TransactionError), transaction.atomic():
        gateway.customer_create(
            account=gateway.PLATFORM, idempotency_key="in-tx", email=None, name="x", metadata={}
        )


@pytest.mark.django_db
def test_connected_account_isolation_and_error_mapping(sandbox, make_account, studio):
    account = make_account(studio, name="A")
    other = make_account(studio, name="B")
    customer = gateway.customer_create(
        account=account.stripe_account_id,
        idempotency_key="cus-1",
        email="c@example.test",
        name="C",
        metadata={"client": "1"},
    )
    assert (
        gateway.customer_retrieve(account=account.stripe_account_id, customer_id=customer.id).id
        == customer.id
    )
    with pytest.raises(gateway.InvalidRequest):
        gateway.customer_retrieve(account=other.stripe_account_id, customer_id=customer.id)
    with pytest.raises(gateway.InvalidRequest):
        gateway.customer_retrieve(account=gateway.PLATFORM, customer_id=customer.id)


@pytest.mark.django_db
def test_declines_and_authentication_map_to_our_errors(sandbox, make_account, studio):
    acct = make_account(studio).stripe_account_id
    with pytest.raises(gateway.CardDeclined) as declined:
        gateway.payment_intent_create(
            account=acct,
            idempotency_key="pi-decline",
            amount=1000,
            currency="CAD",
            metadata={},
            payment_method_id="pm_card_chargeDeclinedInsufficientFunds",
            confirm=True,
        )
    assert declined.value.decline_code == "insufficient_funds"
    assert declined.value.payment_intent_id.startswith("pi_")
    customer = gateway.customer_create(
        account=acct, idempotency_key="cus-3ds", email=None, name="x", metadata={}
    )
    with pytest.raises(gateway.AuthenticationRequired):
        gateway.payment_intent_create(
            account=acct,
            idempotency_key="pi-3ds",
            amount=1000,
            currency="CAD",
            metadata={},
            customer_id=customer.id,
            payment_method_id="pm_card_authenticationRequired",
            confirm=True,
            off_session=True,
        )


@pytest.mark.django_db
def test_unavailable_and_rate_limits_are_ambiguous(sandbox, make_account, studio):
    acct = make_account(studio).stripe_account_id
    sandbox.faults.next("rate_limit", "/v1/customers")
    with pytest.raises(gateway.RateLimited) as limited:
        gateway.customer_create(account=acct, idempotency_key="cus-x", email=None, name="x", metadata={})
    assert limited.value.ambiguous
    sandbox.faults.next("server_error", "/v1/customers")
    with pytest.raises(gateway.StripeUnavailable):
        gateway.customer_create(account=acct, idempotency_key="cus-y", email=None, name="x", metadata={})
    sandbox.faults.next("timeout", "/v1/customers")
    with pytest.raises(gateway.StripeUnavailable):
        gateway.customer_create(account=acct, idempotency_key="cus-z", email=None, name="x", metadata={})


@pytest.mark.django_db
def test_same_key_other_parameters_is_a_conflict(sandbox, make_account, studio):
    acct = make_account(studio).stripe_account_id
    gateway.customer_create(account=acct, idempotency_key="same", email=None, name="One", metadata={})
    with pytest.raises(gateway.IdempotencyConflict):
        gateway.customer_create(account=acct, idempotency_key="same", email=None, name="Two", metadata={})


def test_webhook_signature_verification(sandbox):
    from stripe_sandbox import sign

    body = b'{"id": "evt_1", "type": "account.updated", "created": 1, "data": {"object": {"id": "acct_1"}}}'
    header = sign(body, "whsec_test")
    event = gateway.webhook_event_parse(payload=body, signature_header=header, secret="whsec_test")
    assert event.type == "account.updated" and event.object["id"] == "acct_1"
    with pytest.raises(gateway.WebhookSignatureError):
        gateway.webhook_event_parse(payload=body, signature_header=header, secret="whsec_other")
    with pytest.raises(gateway.WebhookSignatureError):
        gateway.webhook_event_parse(payload=body + b" ", signature_header=header, secret="whsec_test")
