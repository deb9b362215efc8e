"""SetupIntents and mandates: saving a card (with 3DS when the card asks) or a bank debit.

Bank debits need mandate acceptance (`mandate_data`, or the acceptance the Stripe.js stand-in
records in the browser); success creates a Mandate the SetupIntent points to, as Stripe does.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Ctx, apply_metadata, merge
from ..listing import created_filter, paginate
from ..router import router
from . import payment_methods
from .authentication import evaluate, next_action

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
BANK_TYPES = ("acss_debit", "us_bank_account")


def _options(types: list[str], given: dict[str, Any] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for kind in types:
        if kind == "card":
            options["card"] = {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        elif kind == "acss_debit":
            options["acss_debit"] = {
                "currency": None,
                "mandate_options": {
                    "custom_mandate_url": None,
                    "default_for": [],
                    "interval_description": None,
                    "payment_schedule": None,
                    "transaction_type": None,
                },
                "verification_method": "automatic",
            }
        elif kind == "us_bank_account":
            options["us_bank_account"] = {"mandate_options": {}, "verification_method": "automatic"}
    merge(options, copy.deepcopy(given or {}))
    return options


@router.post("/v1/setup_intents", "SetupIntentCreateParams")
def create_setup_intent(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    customer = (
        ctx.get("customer", params["customer"], param="customer")["id"] if params.get("customer") else None
    )
    types = params.get("allowed_payment_method_types")
    si_id = ctx.new_id("seti")
    si: dict[str, Any] = {
        "id": si_id,
        "object": "setup_intent",
        "allowed_payment_method_types": types,
        "application": None,
        "attach_to_self": params.get("attach_to_self"),
        "automatic_payment_methods": None if types else {"allow_redirects": "always", "enabled": True},
        "cancellation_reason": None,
        "client_secret": f"{si_id}_secret_{ctx.token(25)}",
        "created": ctx.now,
        "customer": customer,
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "flow_directions": params.get("flow_directions"),
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": params.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": _options(list(types or ["card"]), params.get("payment_method_options")),
        "payment_method_types": list(types or ["card"]),
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": params.get("usage", "off_session"),
    }
    apply_metadata(si, params.get("metadata"))
    pm = _pm_from_params(ctx, params)
    if pm is not None:
        _check_pm(si, pm)
        si["payment_method"] = pm["id"]
        si["status"] = "requires_confirmation"
    ctx.put(si)
    ctx.emit("setup_intent.created", si)
    if params.get("confirm"):
        return confirm_setup(
            ctx, si, {k: v for k, v in params.items() if k not in ("payment_method", "payment_method_data")}
        )
    return si


def _pm_from_params(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any] | None:
    if params.get("payment_method"):
        return payment_methods.resolve(ctx, params["payment_method"])
    if params.get("payment_method_data"):
        return payment_methods.create_from_params(ctx, params["payment_method_data"], "payment_method_data")
    return None


def _check_pm(si: dict[str, Any], pm: dict[str, Any]) -> None:
    explicit = si["allowed_payment_method_types"]
    if (explicit and pm["type"] not in explicit) or pm["type"] == "card_present":
        raise errors.invalid_request(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this SetupIntent. Please attach a "
            f"PaymentMethod of one of the following types: {', '.join(si['payment_method_types'])}.",
            code="setup_intent_unexpected_state",
            param="payment_method",
        )
    if pm.get("customer") and si["customer"] and pm["customer"] != si["customer"]:
        raise errors.invalid_request(
            f"The provided PaymentMethod ({pm['id']}) is attached to another customer.",
            param="payment_method",
        )


def confirm_setup(ctx: Ctx, si: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if si["status"] not in CONFIRMABLE:
        raise errors.unexpected_state(
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
            setup_intent=ctx.sandbox.present(ctx, si),
        )
    pm = _pm_from_params(ctx, params)
    if pm is None and si["payment_method"]:
        pm = ctx.get("payment_method", si["payment_method"], param="payment_method")
    if pm is None:
        raise errors.unexpected_state(
            "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent "
            "with a payment method and then confirm it again.",
            code="setup_intent_unexpected_state",
            setup_intent=ctx.sandbox.present(ctx, si),
        )
    _check_pm(si, pm)
    if params.get("payment_method_options"):
        merge(si["payment_method_options"], params["payment_method_options"])
    private = ctx.private(si["id"])
    if params.get("return_url"):
        private["return_url"] = params["return_url"]
    mandate_data = params.get("mandate_data") or private.get("mandate_data")
    if pm["type"] in BANK_TYPES:
        _check_bank_setup(si, pm, mandate_data)
    si.update({"payment_method": pm["id"], "last_setup_error": None, "next_action": None})
    outcome = evaluate(ctx, pm, setting_up=True)
    if outcome.kind == "decline":
        assert outcome.decline is not None
        _fail(ctx, si, pm, outcome.decline)
    if outcome.kind == "requires_action":
        si.update(
            {"status": "requires_action", "next_action": next_action(ctx, si, private.get("return_url"))}
        )
        ctx.emit("setup_intent.requires_action", si)
        return si
    return _succeed(ctx, si, pm, mandate_data, authenticated=False)


def _check_bank_setup(si: dict[str, Any], pm: dict[str, Any], mandate_data: dict[str, Any] | None) -> None:
    if not mandate_data or not mandate_data.get("customer_acceptance"):
        raise errors.missing_parameter("mandate_data[customer_acceptance]")
    if pm["type"] == "acss_debit":
        options = si["payment_method_options"].get("acss_debit") or {}
        if not options.get("currency"):
            raise errors.missing_parameter("payment_method_options[acss_debit][currency]")
        mandate = options.get("mandate_options") or {}
        for key in ("payment_schedule", "transaction_type"):
            if not mandate.get(key):
                raise errors.missing_parameter(f"payment_method_options[acss_debit][mandate_options][{key}]")
        if mandate["payment_schedule"] in ("interval", "combined") and not mandate.get(
            "interval_description"
        ):
            raise errors.missing_parameter(
                "payment_method_options[acss_debit][mandate_options][interval_description]"
            )


def _fail(
    ctx: Ctx, si: dict[str, Any], pm: dict[str, Any], decline: tuple[str, str, str, str | None]
) -> None:
    code, decline_code, message, param = decline
    error: dict[str, Any] = {
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"{errors.DOCS}/{code.replace('_', '-')}",
        "message": message,
        "payment_method": copy.deepcopy(pm),
        "type": "card_error",
    }
    if param:
        error["param"] = param
    si.update({"status": "requires_payment_method", "payment_method": None, "last_setup_error": error})
    ctx.emit("setup_intent.setup_failed", si)
    raise errors.card_error(
        message,
        code=code,
        decline_code=decline_code,
        param=param,
        setup_intent=ctx.sandbox.present(ctx, si),
        payment_method=ctx.sandbox.present(ctx, pm),
    )


def _succeed(
    ctx: Ctx,
    si: dict[str, Any],
    pm: dict[str, Any],
    mandate_data: dict[str, Any] | None,
    *,
    authenticated: bool,
) -> dict[str, Any]:
    if authenticated:
        ctx.private(pm["id"])["setup_authenticated"] = True
    if pm["type"] in BANK_TYPES:
        si["mandate"] = _create_mandate(ctx, si, pm, mandate_data or {})["id"]
    if si["customer"]:
        customer = ctx.get("customer", si["customer"], param="customer")
        payment_methods.attach(ctx, pm, customer)
    si.update({"status": "succeeded", "next_action": None})
    ctx.emit("setup_intent.succeeded", si)
    return si


def _create_mandate(
    ctx: Ctx, si: dict[str, Any], pm: dict[str, Any], mandate_data: dict[str, Any]
) -> dict[str, Any]:
    acceptance = copy.deepcopy(mandate_data.get("customer_acceptance") or {})
    acceptance.setdefault("type", "online")
    acceptance["accepted_at"] = acceptance.get("accepted_at") or ctx.now
    details: dict[str, Any] = {"type": pm["type"]}
    if pm["type"] == "acss_debit":
        opts = si["payment_method_options"]["acss_debit"]["mandate_options"]
        details["acss_debit"] = {
            "default_for": opts.get("default_for") or [],
            "interval_description": opts.get("interval_description"),
            "payment_schedule": opts.get("payment_schedule"),
            "transaction_type": opts.get("transaction_type"),
        }
    else:
        details["us_bank_account"] = {"collection_method": None}
    mandate = {
        "id": ctx.new_id("mandate"),
        "object": "mandate",
        "customer_acceptance": acceptance,
        "livemode": False,
        "multi_use": {},
        "on_behalf_of": None,
        "payment_method": pm["id"],
        "payment_method_details": details,
        "status": "active",
        "type": "multi_use",
    }
    return ctx.put(mandate)


def after_authentication(ctx: Ctx, si: dict[str, Any], *, success: bool) -> dict[str, Any]:
    pm = ctx.get("payment_method", si["payment_method"], param="payment_method")
    if success:
        return _succeed(ctx, si, pm, None, authenticated=True)
    si.update(
        {
            "status": "requires_payment_method",
            "payment_method": None,
            "next_action": None,
            "last_setup_error": {
                "code": "setup_intent_authentication_failure",
                "doc_url": f"{errors.DOCS}/setup-intent-authentication-failure",
                "message": "The latest attempt to set up the payment method has failed because "
                "authentication failed.",
                "payment_method": copy.deepcopy(pm),
                "type": "invalid_request_error",
            },
        }
    )
    ctx.emit("setup_intent.setup_failed", si)
    return si


def _get(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("setup_intent", ctx.arg("id"), param="intent")


@router.post("/v1/setup_intents/{id}/confirm", "SetupIntentConfirmParams")
def confirm_setup_intent(ctx: Ctx) -> dict[str, Any]:
    return confirm_setup(ctx, _get(ctx), ctx.params)


@router.post("/v1/setup_intents/{id}/cancel", "SetupIntentCancelParams")
def cancel_setup_intent(ctx: Ctx) -> dict[str, Any]:
    si = _get(ctx)
    if si["status"] not in CONFIRMABLE:
        raise errors.unexpected_state(
            f"You cannot cancel this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
            setup_intent=ctx.sandbox.present(ctx, si),
        )
    si.update(
        {
            "status": "canceled",
            "cancellation_reason": ctx.params.get("cancellation_reason"),
            "next_action": None,
        }
    )
    ctx.emit("setup_intent.canceled", si)
    return si


@router.post("/v1/setup_intents/{id}", "SetupIntentUpdateParams")
def update_setup_intent(ctx: Ctx) -> dict[str, Any]:
    si = _get(ctx)
    params = ctx.params
    if si["status"] in ("succeeded", "canceled") and set(params) - {"metadata", "description", "expand"}:
        raise errors.unexpected_state(
            f"You cannot update this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
        )
    if params.get("customer"):
        si["customer"] = ctx.get("customer", params["customer"], param="customer")["id"]
    if "description" in params:
        si["description"] = params["description"] or None
    if params.get("allowed_payment_method_types"):
        si["allowed_payment_method_types"] = params["allowed_payment_method_types"]
        si["payment_method_types"] = list(params["allowed_payment_method_types"])
    if params.get("payment_method_options"):
        merge(si["payment_method_options"], params["payment_method_options"])
    pm = _pm_from_params(ctx, params)
    if pm is not None:
        _check_pm(si, pm)
        si.update({"payment_method": pm["id"], "status": "requires_confirmation"})
    apply_metadata(si, params.get("metadata"))
    return si


@router.get("/v1/setup_intents", "SetupIntentListParams")
def list_setup_intents(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    items = ctx.find(
        "setup_intent",
        lambda s: (
            keep(s)
            and (params.get("customer") is None or s.get("customer") == params["customer"])
            and (params.get("payment_method") is None or s.get("payment_method") == params["payment_method"])
        ),
    )
    return paginate(ctx, items, "/v1/setup_intents")


@router.get("/v1/setup_intents/{id}", "SetupIntentRetrieveParams")
def retrieve_setup_intent(ctx: Ctx) -> dict[str, Any]:
    return _get(ctx)


@router.get("/v1/mandates/{id}", "MandateRetrieveParams")
def retrieve_mandate(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("mandate", ctx.arg("id"), param="mandate")
