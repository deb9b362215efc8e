"""Endpoints behind the Stripe.js stand-in (`/_sandbox/js/<action>`), authenticated by `pk_test_…`.

They do what Stripe.js does with a publishable key and a client secret: create a PaymentMethod
from the typed card, confirm the intent, finish a 3DS challenge, record online mandate acceptance
for bank debits. Answers are JSON with CORS headers so the app's pages (another origin) can call.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import errors
from ..context import Ctx
from ..http import Headers, Response
from ..resources import challenge, payment_intents, payment_methods, setup_intents

if TYPE_CHECKING:
    from ..host import Host

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}
TEST_BANKS = {
    "us_bank_account": {
        "routing_number": "110000000",
        "account_number": "000123456789",
        "account_holder_type": "individual",
        "account_type": "checking",
    },
    "acss_debit": {"institution_number": "000", "transit_number": "11000", "account_number": "000123456789"},
}


def json_response(status: int, payload: Any) -> Response:
    return Response.json(status, payload, CORS)


def _intent(ctx: Ctx, client_secret: str | None) -> dict[str, Any]:
    secret = client_secret or ""
    intent_id = secret.split("_secret_")[0]
    kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    intent = ctx.maybe(intent_id)
    if not intent or intent.get("object") != kind or intent.get("client_secret") != secret:
        raise errors.missing(
            "setupintent" if kind == "setup_intent" else "payment_intent", intent_id, "client_secret"
        )
    return intent


def _card(data: dict[str, Any]) -> dict[str, Any]:
    card = dict(data.get("card") or {})
    for key in ("exp_month", "exp_year"):
        if key in card:
            try:
                card[key] = int(card[key])
            except (TypeError, ValueError):
                raise errors.card_error(
                    "Your card's expiration date is incomplete.",
                    code="invalid_expiry_month",
                    param="exp_month",
                ) from None
    if not card.get("number"):
        raise errors.card_error("Your card number is incomplete.", code="incomplete_number", param="number")
    if not card.get("cvc"):
        card.pop("cvc", None)
    return card


def _new_payment_method(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    params = {"type": data.get("type", "card"), "billing_details": data.get("billing_details") or {}}
    if params["type"] == "card":
        params["card"] = _card(data)
    elif params["type"] in TEST_BANKS:
        params[params["type"]] = {**TEST_BANKS[params["type"]], **(data.get(params["type"]) or {})}
    return payment_methods.create_from_params(ctx, params)


def _mandate(headers: Headers, remote_addr: str) -> dict[str, Any]:
    return {
        "customer_acceptance": {
            "type": "online",
            "online": {
                "ip_address": remote_addr or "127.0.0.1",
                "user_agent": headers.get("User-Agent", "stripe-sandbox"),
            },
        }
    }


def handle(sandbox: Host, action: str, body: bytes, headers: Headers, remote_addr: str = "") -> Response:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return json_response(
            400, {"error": {"type": "invalid_request_error", "message": "Invalid JSON body."}}
        )
    key = str(payload.get("key") or "")
    if not key.startswith("pk_test_"):
        return json_response(
            401,
            {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {key[:12]}…"}},
        )
    account = payload.get("stripe_account") or None
    if account:
        known = sandbox.get(account)
        if not known or known.get("object") != "account":
            return json_response(403, errors.account_invalid(key, account).body())
    handler = ACTIONS.get(action)
    if handler is None:
        return json_response(
            404, {"error": {"type": "invalid_request_error", "message": f"Unknown action {action}"}}
        )
    try:
        result = sandbox.run(
            lambda ctx: sandbox.present(ctx, handler(ctx, payload, headers, remote_addr)),
            account=account,
            origin="js",
        )
    except errors.StripeError as exc:
        # Stripe.js resolves (never rejects) with `{error}`; the HTTP status does not matter to callers.
        return json_response(200, exc.body())
    return json_response(200, result)


def _confirm(ctx: Ctx, payload: dict[str, Any], headers: Headers, remote_addr: str) -> dict[str, Any]:
    intent = _intent(ctx, payload.get("client_secret"))
    params: dict[str, Any] = {}
    if payload.get("payment_method"):
        params["payment_method"] = payload["payment_method"]
    elif payload.get("payment_method_data"):
        params["payment_method"] = _new_payment_method(ctx, payload["payment_method_data"])["id"]
    if payload.get("return_url"):
        params["return_url"] = payload["return_url"]
    pm_id = params.get("payment_method") or intent.get("payment_method")
    pm = ctx.maybe(pm_id) if pm_id else None
    if pm and pm["type"] in TEST_BANKS:
        params["mandate_data"] = _mandate(headers, remote_addr)
    if intent["object"] == "setup_intent":
        return {"intent": setup_intents.confirm_setup(ctx, intent, params)}
    if payload.get("setup_future_usage"):
        params["setup_future_usage"] = payload["setup_future_usage"]
    return {"intent": payment_intents.confirm_intent(ctx, intent, params)}


def _authenticate(ctx: Ctx, payload: dict[str, Any], headers: Headers, remote_addr: str) -> dict[str, Any]:
    intent = _intent(ctx, payload.get("client_secret"))
    success = payload.get("outcome") == "complete"
    intent = challenge.finish(ctx, intent["id"], success=success)
    if success:
        return {"intent": intent}
    setup = intent["object"] == "setup_intent"
    last = intent["last_setup_error" if setup else "last_payment_error"]
    return {
        "error": {
            "type": "invalid_request_error",
            "code": last["code"],
            "message": last["message"],
            ("setup_intent" if setup else "payment_intent"): ctx.sandbox.present(ctx, intent),
        }
    }


def _payment_method(ctx: Ctx, payload: dict[str, Any], headers: Headers, remote_addr: str) -> dict[str, Any]:
    return {"payment_method": _new_payment_method(ctx, payload)}


def _retrieve(ctx: Ctx, payload: dict[str, Any], headers: Headers, remote_addr: str) -> dict[str, Any]:
    return {"intent": _intent(ctx, payload.get("client_secret"))}


def _collect_bank(ctx: Ctx, payload: dict[str, Any], headers: Headers, remote_addr: str) -> dict[str, Any]:
    intent = _intent(ctx, payload.get("client_secret"))
    kind = payload.get("payment_method_type")
    if kind not in TEST_BANKS:
        raise errors.invalid_request(
            "payment_method_type must be us_bank_account or acss_debit.", param="payment_method_type"
        )
    allowed = intent.get("allowed_payment_method_types")
    if allowed and kind not in allowed:
        raise errors.invalid_request(f"This intent does not accept {kind}.", param="payment_method_type")
    pm = _new_payment_method(ctx, {"type": kind, "billing_details": payload.get("billing_details") or {}})
    intent.update({"payment_method": pm["id"], "status": "requires_confirmation"})
    return {"intent": intent}


ACTIONS = {
    "confirm_setup_intent": _confirm,
    "confirm_payment_intent": _confirm,
    "authenticate": _authenticate,
    "payment_methods": _payment_method,
    "retrieve_intent": _retrieve,
    "collect_bank_account": _collect_bank,
}
