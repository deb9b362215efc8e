"""PaymentIntents: create, confirm, capture, cancel — with Stripe's state machine and errors.

A decline is both a state change (a failed Charge, `last_payment_error`, events) and a 402 error
carrying the PaymentIntent, exactly like Stripe; that is why it happens here, after the writes,
and why the idempotency layer saves and replays it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .. import errors
from ..context import Ctx, apply_metadata, merge
from ..listing import created_filter, paginate
from ..router import router
from . import charges, payment_methods
from .authentication import evaluate, next_action

if TYPE_CHECKING:
    from ..host import Host

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
MINIMUM = {"usd": 50, "cad": 50, "eur": 50, "gbp": 30, "aud": 50, "chf": 50}
BANK_SETTLE_SECONDS = 3


def _check_amount(amount: int, currency: str) -> None:
    minimum = MINIMUM.get(currency, 1)
    if amount < minimum:
        raise errors.invalid_request(
            f"Amount must be at least {minimum} cents"
            if currency in MINIMUM
            else "Amount must be at least 1",
            code="amount_too_small",
            param="amount",
        )
    if amount > 99999999:
        raise errors.invalid_request(
            "Amount must be no more than $999,999.99", code="amount_too_large", param="amount"
        )


def check_fee(ctx: Ctx, fee: int, amount: int, transfer_data: dict[str, Any] | None) -> None:
    if not ctx.account and not (transfer_data or {}).get("destination"):
        raise errors.invalid_request(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).",
            param="application_fee_amount",
        )
    if fee > amount:
        raise errors.invalid_request(
            "The application fee amount must be less than or equal to the amount.",
            param="application_fee_amount",
        )


def _client_secret(ctx: Ctx, intent_id: str) -> str:
    return f"{intent_id}_secret_{ctx.token(25)}"


def _pm_from_params(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any] | None:
    if params.get("payment_method"):
        return payment_methods.resolve(ctx, params["payment_method"])
    if params.get("payment_method_data"):
        return payment_methods.create_from_params(ctx, params["payment_method_data"], "payment_method_data")
    return None


def _check_pm_customer(pm: dict[str, Any], customer: str | None) -> None:
    owner = pm.get("customer")
    if owner and customer and owner != customer:
        raise errors.invalid_request(
            f"The provided PaymentMethod ({pm['id']}) is attached to another customer.",
            param="payment_method",
        )
    if owner and not customer:
        raise errors.invalid_request(
            "The provided PaymentMethod was previously attached to a Customer. To use a PaymentMethod that is "
            "attached to a Customer, you must also provide the Customer ID in the `customer` parameter.",
            param="payment_method",
        )


def present(ctx: Ctx, obj: dict[str, Any]) -> dict[str, Any]:
    return ctx.sandbox.present(ctx, obj)


@router.post("/v1/payment_intents", "PaymentIntentCreateParams")
def create_payment_intent(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    _check_amount(params["amount"], params["currency"])
    if params.get("application_fee_amount") is not None:
        check_fee(ctx, params["application_fee_amount"], params["amount"], params.get("transfer_data"))
    if params.get("off_session") is not None and not params.get("confirm"):
        raise errors.invalid_request(
            "You may only specify `off_session` when `confirm` is true.", param="off_session"
        )
    customer = (
        ctx.get("customer", params["customer"], param="customer")["id"] if params.get("customer") else None
    )
    destination = (params.get("transfer_data") or {}).get("destination")
    if destination:
        found = ctx.store.get(ctx.store.platform_account, destination)
        if (
            ctx.account
            or not found
            or found.get("object") != "account"
            or destination == ctx.store.platform_account
        ):
            raise errors.missing("destination", destination, "transfer_data[destination]")
    types = params.get("allowed_payment_method_types")
    pi_id = ctx.new_id("pi")
    pi: dict[str, Any] = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": params.get("application_fee_amount"),
        "allowed_payment_method_types": types,
        "automatic_payment_methods": None if types else {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic_async"),
        "client_secret": _client_secret(ctx, pi_id),
        "confirmation_method": params.get("confirmation_method", "automatic"),
        "created": ctx.now,
        "currency": params["currency"],
        "customer": customer,
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": params.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": _pm_options(types, params.get("payment_method_options")),
        "payment_method_types": list(types or ["card"]),
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": params.get("shipping"),
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": params.get("transfer_data"),
        "transfer_group": params.get("transfer_group"),
    }
    apply_metadata(pi, params.get("metadata"))
    pm = _pm_from_params(ctx, params)
    if pm is not None:
        _check_pm_customer(pm, customer)
        _check_type(pi, pm)
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    ctx.put(pi)
    ctx.emit("payment_intent.created", pi)
    if params.get("confirm"):
        return confirm_intent(
            ctx, pi, {k: v for k, v in params.items() if k not in ("payment_method", "payment_method_data")}
        )
    return pi


def _pm_options(types: list[str] | None, given: dict[str, Any] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for kind in types or ["card"]:
        if kind == "card":
            options["card"] = {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        elif kind == "card_present":
            options["card_present"] = {
                "request_extended_authorization": False,
                "request_incremental_authorization_support": False,
            }
        else:
            options[kind] = {"verification_method": "automatic"}
    merge(options, copy.deepcopy(given or {}))
    return options


def _check_type(pi: dict[str, Any], pm: dict[str, Any]) -> None:
    allowed = pi["payment_method_types"]
    if pm["type"] not in allowed and (pi.get("allowed_payment_method_types") or pm["type"] == "card_present"):
        raise errors.invalid_request(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this PaymentIntent. Please attach a "
            f"PaymentMethod of one of the following types: {', '.join(allowed)}. Alternatively, update the "
            'allowed payment_method_types for this PaymentIntent to include "' + pm["type"] + '".',
            code="payment_intent_incompatible_payment_method",
            param="payment_method",
        )


def confirm_intent(
    ctx: Ctx,
    pi: dict[str, Any],
    params: dict[str, Any],
    *,
    via_reader: bool = False,
    pm: dict[str, Any] | None = None,
    generated_card: str | None = None,
) -> dict[str, Any]:
    if pi["status"] not in CONFIRMABLE:
        raise errors.unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}.",
            payment_intent=present(ctx, pi),
        )
    pm = pm or _pm_from_params(ctx, params)
    if pm is None and pi["payment_method"]:
        pm = ctx.get("payment_method", pi["payment_method"], param="payment_method")
    if pm is None:
        raise errors.unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update "
            "the PaymentIntent with a payment method and then confirm it again, or confirm it again directly "
            "with a payment method.",
            payment_intent=present(ctx, pi),
        )
    _check_pm_customer(pm, pi["customer"])
    _check_type(pi, pm)
    if pm["type"] == "card_present" and not via_reader:
        raise errors.invalid_request(
            "A card_present PaymentIntent must be confirmed by a Terminal reader.", param="payment_method"
        )
    for key in ("setup_future_usage", "capture_method", "receipt_email", "shipping"):
        if key in params:
            pi[key] = params[key] or None
    if params.get("payment_method_options"):
        merge(pi["payment_method_options"], params["payment_method_options"])
    private = ctx.private(pi["id"])
    private["off_session"] = bool(params.get("off_session"))
    if params.get("return_url"):
        private["return_url"] = params["return_url"]
    if params.get("mandate_data"):
        private["mandate_data"] = params["mandate_data"]
    pi["payment_method"] = pm["id"]
    pi["last_payment_error"] = None
    pi["next_action"] = None
    outcome = evaluate(ctx, pm, setting_up=False, off_session=private["off_session"])
    if outcome.kind == "decline":
        assert outcome.decline is not None
        fail(ctx, pi, pm, outcome.decline)
    if outcome.kind == "requires_action":
        pi["status"] = "requires_action"
        pi["next_action"] = next_action(ctx, pi, private.get("return_url"))
        ctx.emit("payment_intent.requires_action", pi)
        return pi
    if outcome.kind == "processing":
        return _start_processing(ctx, pi, pm)
    return succeed(ctx, pi, pm, generated_card=generated_card)


def fail(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], decline: tuple[str, str, str, str | None]) -> None:
    """Record a declined attempt, then raise the 402 that carries the PaymentIntent."""
    code, decline_code, message, param = decline
    charge = charges.new_charge(
        ctx,
        pi,
        pm,
        amount=pi["amount"],
        status="failed",
        captured=False,
        failure=(code, decline_code, message),
    )
    error: dict[str, Any] = {
        "charge": charge["id"],
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"{errors.DOCS}/{code.replace('_', '-')}",
        "message": message,
        "payment_method": copy.deepcopy(pm),
        "type": "card_error",
    }
    if param:
        error["param"] = param
    pi.update(
        {
            "status": "requires_payment_method",
            "payment_method": None,
            "latest_charge": charge["id"],
            "last_payment_error": error,
            "next_action": None,
        }
    )
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    raise errors.card_error(
        message,
        code=code,
        decline_code=decline_code,
        param=param,
        charge=charge["id"],
        payment_intent=present(ctx, pi),
        payment_method=present(ctx, pm),
    )


def succeed(
    ctx: Ctx,
    pi: dict[str, Any],
    pm: dict[str, Any],
    *,
    three_d_secure: bool = False,
    generated_card: str | None = None,
) -> dict[str, Any]:
    manual = pi["capture_method"] == "manual"
    charge = charges.new_charge(
        ctx,
        pi,
        pm,
        amount=pi["amount"],
        status="succeeded",
        captured=not manual,
        three_d_secure=three_d_secure,
        generated_card=generated_card,
    )
    pi.update({"latest_charge": charge["id"], "payment_method": pm["id"], "next_action": None})
    _save_for_future(ctx, pi, pm, three_d_secure)
    ctx.emit("charge.succeeded", charge)
    if manual:
        pi.update({"status": "requires_capture", "amount_capturable": pi["amount"]})
        ctx.emit("payment_intent.amount_capturable_updated", pi)
    else:
        pi.update({"status": "succeeded", "amount_received": pi["amount"]})
        ctx.emit("payment_intent.succeeded", pi)
    return pi


def _save_for_future(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], authenticated: bool) -> None:
    if not pi.get("setup_future_usage") or not pi.get("customer") or pm["type"] == "card_present":
        return
    if authenticated:
        ctx.private(pm["id"])["setup_authenticated"] = True
    customer = ctx.get("customer", pi["customer"], param="customer")
    payment_methods.attach(ctx, pm, customer)


def _start_processing(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
    charge = charges.new_charge(
        ctx, pi, pm, amount=pi["amount"], status="pending", captured=False, mandate=pi.get("mandate")
    )
    pi.update({"status": "processing", "latest_charge": charge["id"]})
    ctx.private(pi["id"])["processing_since"] = ctx.now
    _save_for_future(ctx, pi, pm, False)
    ctx.emit("charge.pending", charge)
    ctx.emit("payment_intent.processing", pi)
    return pi


def settle_processing(sandbox: Host, *, force: bool = False) -> list[dict[str, Any]]:
    """Bank debits leave `processing` once they have been processing for the sandbox's
    `bank_settle_seconds` (sandbox clock; None: never by themselves, as a debit that takes days
    at Stripe — settle it with `settle_bank_debit`): succeed, or fail for the documented failing
    test account numbers. Returns the events emitted."""
    emitted: list[dict[str, Any]] = []
    store = sandbox.store
    delay = sandbox.bank_settle_seconds
    if delay is None and not force:
        return emitted
    for scope in list(store.objects):
        account = None if scope == store.platform_account else scope
        ctx = Ctx(sandbox, account=account, params={}, origin="clock")
        for pi in ctx.find("payment_intent", lambda p: p["status"] == "processing"):
            if not force and ctx.now - ctx.private(pi["id"]).get("processing_since", 0) < delay:
                continue
            pm = ctx.get("payment_method", pi["payment_method"])
            failure = payment_methods.FAILING_BANK_ACCOUNTS.get(
                ctx.private(pm["id"]).get("account_number", "")
            )
            settle_one(ctx, pi, failure=failure)
        emitted.extend(ctx.events)
    return emitted


def settle_one(ctx: Ctx, pi: dict[str, Any], *, failure: tuple[str, str] | None) -> dict[str, Any]:
    """Settle one `processing` bank debit now: succeeded, or failed with `failure` = (code, message)."""
    if pi["status"] != "processing":
        raise errors.invalid_request(
            f"This PaymentIntent's status is {pi['status']}; only a processing bank debit can be settled.",
            code="payment_intent_unexpected_state",
        )
    charge = ctx.get("charge", pi["latest_charge"])
    pm = ctx.get("payment_method", pi["payment_method"])
    if failure:
        code, message = failure
        charge.update({"status": "failed", "failure_code": code, "failure_message": message})
        pi.update(
            {
                "status": "requires_payment_method",
                "payment_method": None,
                "last_payment_error": {
                    "charge": charge["id"],
                    "code": code,
                    "message": message,
                    "payment_method": copy.deepcopy(pm),
                    "type": "invalid_request_error",
                },
            }
        )
        ctx.emit("charge.failed", charge)
        ctx.emit("payment_intent.payment_failed", pi)
    else:
        charge.update({"status": "succeeded", "paid": True})
        charges.capture(ctx, charge, pi["amount"])
        pi.update({"status": "succeeded", "amount_received": pi["amount"]})
        ctx.emit("charge.succeeded", charge)
        ctx.emit("payment_intent.succeeded", pi)
    return pi


def after_authentication(ctx: Ctx, pi: dict[str, Any], *, success: bool) -> dict[str, Any]:
    pm = ctx.get("payment_method", pi["payment_method"], param="payment_method")
    if success:
        return succeed(ctx, pi, pm, three_d_secure=True)
    pi.update(
        {
            "status": "requires_payment_method",
            "payment_method": None,
            "next_action": None,
            "last_payment_error": {
                "code": "payment_intent_authentication_failure",
                "doc_url": f"{errors.DOCS}/payment-intent-authentication-failure",
                "message": "The provided PaymentMethod has failed authentication. You can provide "
                "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
                "again.",
                "payment_method": copy.deepcopy(pm),
                "type": "invalid_request_error",
            },
        }
    )
    ctx.emit("payment_intent.payment_failed", pi)
    return pi


def _get(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("payment_intent", ctx.arg("id"), param="intent")


@router.post("/v1/payment_intents/{id}/confirm", "PaymentIntentConfirmParams")
def confirm_payment_intent(ctx: Ctx) -> dict[str, Any]:
    return confirm_intent(ctx, _get(ctx), ctx.params)


@router.post("/v1/payment_intents/{id}/capture", "PaymentIntentCaptureParams")
def capture_payment_intent(ctx: Ctx) -> dict[str, Any]:
    pi = _get(ctx)
    params = ctx.params
    if pi["status"] != "requires_capture":
        raise errors.unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            payment_intent=present(ctx, pi),
        )
    amount = params.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"]:
        raise errors.invalid_request(
            f"The amount to capture ({amount}) is greater than the amount capturable ({pi['amount_capturable']}).",
            code="amount_too_large",
            param="amount_to_capture",
        )
    if params.get("application_fee_amount") is not None:
        check_fee(ctx, params["application_fee_amount"], amount, pi.get("transfer_data"))
        pi["application_fee_amount"] = params["application_fee_amount"]
    apply_metadata(pi, params.get("metadata"))
    charge = ctx.get("charge", pi["latest_charge"], param="charge")
    charge["application_fee_amount"] = pi.get("application_fee_amount")
    charges.capture(ctx, charge, amount)
    pi.update({"status": "succeeded", "amount_received": amount, "amount_capturable": 0})
    ctx.emit("charge.captured", charge)
    ctx.emit("payment_intent.succeeded", pi)
    return pi


@router.post("/v1/payment_intents/{id}/cancel", "PaymentIntentCancelParams")
def cancel_payment_intent(ctx: Ctx) -> dict[str, Any]:
    pi = _get(ctx)
    if pi["status"] not in CANCELABLE:
        raise errors.unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: "
            + ", ".join(CANCELABLE)
            + ".",
            payment_intent=present(ctx, pi),
        )
    if pi["status"] == "processing" and "card_present" in pi["payment_method_types"]:
        # A card on a reader is with the bank: the authorisation finishes first (approved or
        # declined); only then can the intent be cancelled (or refunded).
        raise errors.unexpected_state(
            "You cannot cancel this PaymentIntent because a reader is processing its payment. Wait for "
            "the reader's action to finish.",
            payment_intent=present(ctx, pi),
        )
    if pi["status"] == "requires_capture":
        charge = ctx.get("charge", pi["latest_charge"], param="charge")
        before = copy.deepcopy(charge)
        charge.update({"refunded": True, "amount_refunded": charge["amount"]})
        ctx.emit("charge.refunded", charge, before)
    pi.update(
        {
            "status": "canceled",
            "canceled_at": ctx.now,
            "amount_capturable": 0,
            "next_action": None,
            "cancellation_reason": ctx.params.get("cancellation_reason"),
        }
    )
    ctx.emit("payment_intent.canceled", pi)
    return pi


@router.post("/v1/payment_intents/{id}", "PaymentIntentUpdateParams")
def update_payment_intent(ctx: Ctx) -> dict[str, Any]:
    pi = _get(ctx)
    params = ctx.params
    if pi["status"] in ("succeeded", "canceled", "processing", "requires_capture") and set(params) - {
        "metadata",
        "description",
        "receipt_email",
        "expand",
    }:
        raise errors.unexpected_state(
            f"This PaymentIntent's parameters could not be updated because it has a status of {pi['status']}.",
            payment_intent=present(ctx, pi),
        )
    if "amount" in params:
        _check_amount(params["amount"], params.get("currency", pi["currency"]))
    if params.get("application_fee_amount") is not None:
        check_fee(
            ctx, params["application_fee_amount"], params.get("amount", pi["amount"]), pi.get("transfer_data")
        )
    if params.get("customer"):
        ctx.get("customer", params["customer"], param="customer")
    for key in (
        "amount",
        "currency",
        "customer",
        "description",
        "receipt_email",
        "setup_future_usage",
        "capture_method",
        "application_fee_amount",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "shipping",
        "transfer_group",
    ):
        if key in params:
            pi[key] = params[key] if params[key] != "" else None
    pm = _pm_from_params(ctx, params)
    if pm is not None:
        _check_pm_customer(pm, pi["customer"])
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    apply_metadata(pi, params.get("metadata"))
    return pi


@router.get("/v1/payment_intents", "PaymentIntentListParams")
def list_payment_intents(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.params.get("customer")
    keep = created_filter(ctx.params.get("created"))
    items = ctx.find(
        "payment_intent", lambda p: keep(p) and (customer is None or p.get("customer") == customer)
    )
    return paginate(ctx, items, "/v1/payment_intents")


@router.get("/v1/payment_intents/{id}", "PaymentIntentRetrieveParams")
def retrieve_payment_intent(ctx: Ctx) -> dict[str, Any]:
    return _get(ctx)
