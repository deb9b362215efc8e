"""The gateway's Terminal operations against the sandbox through the official SDK: configurations
and tipping, locations, readers, pushing an intent, test cards with tips and declines, saving the
card, errors mapped — in-process, and once over a real HTTP socket."""

from __future__ import annotations

import pytest

from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.resources import terminal
from stripe_sandbox.server import SandboxServer

ADDRESS = {
    "line1": "1 rue Principale",
    "city": "Laval",
    "postal_code": "H7N 1A1",
    "state": "QC",
    "country": "CA",
}


def _account(sandbox: Sandbox, key: str) -> str:
    created = gateway.account_create(
        idempotency_key=f"acct:{key}", country="CA", email=None, business_name="Laval", metadata={}
    )
    sandbox.complete_onboarding(created.id)
    return created.id


def _reader(
    account: str, *, percentages: list[int] | None = (15, 18, 20)
) -> tuple[str, gateway.types.Reader]:
    configuration = gateway.terminal_configuration_upsert(
        account=account,
        idempotency_key="tmc:1",
        configuration_id=None,
        currency="CAD",
        tip_percentages=list(percentages) if percentages is not None else None,
    )
    location = gateway.terminal_location_create(
        account=account, idempotency_key="tml:1", display_name="Laval", address={**ADDRESS, "line2": ""}
    )
    location = gateway.terminal_location_update(
        account=account,
        location_id=location.id,
        idempotency_key="tml:1:config",
        configuration_id=configuration,
    )
    assert location.configuration_overrides == configuration
    reader = gateway.terminal_reader_create(
        account=account,
        idempotency_key="tmr:1",
        registration_code="simulated-wpe",
        label="Front desk",
        location_id=location.id,
    )
    return configuration, reader


def _intent(account: str, key: str, amount: int = 2000, **extra) -> gateway.types.PaymentIntent:
    return gateway.payment_intent_create(
        account=account,
        idempotency_key=key,
        amount=amount,
        currency="cad",
        metadata={"payment": key},
        payment_method_types=["card_present"],
        **extra,
    )


def test_reader_payment_with_a_tip(sandbox: Sandbox) -> None:
    account = _account(sandbox, "tip")
    configuration, reader = _reader(account)
    assert (reader.label, reader.device_type, reader.status, reader.action) == (
        "Front desk",
        "simulated_wisepos_e",
        "online",
        None,
    )
    assert reader.serial_number and reader.location
    renamed = gateway.terminal_reader_update(
        account=account, reader_id=reader.id, label="Desk 2", idempotency_key="r:1"
    )
    assert (
        renamed.label
        == gateway.terminal_reader_retrieve(account=account, reader_id=reader.id).label
        == "Desk 2"
    )

    intent = _intent(account, "pay:1")
    busy = gateway.terminal_reader_process_payment_intent(
        account=account,
        reader_id=reader.id,
        payment_intent_id=intent.id,
        idempotency_key="pay:1:reader:1",
        tipping_eligible_amount=2000,
    )
    assert busy.action == gateway.types.ReaderAction(
        type="process_payment_intent",
        status="in_progress",
        failure_code=None,
        failure_message=None,
        payment_intent_id=intent.id,
    )
    config = busy.raw["action"]["process_payment_intent"]["process_config"]
    assert (config["tipping"], config["enable_customer_cancellation"]) == ({"amount_eligible": 2000}, True)
    # The reader shows the location's configuration: 15/18/20 % of the eligible amount.
    shown = terminal.describe(sandbox, account, sandbox.get(reader.id, account))
    assert [c["amount"] for c in shown["tip_choices"]] == [300, 360, 400]

    done = gateway.terminal_reader_present_test_card(
        account=account, reader_id=reader.id, idempotency_key="pay:1:present", amount_tip=300
    )
    assert done.action.status == "succeeded"
    paid = gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id)
    assert (paid.status, paid.amount, paid.amount_received, paid.tip_amount) == ("succeeded", 2300, 2300, 300)
    assert (paid.card_brand, paid.card_last4, paid.generated_card_id) == ("visa", "4242", None)
    assert paid.payment_method_id and paid.payment_method_id == paid.payment_method

    # Tipping off: the configuration keeps its id and loses its choices.
    same = gateway.terminal_configuration_upsert(
        account=account,
        idempotency_key="tmc:1:off",
        configuration_id=configuration,
        currency="cad",
        tip_percentages=None,
    )
    assert same == configuration
    assert sandbox.get(configuration, account)["tipping"] is None


def test_decline_then_approve_and_no_tip_screen(sandbox: Sandbox) -> None:
    account = _account(sandbox, "decline")
    _, reader = _reader(account)
    intent = _intent(account, "pay:2")
    pushed = gateway.terminal_reader_process_payment_intent(
        account=account, reader_id=reader.id, payment_intent_id=intent.id, idempotency_key="pay:2:reader:1"
    )
    assert pushed.raw["action"]["process_payment_intent"]["process_config"]["skip_tipping"] is True
    # Our retry with the same key replays the push instead of finding the reader busy.
    again = gateway.terminal_reader_process_payment_intent(
        account=account, reader_id=reader.id, payment_intent_id=intent.id, idempotency_key="pay:2:reader:1"
    )
    assert again.action.status == "in_progress"
    failed = gateway.terminal_reader_present_test_card(
        account=account,
        reader_id=reader.id,
        idempotency_key="pay:2:present:1",
        card_number="4000000000009995",
    )
    assert (failed.action.status, failed.action.failure_code, failed.action.failure_message) == (
        "failed",
        "card_declined",
        "Your card has insufficient funds.",
    )
    declined = gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id)
    assert (declined.status, declined.last_error_decline_code) == (
        "requires_payment_method",
        "insufficient_funds",
    )
    gateway.terminal_reader_process_payment_intent(
        account=account, reader_id=reader.id, payment_intent_id=intent.id, idempotency_key="pay:2:reader:2"
    )
    gateway.terminal_reader_present_test_card(
        account=account,
        reader_id=reader.id,
        idempotency_key="pay:2:present:2",
        card_number="5555555555554444",
    )
    paid = gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id)
    assert (paid.status, paid.amount, paid.tip_amount, paid.card_brand) == (
        "succeeded",
        2000,
        0,
        "mastercard",
    )


