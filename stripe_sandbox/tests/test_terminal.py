"""Terminal: locations, simulated readers, process_payment_intent, presented cards, generated_card."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


@pytest.fixture
def reader(acct_client: stripe.StripeClient) -> str:
    location = acct_client.v1.terminal.locations.create(
        {
            "display_name": "Main studio",
            "address": {
                "line1": "1 Main St",
                "city": "Montréal",
                "country": "CA",
                "postal_code": "H2X 1Y4",
                "state": "QC",
            },
        }
    )
    return acct_client.v1.terminal.readers.create(
        {"registration_code": "simulated-wpe", "location": location.id, "label": "Front desk"}
    ).id


def _card_present_intent(client: stripe.StripeClient, **extra) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "cad",
            "capture_method": "manual",
            "allowed_payment_method_types": ["card_present"],
            **extra,
        }
    )


def test_locations_and_reader_registration(acct_client: stripe.StripeClient, reader: str) -> None:
    found = acct_client.v1.terminal.readers.retrieve(reader)
    assert (found.device_type, found.status, found.action, found.label) == (
        "simulated_wisepos_e",
        "online",
        None,
        "Front desk",
    )
    assert acct_client.v1.terminal.locations.retrieve(found.location).address.city == "Montréal"
    s700 = acct_client.v1.terminal.readers.create({"registration_code": "simulated-s700"})
    assert s700.device_type == "simulated_stripe_s700"
    assert [r.id for r in acct_client.v1.terminal.readers.list({"location": found.location}).data] == [reader]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        acct_client.v1.terminal.readers.create({"registration_code": "purple-monkey"})
    assert exc.value.param == "registration_code"
    with pytest.raises(stripe.InvalidRequestError):
        acct_client.v1.terminal.locations.create({"display_name": "No address"})


def test_reader_payment_succeeds_and_reports(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _card_present_intent(acct_client)
    busy = acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    assert busy.action.type == "process_payment_intent"
    assert busy.action.status == "in_progress"
    assert busy.action.process_payment_intent.payment_intent == pi.id
    with pytest.raises(stripe.InvalidRequestError) as exc:
        acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    assert exc.value.code == "terminal_reader_busy"
    done = acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    assert done.action.status == "succeeded"
    pi = acct_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert pi.status == "requires_capture"
    details = pi.latest_charge.payment_method_details
    assert details.type == "card_present" and details.card_present.last4 == "4242"
    assert acct_client.v1.payment_intents.capture(pi.id).status == "succeeded"
    event = sandbox.events.list(connected, "terminal.reader.action_succeeded")[0]
    assert event["data"]["object"]["id"] == reader and event["account"] == connected


def test_declined_card_fails_the_action(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _card_present_intent(acct_client)
    acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    failed = acct_client.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"card_present": {"number": "4000000000009995"}}
    )
    assert failed.action.status == "failed"
    assert failed.action.failure_code == "card_declined"
    assert failed.action.failure_message == "Your card has insufficient funds."
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    assert sandbox.events.list(connected, "terminal.reader.action_failed")
    # The reader is free again; the same intent can be retried with another card.
    acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    assert (
        acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader).action.status
        == "succeeded"
    )


def test_saving_the_card_yields_a_generated_card(acct_client: stripe.StripeClient, reader: str) -> None:
    customer = acct_client.v1.customers.create({"email": "walkin@example.com"})
    pi = _card_present_intent(
        acct_client, customer=customer.id, setup_future_usage="off_session", capture_method="automatic"
    )
    acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    acct_client.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"card_present": {"number": "5555555555554444"}}
    )
    pi = acct_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert pi.status == "succeeded"
    generated = pi.latest_charge.payment_method_details.card_present.generated_card
    saved = acct_client.v1.payment_methods.retrieve(generated)
    assert (saved.type, saved.customer, saved.card.last4) == ("card", customer.id, "4444")
    assert saved.card.generated_from.charge == pi.latest_charge.id
    again = acct_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "cad",
            "customer": customer.id,
            "payment_method": generated,
            "off_session": True,
            "confirm": True,
        }
    )
    assert again.status == "succeeded"


def test_cancel_action_and_non_present_intent(acct_client: stripe.StripeClient, reader: str) -> None:
    card_only = acct_client.v1.payment_intents.create({"amount": 900, "currency": "cad"})
    with pytest.raises(stripe.InvalidRequestError):
        acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": card_only.id})
    pi = _card_present_intent(acct_client)
    acct_client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    assert acct_client.v1.terminal.readers.cancel_action(reader).action is None
    with pytest.raises(stripe.InvalidRequestError):
        acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader)


def test_readers_are_isolated_per_account(client: stripe.StripeClient, reader: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.terminal.readers.retrieve(reader)
    assert exc.value.http_status == 404
