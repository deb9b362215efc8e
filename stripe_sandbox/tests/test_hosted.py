"""Hosted onboarding page, the Stripe.js stand-in's endpoints, and the admin switches."""

from __future__ import annotations

import json

import stripe

from stripe_sandbox import Sandbox


def _link(client: stripe.StripeClient) -> tuple[str, str]:
    account = client.v1.accounts.create({"type": "express"})
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "http://127.0.0.1:8000/stripe/return",
            "refresh_url": "http://127.0.0.1:8000/stripe/refresh",
        }
    )
    return account.id, link.url.split("127.0.0.1:12111")[1]


def test_onboarding_page_round_trip(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account, path = _link(client)
    form = sandbox.handle("GET", path)
    assert (
        form.status == 200 and b'name="business_name"' in form.body and b"leave_requirement_due" in form.body
    )
    done = sandbox.handle(
        "POST", path, body=b"business_name=Yoga+Loft&url=https%3A%2F%2Floft.example&mcc=7997"
    )
    assert (done.status, done.headers["Location"]) == (303, "http://127.0.0.1:8000/stripe/return")
    onboarded = client.v1.accounts.retrieve(account)
    assert onboarded.charges_enabled and onboarded.business_profile.name == "Yoga Loft"
    # Account links are single-use: coming back sends the person to refresh_url.
    again = sandbox.handle("GET", path)
    assert (again.status, again.headers["Location"]) == (303, "http://127.0.0.1:8000/stripe/refresh")


def test_onboarding_leaving_a_requirement_due(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account, path = _link(client)
    sandbox.handle("POST", path, body=b"business_name=Loft&leave_requirement_due=1")
    restricted = client.v1.accounts.retrieve(account)
    assert restricted.details_submitted and not restricted.charges_enabled
    assert restricted.requirements.currently_due


def test_expired_link_goes_to_refresh_url(client: stripe.StripeClient, sandbox: Sandbox, clock) -> None:
    _, path = _link(client)
    clock.advance(301)
    assert sandbox.handle("GET", path).headers["Location"] == "http://127.0.0.1:8000/stripe/refresh"
    assert sandbox.handle("GET", "/_sandbox/onboarding/nope").status == 404


def _js(sandbox: Sandbox, action: str, **payload) -> dict:
    payload.setdefault("key", "pk_test_sandbox")
    response = sandbox.handle(
        "POST",
        f"/_sandbox/js/{action}",
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.data()


CARD = {
    "type": "card",
    "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    "billing_details": {"name": "Ada"},
}


def test_js_confirm_card_setup(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    customer = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": customer.id})
    result = _js(sandbox, "confirm_setup_intent", client_secret=si.client_secret, payment_method_data=CARD)
    assert result["intent"]["status"] == "succeeded"
    pm = client.v1.payment_methods.retrieve(result["intent"]["payment_method"])
    assert (pm.customer, pm.card.last4, pm.billing_details.name) == (customer.id, "4242", "Ada")


def test_js_decline_and_3ds(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    pi = client.v1.payment_intents.create({"amount": 1800, "currency": "usd"})
    declined = _js(
        sandbox,
        "confirm_payment_intent",
        client_secret=pi.client_secret,
        payment_method_data={**CARD, "card": {**CARD["card"], "number": "4000000000009995"}},
    )
    assert declined["error"]["type"] == "card_error"
    assert declined["error"]["decline_code"] == "insufficient_funds"
    assert declined["error"]["payment_intent"]["id"] == pi.id
    challenged = _js(
        sandbox,
        "confirm_payment_intent",
        client_secret=pi.client_secret,
        payment_method_data={**CARD, "card": {**CARD["card"], "number": "4000000000003220"}},
    )
    assert challenged["intent"]["status"] == "requires_action"
    done = _js(sandbox, "authenticate", client_secret=pi.client_secret, outcome="complete")
    assert done["intent"]["status"] == "succeeded"


def test_js_failed_3ds_is_an_error(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    si = client.v1.setup_intents.create({})
    _js(
        sandbox,
        "confirm_setup_intent",
        client_secret=si.client_secret,
        payment_method_data={**CARD, "card": {**CARD["card"], "number": "4000002500003155"}},
    )
    failed = _js(sandbox, "authenticate", client_secret=si.client_secret, outcome="fail")
    assert failed["error"]["code"] == "setup_intent_authentication_failure"
    assert failed["error"]["setup_intent"]["status"] == "requires_payment_method"


def test_js_bank_account_collection_and_mandate(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    customer = client.v1.customers.create({})
    si = client.v1.setup_intents.create(
        {"customer": customer.id, "allowed_payment_method_types": ["us_bank_account"]}
    )
    collected = _js(
        sandbox,
        "collect_bank_account",
        client_secret=si.client_secret,
        payment_method_type="us_bank_account",
        billing_details={"name": "Ada", "email": "a@example.com"},
    )
    assert collected["intent"]["status"] == "requires_confirmation"
    confirmed = _js(sandbox, "confirm_setup_intent", client_secret=si.client_secret)
    assert confirmed["intent"]["status"] == "succeeded"
    mandate = client.v1.mandates.retrieve(confirmed["intent"]["mandate"])
    assert mandate.customer_acceptance.type == "online"


def test_js_rejects_secret_keys_and_wrong_client_secrets(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    si = client.v1.setup_intents.create({})
    assert "error" in _js(sandbox, "retrieve_intent", key="sk_test_nope", client_secret=si.client_secret)
    wrong = _js(sandbox, "retrieve_intent", client_secret=si.id + "_secret_wrong")
    assert wrong["error"]["code"] == "resource_missing"
    assert _js(sandbox, "retrieve_intent", client_secret=si.client_secret)["intent"]["id"] == si.id


def test_js_file_and_cors_preflight(sandbox: Sandbox) -> None:
    script = sandbox.handle("GET", "/_sandbox/js/stripe.js")
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert b"confirmCardSetup" in script.body and b"sandbox-cardnumber" in script.body
    preflight = sandbox.handle("OPTIONS", "/_sandbox/js/confirm_setup_intent")
    assert preflight.status == 204 and "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_admin_fault_switch_and_dashboard(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    armed = sandbox.handle(
        "POST",
        "/_sandbox/faults",
        headers={"Content-Type": "application/json"},
        body=b'{"kind": "server_error", "path_prefix": "/v1/customers"}',
    )
    assert armed.status == 200
    try:
        client.v1.customers.create({})
        raise AssertionError("the armed fault did not fire")
    except stripe.APIError:
        pass
    bad = sandbox.handle(
        "POST", "/_sandbox/faults", headers={"Content-Type": "application/json"}, body=b'{"kind": "gremlins"}'
    )
    assert bad.status == 400
    assert sandbox.handle("GET", "/_sandbox/").status == 200
    assert (
        sandbox.handle("POST", "/_sandbox/reset", headers={"Content-Type": "application/json"}).status == 200
    )
