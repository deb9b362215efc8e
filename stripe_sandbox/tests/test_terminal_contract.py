"""Terminal contract scenarios: tipping through a configuration and a decline followed by another
card, written only with Stripe's public API (the test helper included) so that they run against
the sandbox always and against Stripe test mode with `STRIPE_TEST_SECRET_KEY` and
`STRIPE_TEST_TERMINAL=1` (see test_contract.py)."""

from __future__ import annotations

import os

import pytest
import stripe

from stripe_sandbox import Sandbox

from .test_contract import LIVE_KEY, Target

pytestmark = pytest.mark.stripe_live

ADDRESS = {
    "line1": "1 Main St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94111",
    "country": "US",
}


@pytest.fixture(params=["sandbox", "stripe"])
def live(request: pytest.FixtureRequest) -> Target:
    """test_contract's two targets: the sandbox always, Stripe when its test key is set."""
    if request.param == "sandbox":
        return Target("sandbox", Sandbox().client(), connect=True, terminal=True)
    if not LIVE_KEY.startswith("sk_test_"):
        pytest.skip(
            "STRIPE_TEST_SECRET_KEY (sk_test_…) is not set: Terminal contracts ran on the sandbox only"
        )
    return Target(
        "stripe",
        stripe.StripeClient(LIVE_KEY, max_network_retries=2),
        connect=os.environ.get("STRIPE_TEST_CONNECT") == "1",
        terminal=os.environ.get("STRIPE_TEST_TERMINAL") == "1",
    )


def _reader(c: stripe.StripeClient, configuration: str | None = None) -> str:
    params: dict = {"display_name": "Contract studio", "address": ADDRESS}
    if configuration:
        params["configuration_overrides"] = configuration
    location = c.v1.terminal.locations.create(params)
    return c.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id}).id


def _skip_without_terminal(target: Target) -> None:
    if not target.terminal:
        pytest.skip("Terminal is not set up on this Stripe account (set STRIPE_TEST_TERMINAL=1 if it is)")


def test_tip_on_the_reader_is_part_of_the_amount(live: Target) -> None:
    _skip_without_terminal(live)
    c = live.client
    configuration = c.v1.terminal.configurations.create({"tipping": {"usd": {"percentages": [15, 18, 20]}}})
    assert configuration.tipping.usd.percentages == [15, 18, 20]
    reader = _reader(c, configuration.id)
    pi = c.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    )
    pushed = c.v1.terminal.readers.process_payment_intent(
        reader, {"payment_intent": pi.id, "process_config": {"tipping": {"amount_eligible": 2000}}}
    )
    assert pushed.action.process_payment_intent.payment_intent == pi.id
    c.v1.test_helpers.terminal.readers.present_payment_method(reader, {"amount_tip": 300})
    pi = c.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 2300, 2300)
    assert pi.amount_details.tip.amount == 300
    assert pi.latest_charge.amount == 2300


def test_declined_card_then_another_card(live: Target) -> None:
    _skip_without_terminal(live)
    c = live.client
    reader = _reader(c)
    pi = c.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
    )
    c.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    failed = c.v1.test_helpers.terminal.readers.present_payment_method(
        reader, {"card_present": {"number": "4000000000009995"}}
    )
    # Stripe may answer before the reader's action settles; read the reader again if so.
    action = (
        failed.action
        if failed.action.status != "in_progress"
        else c.v1.terminal.readers.retrieve(reader).action
    )
    assert (action.status, action.failure_code) == ("failed", "card_declined")
    declined = c.v1.payment_intents.retrieve(pi.id)
    assert declined.status == "requires_payment_method"
    assert declined.last_payment_error.decline_code == "insufficient_funds"
    c.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    c.v1.test_helpers.terminal.readers.present_payment_method(reader)
    assert c.v1.payment_intents.retrieve(pi.id).status == "succeeded"
