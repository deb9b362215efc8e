"""Terminal: locations, simulated readers, `process_payment_intent`, and presenting a test card.

The reader's `action` moves as Stripe's does: `in_progress` after `process_payment_intent`, then
`succeeded` or `failed` when the test helper presents a card, each reported by a
`terminal.reader.action_*` event. When the intent asked to save the card, the charge carries a
`generated_card` — a reusable `card` PaymentMethod attached to the customer.
"""

from __future__ import annotations

from typing import Any

from .. import cards, errors
from ..context import Ctx, apply_metadata
from ..listing import paginate
from ..router import router
from . import payment_intents, payment_methods

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
    return _reader(ctx)


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


@router.post("/v1/terminal/readers/{id}/process_payment_intent", "terminal.ReaderProcessPaymentIntentParams")
def process_payment_intent(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
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
    reader["action"] = {
        "failure_code": None,
        "failure_message": None,
        "status": "in_progress",
        "type": "process_payment_intent",
        "process_payment_intent": {
            "payment_intent": pi["id"],
            "process_config": ctx.params.get("process_config") or None,
        },
    }
    return reader


@router.post("/v1/terminal/readers/{id}/cancel_action", "terminal.ReaderCancelActionParams")
def cancel_action(ctx: Ctx) -> dict[str, Any]:
    reader = _reader(ctx)
    if not reader["action"] or reader["action"]["status"] != "in_progress":
        raise errors.invalid_request("This reader has no action in progress to cancel.")
    reader["action"] = None
    return reader


@router.post(
    "/v1/test_helpers/terminal/readers/{id}/present_payment_method",
    "test_helpers.terminal.ReaderPresentPaymentMethodParams",
)
def present_payment_method(ctx: Ctx) -> dict[str, Any]:
    """Tap a test card on a simulated reader (default: Visa 4242, which succeeds)."""
    reader = _reader(ctx)
    action = reader["action"]
    if not action or action["status"] != "in_progress" or action["type"] != "process_payment_intent":
        raise errors.invalid_request(
            "The reader has no in-progress `process_payment_intent` action to present a payment method to.",
            param="reader",
        )
    params = ctx.params
    kind = params.get("type", "card_present")
    if kind != "card_present":
        raise errors.invalid_request(
            f"The sandbox simulates `card_present` only, not `{kind}`.", param="type"
        )
    number = (params.get("card_present") or {}).get("number") or "4242424242424242"
    pi = ctx.get("payment_intent", action["process_payment_intent"]["payment_intent"], param="payment_intent")
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
