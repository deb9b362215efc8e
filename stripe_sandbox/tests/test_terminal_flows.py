"""Terminal as Stripe behaves beyond the happy path: configurations and tipping, declines then
approval on the same intent, customer cancel, timeout, offline readers, the two-step present,
generated cards, and the dashboard a person drives readers from."""

from __future__ import annotations

import json

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.hosted.admin import parse_tip
from stripe_sandbox.resources import terminal
from stripe_sandbox.resources.terminal_configurations import tip_choices

ADDRESS = {"line1": "1 Main St", "city": "Laval", "country": "CA", "postal_code": "H7N 1A1", "state": "QC"}


@pytest.fixture
def configuration(acct_client: stripe.StripeClient) -> str:
    return acct_client.v1.terminal.configurations.create(
        {"tipping": {"cad": {"percentages": [10, 15, 20]}}}
    ).id


@pytest.fixture
def reader(acct_client: stripe.StripeClient, configuration: str) -> str:
    location = acct_client.v1.terminal.locations.create(
        {"display_name": "Laval", "address": ADDRESS, "configuration_overrides": configuration}
    )
    return acct_client.v1.terminal.readers.create(
        {"registration_code": "simulated-wpe", "location": location.id, "label": "Front desk"}
    ).id


def _intent(client: stripe.StripeClient, amount: int = 2500, **extra) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "cad", "allowed_payment_method_types": ["card_present"], **extra}
    )


def _process(client: stripe.StripeClient, reader: str, pi: str, **config) -> stripe.terminal.Reader:
    params: dict = {"payment_intent": pi}
    if config:
        params["process_config"] = config
    return client.v1.terminal.readers.process_payment_intent(reader, params)


def _types(sandbox: Sandbox, account: str) -> list[str]:
    return [e["type"] for e in reversed(sandbox.events.list(account))]


# --- configurations and tip math -------------------------------------------------------------------
def test_tip_choices_round_half_up_and_smart_tipping() -> None:
    config = {
        "tipping": {
            "cad": {"percentages": [15, 18, 20], "fixed_amounts": [100, 200], "smart_tip_threshold": 1000}
        }
    }
    assert tip_choices(config, "CAD", 2345) == [
        {"percent": 15, "amount": 352},  # 351.75 → 352
        {"percent": 18, "amount": 422},  # 422.1 → 422
        {"percent": 20, "amount": 469},
    ]
    assert tip_choices(config, "cad", 999) == [
        {"percent": None, "amount": 100},
        {"percent": None, "amount": 200},
    ]
    assert tip_choices(config, "usd", 2345) == []
    assert tip_choices(None, "cad", 2345) == []


def test_configurations_crud_and_location_override(
    acct_client: stripe.StripeClient, configuration: str
) -> None:
    found = acct_client.v1.terminal.configurations.retrieve(configuration)
    assert found.tipping.cad.percentages == [10, 15, 20]
    updated = acct_client.v1.terminal.configurations.update(
        configuration, {"tipping": {"cad": {"percentages": [5]}}}
    )
    assert updated.tipping.cad.percentages == [5]
    assert acct_client.v1.terminal.configurations.update(configuration, {"tipping": ""}).tipping is None
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        acct_client.v1.terminal.configurations.create({"tipping": {"cad": {"percentages": [1, 2, 3, 4]}}})
    assert too_many.value.param == "tipping[cad][percentages]"
    location = acct_client.v1.terminal.locations.create({"display_name": "Laval", "address": ADDRESS})
    assert location.configuration_overrides is None
    pointed = acct_client.v1.terminal.locations.update(
        location.id, {"configuration_overrides": configuration}
    )
    assert pointed.configuration_overrides == configuration
    assert (
        acct_client.v1.terminal.locations.update(
            location.id, {"configuration_overrides": ""}
        ).configuration_overrides
        is None
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        acct_client.v1.terminal.locations.update(location.id, {"configuration_overrides": "tmc_nope"})
    assert unknown.value.http_status == 404
    assert [c.id for c in acct_client.v1.terminal.configurations.list().data] == [configuration]
    acct_client.v1.terminal.configurations.delete(configuration)
    assert acct_client.v1.terminal.configurations.list().data == []


# --- tipping ---------------------------------------------------------------------------------------
def test_tip_grows_the_amount_and_the_charge(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _intent(acct_client, 2500, capture_method="manual")
    busy = _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2000})
    assert busy.action.process_payment_intent.process_config.tipping.amount_eligible == 2000
    # The reader offers the location's configuration, computed on the eligible amount.
    panel = terminal.describe(sandbox, connected, sandbox.get(reader, connected))
    assert [c["amount"] for c in panel["tip_choices"]] == [200, 300, 400]
    done = acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader, {"amount_tip": 300})
    assert done.action.status == "succeeded"
    pi = acct_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert (pi.amount, pi.amount_details.tip.amount, pi.amount_capturable) == (2800, 300, 2800)
    assert pi.latest_charge.amount == 2800
    assert acct_client.v1.payment_intents.capture(pi.id).amount_received == 2800


