"""PaymentIntents, charges, balance transactions and refunds, driven by test cards."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


@pytest.fixture
def customer(client: stripe.StripeClient) -> str:
    return client.v1.customers.create({"email": "buyer@example.com"}).id


def test_automatic_capture_books_charge_fee_and_net(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 10000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"order": "7"},
            "expand": ["latest_charge.balance_transaction"],
        }
    )
    assert pi.status == "succeeded"
    assert pi.amount_received == 10000
    charge = pi.latest_charge
    assert charge.paid and charge.captured and charge.status == "succeeded"
    assert charge.payment_method_details.card.brand == "visa"
    txn = charge.balance_transaction
    assert (txn.amount, txn.fee, txn.net) == (10000, 320, 9680)  # 2.9% + 30¢
    assert txn.fee_details[0].type == "stripe_fee"
    assert client.v1.balance_transactions.retrieve(txn.id).source == charge.id


def test_create_then_confirm_and_manual_partial_capture(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 5000, "currency": "usd", "capture_method": "manual"})
    assert pi.status == "requires_payment_method"
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_mastercard"})
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 5000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is False and charge.balance_transaction is None
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 6000})
    assert exc.value.param == "amount_to_capture"
    pi = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 4000})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 4000, 0)
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    assert (charge.amount_captured, charge.amount_refunded) == (4000, 1000)
    assert charge.balance_transaction.amount == 4000
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.capture(pi.id)
    assert again.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize(
    ("pm", "code", "decline_code"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ],
)
def test_declines_are_402_card_errors_with_the_intent(
    client: stripe.StripeClient, sandbox: Sandbox, pm: str, code: str, decline_code: str
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            {"amount": 2500, "currency": "usd", "payment_method": pm, "confirm": True}
        )
    err = exc.value
    assert err.http_status == 402
    assert err.code == code
    assert err.error.decline_code == decline_code
    assert err.error.type == "card_error"
    assert err.error.doc_url.startswith("https://docs.stripe.com/error-codes/")
    pi = err.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == decline_code
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "failed" and charge.failure_code == code
    types = [e["type"] for e in sandbox.events.list()]
    assert "payment_intent.payment_failed" in types and "charge.failed" in types


def test_3ds_on_session_requires_action_then_authenticates(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "confirm": True, "payment_method": "pm_card_threeDSecureRequired"}
    )
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    done = sandbox.authenticate(pi.id)
    assert done["status"] == "succeeded"
    charge = client.v1.charges.retrieve(done["latest_charge"])
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_3ds_failed_authentication(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
            "return_url": "https://example.com/back",
        }
    )
    assert pi.next_action.type == "redirect_to_url"
    assert "/_sandbox/3ds/" in pi.next_action.redirect_to_url.url
    failed = sandbox.authenticate(pi.id, success=False)
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_off_session_3ds_card_is_authentication_required(client: stripe.StripeClient, customer: str) -> None:
    pm = client.v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": customer})
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            {
                "amount": 4200,
                "currency": "usd",
                "customer": customer,
                "payment_method": pm.id,
                "off_session": True,
                "confirm": True,
            }
        )
    err = exc.value
    assert err.code == "authentication_required"
    assert err.error.decline_code == "authentication_required"
    assert err.error.payment_intent.status == "requires_payment_method"
    assert err.error.payment_intent.last_payment_error.payment_method.id == pm.id


def test_card_set_up_with_3ds_then_charged_off_session(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str
) -> None:
    si = client.v1.setup_intents.create(
        {"customer": customer, "payment_method": "pm_card_authenticationRequiredOnSetup", "confirm": True}
    )
    assert si.status == "requires_action"
    si = sandbox.authenticate(si.id)
    assert si["status"] == "succeeded"
    pi = client.v1.payment_intents.create(
        {
            "amount": 900,
            "currency": "usd",
            "customer": customer,
            "payment_method": si["payment_method"],
            "off_session": True,
            "confirm": True,
        }
    )
    assert pi.status == "succeeded"


def test_setup_future_usage_saves_the_card(client: stripe.StripeClient, customer: str) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 1200,
            "currency": "usd",
            "customer": customer,
            "payment_method": "pm_card_visa",
            "setup_future_usage": "off_session",
            "confirm": True,
        }
    )
    saved = client.v1.payment_methods.list({"customer": customer, "type": "card"})
    assert [p.id for p in saved.data] == [pi.payment_method]


def test_cancel_rules(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    held = client.v1.payment_intents.create(
        {
            "amount": 800,
            "currency": "usd",
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    canceled = client.v1.payment_intents.cancel(held.id, {"cancellation_reason": "requested_by_customer"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "requested_by_customer"
    assert client.v1.charges.retrieve(held.latest_charge).refunded is True
    paid = client.v1.payment_intents.create(
        {"amount": 800, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.cancel(paid.id)
    assert exc.value.code == "payment_intent_unexpected_state"
    assert "payment_intent.canceled" in [e["type"] for e in sandbox.events.list()]


def test_application_fee_only_on_connected_accounts(
    client: stripe.StripeClient, acct_client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 10000, "currency": "usd", "application_fee_amount": 500})
    assert exc.value.param == "application_fee_amount"
    pi = acct_client.v1.payment_intents.create(
        {
            "amount": 10000,
            "currency": "usd",
            "application_fee_amount": 500,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "expand": ["latest_charge.balance_transaction"],
        }
    )
    txn = pi.latest_charge.balance_transaction
    assert pi.latest_charge.application_fee_amount == 500
    assert (txn.fee, txn.net) == (820, 9180)
    assert {d.type for d in txn.fee_details} == {"stripe_fee", "application_fee"}


def test_minimum_amount_and_missing_payment_method(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 10, "currency": "usd"})
    assert exc.value.code == "amount_too_small"
    pi = client.v1.payment_intents.create({"amount": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.confirm(pi.id)
    assert missing.value.code == "payment_intent_unexpected_state"


def test_refunds_full_partial_and_over_refund(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    first = client.v1.refunds.create({"payment_intent": pi.id, "amount": 1000, "metadata": {"why": "late"}})
    assert first.status == "succeeded" and first.amount == 1000 and first.charge == pi.latest_charge
    second = client.v1.refunds.create({"charge": pi.latest_charge, "amount": 1500})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2500, False)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 600})
    assert exc.value.code == "amount_too_large" and exc.value.param == "amount"
    client.v1.refunds.create({"payment_intent": pi.id})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (3000, True)
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create({"payment_intent": pi.id})
    assert done.value.code == "charge_already_refunded"
    txn = client.v1.balance_transactions.retrieve(second.balance_transaction)
    assert (txn.type, txn.amount) == ("refund", -1500)
    assert [r.id for r in client.v1.refunds.list({"payment_intent": pi.id}).data][-1] == first.id
    types = [e["type"] for e in sandbox.events.list()]
    assert types.count("refund.created") == 3 and types.count("charge.refunded") == 3


def test_charges_list_filters(client: stripe.StripeClient, customer: str) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 700,
            "currency": "usd",
            "customer": customer,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    client.v1.payment_intents.create(
        {"amount": 700, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert [c.id for c in client.v1.charges.list({"customer": customer}).data] == [pi.latest_charge]
    assert [c.id for c in client.v1.charges.list({"payment_intent": pi.id}).data] == [pi.latest_charge]


def test_update_intent_metadata_and_amount(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 700, "currency": "usd", "metadata": {"a": "1"}})
    pi = client.v1.payment_intents.update(pi.id, {"amount": 900, "metadata": {"b": "2"}})
    assert pi.amount == 900 and pi.metadata.to_dict() == {"a": "1", "b": "2"}


def test_destination_charge_needs_a_connected_account(client: stripe.StripeClient, connected: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "application_fee_amount": 100,
                "transfer_data": {"destination": "acct_nope"},
            }
        )
    assert exc.value.param == "transfer_data[destination]"
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "application_fee_amount": 100,
            "transfer_data": {"destination": connected},
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert pi.status == "succeeded" and pi.transfer_data.destination == connected
