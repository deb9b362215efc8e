"""Terminal: locations, simulated readers, `process_payment_intent`, and presenting a test card.

The reader's `action` moves as Stripe's does: `in_progress` after `process_payment_intent`, then
`succeeded` or `failed` when the test helper presents a card, each reported by a
`terminal.reader.action_*` event. When the intent asked to save the card, the charge carries a
`generated_card` — a reusable `card` PaymentMethod attached to the customer.

Tipping: with `process_config[tipping][amount_eligible]` the reader offers the tip choices of its
location's configuration; the tip presented (`amount_tip`) is added to the intent's `amount` and
reported as `amount_details.tip.amount`, and the charge is for the whole amount.

What only a person at a real reader can do is simulated by `simulate(...)` (the dashboard's
buttons, `POST /_sandbox/readers/<id>/action`): present a card and hold it while "the bank"
decides (the intent `processing`, the action still `in_progress`), approve or decline it, cancel
on the reader (`customer_canceled`), let the reader time out (`terminal_reader_timeout`), and
switch the reader offline (`process_payment_intent` then answers `terminal_reader_offline`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import cards, errors
from ..context import Ctx, apply_metadata
from ..listing import paginate
from ..router import router
from . import payment_intents, payment_methods, terminal_configurations

if TYPE_CHECKING:
    from ..host import Host

DEVICE_TYPES = {"simulated-wpe": "simulated_wisepos_e", "simulated-s700": "simulated_stripe_s700"}


# --- locations -------------------------------------------------------------------------------------
@router.post("/v1/terminal/locations", "terminal.LocationCreateParams")
def create_location(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    for key in ("display_name", "address"):
        if not params.get(key):
            raise errors.missing_parameter(key)
    address = params["address"]
    if not address.get("country"):
        raise errors.missing_parameter("address[country]")
    if params.get("configuration_overrides"):
        terminal_configurations_get(ctx, params["configuration_overrides"])
    location = {
        "id": ctx.new_id("tml"),
        "object": "terminal.location",
        "address": {
            k: address.get(k) or None for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "configuration_overrides": params.get("configuration_overrides"),
        "display_name": params["display_name"],
        "livemode": False,
        "metadata": {},
        "phone": params.get("phone"),
    }
    apply_metadata(location, params.get("metadata"))
    return ctx.put(location)


def terminal_configurations_get(ctx: Ctx, configuration_id: str) -> dict[str, Any]:
    return terminal_configurations.get(ctx, configuration_id, param="configuration_overrides")


@router.get("/v1/terminal/locations", "terminal.LocationListParams")
def list_locations(ctx: Ctx) -> dict[str, Any]:
    return paginate(
        ctx, ctx.find("terminal.location", lambda loc: not loc.get("deleted")), "/v1/terminal/locations"
    )


@router.get("/v1/terminal/locations/{id}", "terminal.LocationRetrieveParams")
def retrieve_location(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("terminal.location", ctx.arg("id"), param="location")


@router.post("/v1/terminal/locations/{id}", "terminal.LocationUpdateParams")
def update_location(ctx: Ctx) -> dict[str, Any]:
    location = ctx.get("terminal.location", ctx.arg("id"), param="location")
    if ctx.params.get("display_name"):
        location["display_name"] = ctx.params["display_name"]
    if ctx.params.get("address"):
        location["address"].update({k: v or None for k, v in ctx.params["address"].items()})
    if "configuration_overrides" in ctx.params:
        override = ctx.params["configuration_overrides"] or None
        if override:
            terminal_configurations_get(ctx, override)
        location["configuration_overrides"] = override
    apply_metadata(location, ctx.params.get("metadata"))
    return location


@router.delete("/v1/terminal/locations/{id}", "terminal.LocationDeleteParams")
def delete_location(ctx: Ctx) -> dict[str, Any]:
    location = ctx.get("terminal.location", ctx.arg("id"), param="location")
    location["deleted"] = True
    return {"id": location["id"], "object": "terminal.location", "deleted": True}


@router.post("/v1/terminal/connection_tokens", "terminal.ConnectionTokenCreateParams")
def create_connection_token(ctx: Ctx) -> dict[str, Any]:
    return {
        "object": "terminal.connection_token",
        "location": ctx.params.get("location"),
        "secret": "pst_test_" + ctx.token(40),
    }


# --- readers ---------------------------------------------------------------------------------------
@router.post("/v1/terminal/readers", "terminal.ReaderCreateParams")
def create_reader(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    device_type = DEVICE_TYPES.get(params["registration_code"])
    if device_type is None:
        raise errors.invalid_request(
            f"The registration code '{params['registration_code']}' is invalid. For simulated readers use "
            "'simulated-wpe' or 'simulated-s700'.",
            param="registration_code",
        )
    location = params.get("location")
    if location:
        ctx.get("terminal.location", location, param="location")
    reader = {
        "id": ctx.new_id("tmr"),
        "object": "terminal.reader",
        "action": None,
        "device_sw_version": "",
        "device_type": device_type,
        "ip_address": "192.168.2.2",
        "label": params.get("label") or "Simulated reader",
        "last_seen_at": ctx.now * 1000,
        "livemode": False,
        "location": location,
        "metadata": {},
        "serial_number": f"{device_type.upper()}-{ctx.sandbox.ids.digits(8)}",
        "status": "online",
    }
    apply_metadata(reader, params.get("metadata"))
    return ctx.put(reader)


@router.get("/v1/terminal/readers", "terminal.ReaderListParams")
def list_readers(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    items = ctx.find(
        "terminal.reader",
        lambda r: (
            not r.get("deleted")
            and all(
                params.get(key) is None or r.get(key) == params[key]
                for key in ("location", "status", "device_type", "serial_number")
            )
        ),
    )
    return paginate(ctx, items, "/v1/terminal/readers")


def _reader(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("terminal.reader", ctx.arg("id"), param="reader")


@router.get("/v1/terminal/readers/{id}", "terminal.ReaderRetrieveParams")
def retrieve_reader(ctx: Ctx) -> dict[str, Any]:
    found = ctx.maybe(ctx.arg("id"))
    if found and found.get("object") == "terminal.reader" and found.get("deleted"):
        # Stripe answers a deleted reader with a stub rather than a 404.
        return {"id": found["id"], "object": "terminal.reader", "deleted": True}
    reader = _reader(ctx)
    if reader["status"] == "online":
        reader["last_seen_at"] = ctx.now * 1000
    return reader


@router.post("/v1/terminal/readers/{id}", "terminal.ReaderUpdateParams")
def update_reader(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
    if "label" in ctx.params:
        reader["label"] = ctx.params["label"] or None
    apply_metadata(reader, ctx.params.get("metadata"))
    return reader


@router.delete("/v1/terminal/readers/{id}", "terminal.ReaderDeleteParams")
def delete_reader(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
    reader["deleted"] = True
    return {"id": reader["id"], "object": "terminal.reader", "deleted": True}


# --- reader actions ----------------------------------------------------------------------------------
# Stripe's codes: an offline reader refuses commands; a reader action fails with the card's decline
# code, or with `customer_canceled` / `terminal_reader_timeout` when the customer cancels on the
# reader or never presents a card.
OFFLINE = (
    "terminal_reader_offline",
    "Reader is currently offline, please ensure the reader is powered on and connected to the internet "
    "before retrying your request.",
)
CUSTOMER_CANCELED = ("customer_canceled", "The customer canceled the transaction on the reader.")
TIMED_OUT = (
    "terminal_reader_timeout",
    "The reader timed out waiting for the customer to present a payment method.",
)
DEFAULT_CARD = "4242424242424242"
DECLINE_CARDS = {
    "decline_generic": "4000000000000002",
    "decline_insufficient_funds": "4000000000009995",
    "decline_expired": "4000000000000069",
}
SIMULATIONS = (
    "hold",
    "approve",
    *DECLINE_CARDS,
    "customer_cancel",
    "timeout",
    "offline",
    "online",
)


def _require_online(reader: dict[str, Any]) -> None:
    if reader.get("status") != "online":
        raise errors.invalid_request(OFFLINE[1], code=OFFLINE[0])


def _waiting(reader: dict[str, Any]) -> dict[str, Any]:
    """The reader's in-progress `process_payment_intent` action, or Stripe's 400."""
    action = reader.get("action")
    if not action or action["status"] != "in_progress" or action["type"] != "process_payment_intent":
        raise errors.invalid_request(
            "The reader has no in-progress `process_payment_intent` action to present a payment method to.",
            param="reader",
        )
    return action


def _held(ctx: Ctx, reader: dict[str, Any]) -> dict[str, Any] | None:
    """The card presented and held on the reader (the sandbox's two-step present), if any."""
    return ctx.private(reader["id"]).get("presented")


@router.post("/v1/terminal/readers/{id}/process_payment_intent", "terminal.ReaderProcessPaymentIntentParams")
def process_payment_intent(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
    _require_online(reader)
    if reader["action"] and reader["action"]["status"] == "in_progress":
        raise errors.invalid_request(
            "Reader is currently busy processing another request. Cancel the current "
            "action or wait for it to finish.",
            code="terminal_reader_busy",
        )
    pi = ctx.get("payment_intent", ctx.params["payment_intent"], param="payment_intent")
    if "card_present" not in pi["payment_method_types"]:
        raise errors.invalid_request(
            "This PaymentIntent is not configured to accept card_present payments; create it with "
            "`allowed_payment_method_types` including `card_present`.",
            param="payment_intent",
        )
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise errors.unexpected_state(
            f"This PaymentIntent has a status of {pi['status']} and cannot be processed by a reader.",
            param="payment_intent",
        )
    config = ctx.params.get("process_config") or {}
    eligible = (config.get("tipping") or {}).get("amount_eligible")
    if config.get("skip_tipping") and eligible is not None:
        raise errors.invalid_request(
            "You cannot pass `process_config[tipping]` when `process_config[skip_tipping]` is true.",
            param="process_config[skip_tipping]",
        )
    if eligible is not None and eligible <= 0:
        raise errors.invalid_request(
            "`amount_eligible` must be a positive integer.", param="process_config[tipping][amount_eligible]"
        )
    choices = (
        []
        if config.get("skip_tipping")
        else terminal_configurations.tip_choices(
            terminal_configurations.for_location(ctx, reader.get("location")),
            pi["currency"],
            eligible if eligible is not None else pi["amount"],
        )
    )
    ctx.private(reader["id"]).update({"tip_choices": choices, "presented": None})
    reader["action"] = {
        "failure_code": None,
        "failure_message": None,
        "status": "in_progress",
        "type": "process_payment_intent",
        "process_payment_intent": {
            "payment_intent": pi["id"],
            "process_config": {
                "enable_customer_cancellation": bool(config.get("enable_customer_cancellation")),
                "skip_tipping": bool(config.get("skip_tipping")),
                "tipping": {"amount_eligible": eligible} if eligible is not None else None,
            },
        },
    }
    return reader


@router.post("/v1/terminal/readers/{id}/cancel_action", "terminal.ReaderCancelActionParams")
def cancel_action(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
    _require_online(reader)
    if not reader["action"] or reader["action"]["status"] != "in_progress":
        raise errors.invalid_request("This reader has no action in progress to cancel.")
    if _held(ctx, reader):
        # The card is with the bank: Stripe lets the authorization finish rather than cut it off.
        raise errors.invalid_request(
            "Reader is currently busy processing the presented payment method and cannot cancel the "
            "action now. Wait for the action to finish.",
            code="terminal_reader_busy",
        )
    reader["action"] = None
    ctx.private(reader["id"]).update({"tip_choices": [], "presented": None})
    return reader


@router.post(
    "/v1/test_helpers/terminal/readers/{id}/present_payment_method",
    "test_helpers.terminal.ReaderPresentPaymentMethodParams",
)
def present_payment_method(ctx: Ctx) -> dict[str, Any]:
    """Tap a test card on a simulated reader (default: Visa 4242, which succeeds), with the tip
    the customer chose on it (`amount_tip`)."""
    reader = _reader(ctx)
    _waiting(reader)
    _require_online(reader)
    if _held(ctx, reader):
        raise errors.invalid_request(
            "A payment method was already presented on this reader and is being processed; approve or "
            "decline it on the sandbox dashboard.",
            param="reader",
        )
    params = ctx.params
    kind = params.get("type", "card_present")
    if kind != "card_present":
        raise errors.invalid_request(
            f"The sandbox simulates `card_present` only, not `{kind}`.", param="type"
        )
    number = (params.get("card_present") or {}).get("number") or DEFAULT_CARD
    return _present(ctx, reader, number, params.get("amount_tip"))


def _check_tip(action: dict[str, Any], pi: dict[str, Any], amount_tip: int | None) -> int:
    if not amount_tip:
        return 0
    if action["process_payment_intent"]["process_config"]["skip_tipping"]:
        raise errors.invalid_request(
            "Tipping was skipped for this transaction (`process_config[skip_tipping]`), so the customer "
            "cannot add a tip.",
            param="amount_tip",
        )
    if amount_tip < 0 or pi["amount"] + amount_tip > 99999999:
        raise errors.invalid_request("Invalid tip amount.", param="amount_tip")
    return amount_tip


def _check_number(number: str) -> None:
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19 and cards.luhn_ok(number)):
        raise errors.invalid_request(
            "Your card number is incorrect.", code="incorrect_number", param="card_present[number]"
        )


def _present(ctx: Ctx, reader: dict[str, Any], number: str, amount_tip: int | None) -> dict[str, Any]:
    """The card is read and the intent confirmed for its amount plus the tip: the action succeeds,
    or fails with the decline (the intent back to `requires_payment_method`, ready for another card)."""
    action = reader["action"]
    pi = ctx.get("payment_intent", action["process_payment_intent"]["payment_intent"], param="payment_intent")
    _check_number(number)
    tip = _check_tip(action, pi, amount_tip)
    ctx.private(reader["id"]).update({"tip_choices": [], "presented": None})
    if pi["status"] == "processing":  # held on the reader: the authorization now completes
        pi["status"] = "requires_payment_method"
    amount_before = pi["amount"]
    if tip:
        pi["amount"] = amount_before + tip
        pi["amount_details"] = {**(pi.get("amount_details") or {}), "tip": {"amount": tip}}
    pm = payment_methods.create_card_present(ctx, number)
    generated = None
    spec = cards.lookup(number)
    if pi.get("setup_future_usage") and pi.get("customer") and not spec.decline:
        generated = payment_methods.create_card(
            ctx, spec.number, pm["card_present"]["exp_month"], pm["card_present"]["exp_year"], None
        )
    try:
        payment_intents.confirm_intent(
            ctx, pi, {}, via_reader=True, pm=pm, generated_card=generated["id"] if generated else None
        )
    except errors.StripeError as exc:
        # The declined attempt was for the tipped amount (its charge says so); the next card
        # starts from the amount the reader was given, with a fresh tip choice.
        pi["amount"] = amount_before
        pi["amount_details"] = {**(pi.get("amount_details") or {}), "tip": {}}
        action.update({"status": "failed", "failure_code": exc.code, "failure_message": exc.message})
        ctx.emit("terminal.reader.action_failed", reader)
        return reader
    if generated is not None:
        charge = ctx.get("charge", pi["latest_charge"], param="charge")
        generated["card"]["generated_from"] = {
            "charge": charge["id"],
            "payment_method_details": charge["payment_method_details"],
            "setup_attempt": None,
        }
        customer = ctx.get("customer", pi["customer"], param="customer")
        payment_methods.attach(ctx, generated, customer)
    action["status"] = "succeeded"
    ctx.emit("terminal.reader.action_succeeded", reader)
    return reader


def _fail(ctx: Ctx, reader: dict[str, Any], failure: tuple[str, str]) -> dict[str, Any]:
    action = _waiting(reader)
    if _held(ctx, reader):
        raise errors.invalid_request(
            "The presented card is being processed; approve or decline it.", param="reader"
        )
    code, message = failure
    action.update({"status": "failed", "failure_code": code, "failure_message": message})
    ctx.private(reader["id"]).update({"tip_choices": [], "presented": None})
    ctx.emit("terminal.reader.action_failed", reader)
    return reader


def simulate_in(
    ctx: Ctx, reader: dict[str, Any], what: str, *, number: str | None = None, amount_tip: int | None = None
) -> dict[str, Any]:
    """What a person does at a simulated reader; `what` is one of `SIMULATIONS`:

    - `hold`: present a card (`number`, default Visa) with a tip and keep it "with the bank": the
      intent is `processing`, the action still `in_progress`, until `approve` or a `decline_*`;
    - `approve`: the held card (or `number`, default Visa) is authorised — a decline card still
      declines; `decline_generic` / `decline_insufficient_funds` / `decline_expired`: Stripe's
      declining test card is presented instead;
    - `customer_cancel`: the customer presses cancel (only when the action allows it,
      `process_config[enable_customer_cancellation]`); `timeout`: nobody presented a card;
    - `offline` / `online`: the reader loses or regains its connection.
    """
    if what not in SIMULATIONS:
        raise errors.invalid_request(f"Unknown reader simulation {what!r}.", param="do")
    if what in ("offline", "online"):
        reader["status"] = what
        if what == "online":
            reader["last_seen_at"] = ctx.now * 1000
        return reader
    action = _waiting(reader)
    _require_online(reader)
    held = _held(ctx, reader)
    if what == "hold":
        if held:
            raise errors.invalid_request("A card is already presented on this reader.", param="reader")
        pi = ctx.get(
            "payment_intent", action["process_payment_intent"]["payment_intent"], param="payment_intent"
        )
        _check_number(number or DEFAULT_CARD)
        _check_tip(action, pi, amount_tip)
        ctx.private(reader["id"])["presented"] = {"number": number or DEFAULT_CARD, "amount_tip": amount_tip}
        pi["status"] = "processing"
        ctx.emit("payment_intent.processing", pi)
        return reader
    if what == "customer_cancel":
        if not action["process_payment_intent"]["process_config"]["enable_customer_cancellation"]:
            raise errors.invalid_request(
                "Customer cancellation is not enabled for this action "
                "(`process_config[enable_customer_cancellation]`).",
                param="reader",
            )
        return _fail(ctx, reader, CUSTOMER_CANCELED)
    if what == "timeout":
        return _fail(ctx, reader, TIMED_OUT)
    tip = amount_tip if amount_tip is not None else (held or {}).get("amount_tip")
    approved_card = number or (held or {}).get("number") or DEFAULT_CARD
    card = approved_card if what == "approve" else DECLINE_CARDS[what]
    return _present(ctx, reader, card, tip)


def simulate(
    sandbox: Host,
    reader_id: str,
    what: str,
    *,
    number: str | None = None,
    amount_tip: int | None = None,
) -> dict[str, Any]:
    """`simulate_in` as one request (the dashboard's buttons, tests): under the lock, events sent
    after. Returns the reader as the API would show it."""
    account = sandbox.locate(reader_id)

    def act(ctx: Ctx) -> dict[str, Any]:
        reader = ctx.get("terminal.reader", reader_id, param="reader")
        return sandbox.present(ctx, simulate_in(ctx, reader, what, number=number, amount_tip=amount_tip))

    return sandbox.run(act, account=account)


def describe(sandbox: Host, scope: str, reader: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard shows of a reader waiting for a card (call under the sandbox's lock):
    the intent's amount and currency, the tip choices, whether a card is held, whether the
    customer may cancel."""
    action = reader.get("action") or {}
    detail = action.get("process_payment_intent") or {}
    pi = sandbox.store.get(scope, detail.get("payment_intent") or "") or {}
    private = sandbox.store.private(reader["id"])
    config = detail.get("process_config") or {}
    return {
        "payment_intent": pi.get("id"),
        "amount": pi.get("amount", 0),
        "currency": pi.get("currency", ""),
        "intent_status": pi.get("status"),
        "tip_choices": list(private.get("tip_choices") or []),
        "skip_tipping": bool(config.get("skip_tipping")),
        "held": private.get("presented"),
        "customer_cancel": bool(config.get("enable_customer_cancellation")),
    }