def test_skip_tipping_refuses_a_tip_and_both_switches(acct_client: stripe.StripeClient, reader: str) -> None:
    pi = _intent(acct_client)
    with pytest.raises(stripe.InvalidRequestError) as both:
        _process(acct_client, reader, pi.id, skip_tipping=True, tipping={"amount_eligible": 100})
    assert both.value.param == "process_config[skip_tipping]"
    _process(acct_client, reader, pi.id, skip_tipping=True)
    with pytest.raises(stripe.InvalidRequestError) as tipped:
        acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader, {"amount_tip": 100})
    assert tipped.value.param == "amount_tip"
    acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    pi = acct_client.v1.payment_intents.retrieve(pi.id)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 2500, 2500)


# --- declines, then another card on the same intent ------------------------------------------------
@pytest.mark.parametrize(
    ("what", "code", "decline_code"),
    [
        ("decline_generic", "card_declined", "generic_decline"),
        ("decline_insufficient_funds", "card_declined", "insufficient_funds"),
        ("decline_expired", "expired_card", "expired_card"),
    ],
)
def test_decline_then_approve_on_the_same_intent(
    acct_client: stripe.StripeClient,
    sandbox: Sandbox,
    connected: str,
    reader: str,
    what: str,
    code: str,
    decline_code: str,
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500})
    failed = terminal.simulate(sandbox, reader, what, amount_tip=250)
    assert failed["action"]["status"] == "failed"
    assert failed["action"]["failure_code"] == code
    declined = acct_client.v1.payment_intents.retrieve(pi.id)
    assert declined.status == "requires_payment_method"
    assert declined.last_payment_error.decline_code == decline_code
    # The tip of the declined attempt is not kept: the next card starts from the reader's amount.
    assert (declined.amount, declined.amount_details.tip.to_dict()) == (2500, {})
    assert "terminal.reader.action_failed" in _types(sandbox, connected)
    assert "payment_intent.payment_failed" in _types(sandbox, connected)
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500})
    assert terminal.simulate(sandbox, reader, "approve", amount_tip=375)["action"]["status"] == "succeeded"
    paid = acct_client.v1.payment_intents.retrieve(pi.id)
    assert (paid.status, paid.amount, paid.amount_received, paid.amount_details.tip.amount) == (
        "succeeded",
        2875,
        2875,
        375,
    )
    assert _types(sandbox, connected)[-2:] == ["payment_intent.succeeded", "terminal.reader.action_succeeded"]


# --- the customer at the reader --------------------------------------------------------------------
def test_customer_cancel_on_the_reader(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id)
    with pytest.raises(Exception, match="Customer cancellation is not enabled"):
        terminal.simulate(sandbox, reader, "customer_cancel")
    acct_client.v1.terminal.readers.cancel_action(reader)
    _process(acct_client, reader, pi.id, enable_customer_cancellation=True)
    canceled = acct_client.v1.terminal.readers.retrieve(reader)
    assert canceled.action.process_payment_intent.process_config.enable_customer_cancellation is True
    terminal.simulate(sandbox, reader, "customer_cancel")
    canceled = acct_client.v1.terminal.readers.retrieve(reader)
    assert (canceled.action.status, canceled.action.failure_code) == ("failed", "customer_canceled")
    assert canceled.action.failure_message
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    event = sandbox.events.list(connected, "terminal.reader.action_failed")[0]
    assert event["data"]["object"]["action"]["failure_code"] == "customer_canceled"


