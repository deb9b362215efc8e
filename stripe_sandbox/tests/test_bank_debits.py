"""Bank debits (ACSS/PAD) that stay `processing` for days, settled by a test helper (MEM-3)."""

from __future__ import annotations

import json

import pytest
import stripe

from stripe_sandbox import Sandbox

MANDATE = {
    "customer_acceptance": {"type": "online", "online": {"ip_address": "127.0.0.1", "user_agent": "t"}}
}


def _processing_debit(client: stripe.StripeClient, account_number: str = "000123456789") -> str:
    customer = client.v1.customers.create({"email": "a@example.com"}).id
    si = client.v1.setup_intents.create(
        {
            "customer": customer,
            "allowed_payment_method_types": ["acss_debit"],
            "payment_method_options": {
                "acss_debit": {
                    "currency": "cad",
                    "mandate_options": {
                        "payment_schedule": "interval",
                        "interval_description": "Every month",
                        "transaction_type": "personal",
                    },
                }
            },
        }
    )
    si = client.v1.setup_intents.confirm(
        si.id,
        {
            "payment_method_data": {
                "type": "acss_debit",
                "billing_details": {"name": "Ada", "email": "a@example.com"},
                "acss_debit": {
                    "institution_number": "000",
                    "transit_number": "11000",
                    "account_number": account_number,
                },
            },
            "mandate_data": MANDATE,
        },
    )
    pi = client.v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "cad",
            "customer": customer,
            "payment_method": si.payment_method,
            "allowed_payment_method_types": ["acss_debit"],
            "confirm": True,
            "off_session": True,
        }
    )
    assert pi.status == "processing"
    return pi.id


def test_with_no_settle_delay_a_debit_stays_processing_until_settled(
    client: stripe.StripeClient, sandbox: Sandbox, clock
) -> None:
    sandbox.bank_settle_seconds = None
    pi = _processing_debit(client)
    clock.advance(5 * 86400)  # five days
    assert sandbox.tick() == []
    assert client.v1.payment_intents.retrieve(pi).status == "processing"
    settled = sandbox.settle_bank_debit(pi)
    assert settled["status"] == "succeeded"
    charge = client.v1.charges.retrieve(settled["latest_charge"])
    assert charge.status == "succeeded" and charge.paid
    types = [e["type"] for e in sandbox.events.list(None, "payment_intent.*")]
    assert "payment_intent.succeeded" in types


def test_settling_as_failed_names_the_bank_code_and_sends_the_failure_event(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    sandbox.bank_settle_seconds = None
    pi = _processing_debit(client)
    failed = sandbox.settle_bank_debit(pi, succeed=False, failure_code="insufficient_funds")
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "insufficient_funds"
    assert "insufficient funds" in failed["last_payment_error"]["message"]
    types = [e["type"] for e in sandbox.events.list(None, "payment_intent.*")]
    assert "payment_intent.payment_failed" in types
    with pytest.raises(Exception, match="only a processing bank debit"):
        sandbox.settle_bank_debit(pi)


def test_the_default_delay_still_settles_by_tick(
    client: stripe.StripeClient, sandbox: Sandbox, clock
) -> None:
    pi = _processing_debit(client, account_number="900123456789")
    clock.advance(5)
    sandbox.tick()
    assert client.v1.payment_intents.retrieve(pi).status == "requires_payment_method"


def test_settle_over_http(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.bank_settle_seconds = None
    pi = _processing_debit(client)
    response = sandbox.handle(
        "POST", f"/_sandbox/bank-debits/{pi}/settle", body=b"outcome=failed&failure_code=account_closed"
    )
    assert response.status == 200
    assert json.loads(response.body)["status"] == "requires_payment_method"
    again = sandbox.handle("POST", f"/_sandbox/bank-debits/{pi}/settle", body=b"{}")
    assert again.status == 400