def test_cancel_offline_delete_and_errors(sandbox: Sandbox) -> None:
    account = _account(sandbox, "cancel")
    _, reader = _reader(account, percentages=None)
    intent = _intent(account, "pay:3")
    gateway.terminal_reader_process_payment_intent(
        account=account, reader_id=reader.id, payment_intent_id=intent.id, idempotency_key="pay:3:reader:1"
    )
    assert (
        gateway.terminal_reader_cancel_action(
            account=account, reader_id=reader.id, idempotency_key="c:1"
        ).action
        is None
    )
    terminal.simulate(sandbox, reader.id, "offline")
    assert gateway.terminal_reader_retrieve(account=account, reader_id=reader.id).status == "offline"
    with pytest.raises(gateway.InvalidRequest) as offline:
        gateway.terminal_reader_process_payment_intent(
            account=account,
            reader_id=reader.id,
            payment_intent_id=intent.id,
            idempotency_key="pay:3:reader:2",
        )
    assert offline.value.code == "terminal_reader_offline"
    with pytest.raises(gateway.InvalidRequest) as wrong_code:
        gateway.terminal_reader_create(
            account=account,
            idempotency_key="tmr:bad",
            registration_code="purple-monkey",
            label="X",
            location_id=reader.location,
        )
    assert wrong_code.value.param == "registration_code"
    gateway.terminal_reader_delete(account=account, reader_id=reader.id, idempotency_key="d:1")
    with pytest.raises(gateway.InvalidRequest):
        gateway.terminal_reader_retrieve(account=account, reader_id=reader.id)
    # Another account cannot see the reader.
    other = _account(sandbox, "other")
    with pytest.raises(gateway.InvalidRequest):
        gateway.terminal_reader_retrieve(account=other, reader_id=reader.id)


def test_saving_the_card_on_the_reader(sandbox: Sandbox) -> None:
    account = _account(sandbox, "save")
    _, reader = _reader(account)
    customer = gateway.customer_create(
        account=account, idempotency_key="cus:1", email="c@example.test", name="C", metadata={}
    )
    intent = _intent(account, "pay:4", customer_id=customer.id, setup_future_usage="off_session")
    gateway.terminal_reader_process_payment_intent(
        account=account,
        reader_id=reader.id,
        payment_intent_id=intent.id,
        idempotency_key="pay:4:reader",
        tipping_eligible_amount=2000,
    )
    gateway.terminal_reader_present_test_card(
        account=account, reader_id=reader.id, idempotency_key="pay:4:present", amount_tip=150
    )
    paid = gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id)
    assert (paid.amount, paid.tip_amount) == (2150, 150)
    assert paid.generated_card_id and paid.generated_card == paid.generated_card_id
    saved = gateway.payment_method_retrieve(account=account, payment_method_id=paid.generated_card_id)
    assert (saved.type, saved.customer, saved.last4) == ("card", customer.id, "4242")


@pytest.mark.parametrize(
    "percentages",
    [[], [1, 2, 3, 4], [0], [101], [True], [1.5]],
    ids=["empty", "four", "zero", "over", "bool", "float"],
)
def test_tip_percentages_are_checked_before_any_call(sandbox: Sandbox, percentages) -> None:
    with pytest.raises(ValueError):
        gateway.terminal_configuration_upsert(
            account="acct_x",
            idempotency_key="k",
            configuration_id=None,
            currency="cad",
            tip_percentages=percentages,
        )


@pytest.mark.parametrize("eligible", [0, -5, True])
def test_tipping_eligible_amount_is_checked(sandbox: Sandbox, eligible) -> None:
    with pytest.raises(ValueError):
        gateway.terminal_reader_process_payment_intent(
            account="acct_x",
            reader_id="tmr_x",
            payment_intent_id="pi_x",
            idempotency_key="k",
            tipping_eligible_amount=eligible,
        )


def test_over_a_real_http_socket(settings) -> None:
    """The same ops with the SDK's own HTTP client against the sandbox server, as in `make run`."""
    sandbox = Sandbox(seed=7, delivery="queued")
    server = SandboxServer(sandbox, host="127.0.0.1", port=0).start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    try:
        account = _account(sandbox, "http")
        _, reader = _reader(account)
        intent = _intent(account, "pay:http", amount=4000)
        gateway.terminal_reader_process_payment_intent(
            account=account,
            reader_id=reader.id,
            payment_intent_id=intent.id,
            idempotency_key="pay:http:reader",
            tipping_eligible_amount=4000,
        )
        held = terminal.simulate(sandbox, reader.id, "hold", amount_tip=600)
        assert held["action"]["status"] == "in_progress"
        assert (
            gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id).status
            == "processing"
        )
        terminal.simulate(sandbox, reader.id, "approve")
        done = gateway.terminal_reader_retrieve(account=account, reader_id=reader.id)
        assert done.action.status == "succeeded"
        paid = gateway.payment_intent_retrieve(account=account, payment_intent_id=intent.id)
        assert (paid.status, paid.amount, paid.tip_amount, paid.card_last4) == (
            "succeeded",
            4600,
            600,
            "4242",
        )
    finally:
        server.stop()