def test_reader_timeout(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id)
    terminal.simulate(sandbox, reader, "timeout")
    action = acct_client.v1.terminal.readers.retrieve(reader).action
    assert (action.status, action.failure_code) == ("failed", "terminal_reader_timeout")
    assert sandbox.events.list(connected, "terminal.reader.action_failed")
    # A timed-out reader takes the same intent again.
    _process(acct_client, reader, pi.id)
    acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_offline_reader_refuses_and_comes_back(
    acct_client: stripe.StripeClient, sandbox: Sandbox, reader: str
) -> None:
    pi = _intent(acct_client)
    terminal.simulate(sandbox, reader, "offline")
    assert acct_client.v1.terminal.readers.retrieve(reader).status == "offline"
    assert [r.id for r in acct_client.v1.terminal.readers.list({"status": "offline"}).data] == [reader]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _process(acct_client, reader, pi.id)
    assert refused.value.code == "terminal_reader_offline"
    assert acct_client.v1.terminal.readers.retrieve(reader).action is None
    terminal.simulate(sandbox, reader, "online")
    _process(acct_client, reader, pi.id)
    terminal.simulate(sandbox, reader, "offline")
    with pytest.raises(stripe.InvalidRequestError) as no_cancel:
        acct_client.v1.terminal.readers.cancel_action(reader)
    assert no_cancel.value.code == "terminal_reader_offline"
    terminal.simulate(sandbox, reader, "online")
    assert acct_client.v1.terminal.readers.cancel_action(reader).action is None


# --- the two-step present ("card presented") -------------------------------------------------------
def test_hold_then_approve_keeps_the_tip(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500}, enable_customer_cancellation=True)
    terminal.simulate(sandbox, reader, "hold", number="5555555555554444", amount_tip=500)
    held = acct_client.v1.terminal.readers.retrieve(reader)
    assert held.action.status == "in_progress"
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "processing"
    assert "payment_intent.processing" in _types(sandbox, connected)
    with pytest.raises(stripe.InvalidRequestError) as busy:
        acct_client.v1.terminal.readers.cancel_action(reader)
    assert busy.value.code == "terminal_reader_busy"
    with pytest.raises(stripe.InvalidRequestError) as not_now:
        acct_client.v1.payment_intents.cancel(pi.id)
    assert not_now.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        acct_client.v1.test_helpers.terminal.readers.present_payment_method(reader)
    with pytest.raises(Exception, match="being processed"):
        terminal.simulate(sandbox, reader, "customer_cancel")
    terminal.simulate(sandbox, reader, "approve")
    paid = acct_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert (paid.status, paid.amount, paid.amount_details.tip.amount) == ("succeeded", 3000, 500)
    assert paid.latest_charge.payment_method_details.card_present.last4 == "4444"


def test_hold_then_decline(acct_client: stripe.StripeClient, sandbox: Sandbox, reader: str) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id)
    terminal.simulate(sandbox, reader, "hold")
    failed = terminal.simulate(sandbox, reader, "decline_insufficient_funds")
    assert (failed["action"]["status"], failed["action"]["failure_message"]) == (
        "failed",
        "Your card has insufficient funds.",
    )
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


# --- saving the card on the reader -----------------------------------------------------------------
def test_generated_card_with_a_tip_after_a_decline(
    acct_client: stripe.StripeClient, sandbox: Sandbox, reader: str
) -> None:
    customer = acct_client.v1.customers.create({"email": "client@example.com"})
    pi = _intent(acct_client, customer=customer.id, setup_future_usage="off_session")
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500})
    terminal.simulate(sandbox, reader, "decline_generic")
    assert acct_client.v1.payment_methods.list({"customer": customer.id}).data == []
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500})
    acct_client.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"amount_tip": 250, "card_present": {"number": "5555555555554444"}}
    )
    pi = acct_client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert (pi.status, pi.amount) == ("succeeded", 2750)
    generated = pi.latest_charge.payment_method_details.card_present.generated_card
    saved = acct_client.v1.payment_methods.list({"customer": customer.id}).data
    assert [(m.id, m.type, m.card.last4) for m in saved] == [(generated, "card", "4444")]


def test_deleted_reader_answers_a_stub(acct_client: stripe.StripeClient, reader: str) -> None:
    acct_client.v1.terminal.readers.delete(reader)
    assert acct_client.v1.terminal.readers.retrieve(reader).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        acct_client.v1.terminal.readers.update(reader, {"label": "Again"})


# --- the dashboard ---------------------------------------------------------------------------------
def test_parse_tip() -> None:
    assert (parse_tip("2.50", "cad"), parse_tip("2,5", "cad"), parse_tip(" 3 ", "cad")) == (250, 250, 300)
    assert parse_tip("300", "jpy") == 300
    for bad in ("", "abc", "1.234", "-1", "²", "1e3", "1,000.00"):
        with pytest.raises(ValueError):
            parse_tip(bad, "cad")


def test_dashboard_shows_a_waiting_reader_and_drives_it(
    acct_client: stripe.StripeClient, sandbox: Sandbox, connected: str, reader: str
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500}, enable_customer_cancellation=True)
    page = sandbox.handle("GET", "/_sandbox/").body.decode()
    assert "Front desk" in page and connected in page and "25.00 CAD" in page
    assert "15 % — 3.75 CAD" in page and "No tip" in page and "Custom tip" in page
    for button in (
        "Present card (hold)",
        "Approve",
        "Decline (generic)",
        "Decline (insufficient funds)",
        "Cancel on the reader",
        "Time out",
        "Switch offline",
    ):
        assert button in page
    path = f"/_sandbox/readers/{reader}/action"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = sandbox.handle("POST", path, headers=form, body=b"do=approve&tip=custom&custom_tip=abc")
    assert refused.status == 400
    assert acct_client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    # A typed custom tip counts even when "Custom tip" was not ticked.
    held = sandbox.handle(
        "POST", path, headers=form, body=b"do=hold&tip=none&custom_tip=2%2C50&number=4242424242424242"
    )
    assert (held.status, held.headers["Location"]) == (303, "/_sandbox/")
    page = sandbox.handle("GET", "/_sandbox/").body.decode()
    assert "Card presented" in page and "2.50 CAD" in page and "Present card (hold)" not in page
    sandbox.handle("POST", path, headers=form, body=b"do=approve")
    paid = acct_client.v1.payment_intents.retrieve(pi.id)
    assert (paid.status, paid.amount_details.tip.amount) == ("succeeded", 250)
    assert "Last payment: approved" in sandbox.handle("GET", "/_sandbox/").body.decode()
    sandbox.handle("POST", path, headers=form, body=b"do=offline")
    assert acct_client.v1.terminal.readers.retrieve(reader).status == "offline"
    assert "Switch online" in sandbox.handle("GET", "/_sandbox/").body.decode()


def test_reader_action_over_json(acct_client: stripe.StripeClient, sandbox: Sandbox, reader: str) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id, tipping={"amount_eligible": 2500})
    path = f"/_sandbox/readers/{reader}/action"
    headers = {"Content-Type": "application/json"}
    bad = sandbox.handle("POST", path, headers=headers, body=json.dumps({"do": "dance"}).encode())
    assert bad.status == 400
    for hostile in (
        {"do": "approve", "number": "4242\x00"},
        {"do": "approve", "number": "1234"},
        {"do": "hold", "number": "４２４２４２４２４２４２４２４２"},
        {"do": "approve", "amount_tip": "²"},
        {"do": "approve", "amount_tip": -5},
        {"do": "approve\x00"},
    ):
        refused = sandbox.handle("POST", path, headers=headers, body=json.dumps(hostile).encode())
        assert refused.status == 400, hostile
    for body in (b"[1, 2]", b"{not json", b"\xff\xfe"):
        assert sandbox.handle("POST", path, headers=headers, body=body).status == 400
    untouched = acct_client.v1.payment_intents.retrieve(pi.id)
    assert (untouched.status, untouched.amount) == ("requires_payment_method", 2500)
    assert acct_client.v1.terminal.readers.retrieve(reader).action.status == "in_progress"
    done = sandbox.handle(
        "POST", path, headers=headers, body=json.dumps({"do": "approve", "amount_tip": 125}).encode()
    )
    assert (done.status, done.data()["action"]["status"]) == (200, "succeeded")
    assert acct_client.v1.payment_intents.retrieve(pi.id).amount == 2625


def test_the_old_present_form_still_taps_a_card(
    acct_client: stripe.StripeClient, sandbox: Sandbox, reader: str
) -> None:
    pi = _intent(acct_client)
    _process(acct_client, reader, pi.id)
    answer = sandbox.handle(
        "POST",
        f"/_sandbox/readers/{reader}/present",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"number=4000000000000002",
    )
    assert answer.status == 303
    assert acct_client.v1.terminal.readers.retrieve(reader).action.failure_code == "card_declined"
