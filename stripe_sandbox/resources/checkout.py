"""Checkout Sessions (payment and setup modes) and their completion by the hosted page.

The PaymentIntent or SetupIntent is created when the customer submits the hosted form, and the
session completes through the same intent code as the API, so declines, 3DS and saved cards
behave identically whether a test drives the API or a browser drives the page.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Ctx, apply_metadata, invoke
from ..listing import created_filter, paginate
from ..router import router
from . import customers, payment_intents, payment_methods, setup_intents

SESSION_LIFETIME = 24 * 3600


def _line_items(ctx: Ctx, given: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    currency = None
    for index, item in enumerate(given):
        if item.get("price"):
            raise errors.missing("price", item["price"], f"line_items[{index}][price]")
        data = item.get("price_data")
        if not data:
            raise errors.missing_parameter(f"line_items[{index}][price_data]")
        if data.get("unit_amount") is None:
            raise errors.missing_parameter(f"line_items[{index}][price_data][unit_amount]")
        name = (data.get("product_data") or {}).get("name")
        if not name and not data.get("product"):
            raise errors.missing_parameter(f"line_items[{index}][price_data][product_data][name]")
        quantity = item.get("quantity", 1)
        currency = currency or data["currency"]
        if data["currency"] != currency:
            raise errors.invalid_request(
                "All line items must use the same currency.",
                param=f"line_items[{index}][price_data][currency]",
            )
        total = data["unit_amount"] * quantity
        items.append(
            {
                "id": "li_" + ctx.token(24),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": total,
                "amount_tax": 0,
                "amount_total": total,
                "currency": currency,
                "description": name,
                "price": {
                    "id": "price_" + ctx.token(24),
                    "object": "price",
                    "active": False,
                    "currency": currency,
                    "product": data.get("product") or "prod_" + ctx.token(14),
                    "type": "one_time",
                    "unit_amount": data["unit_amount"],
                    "unit_amount_decimal": str(data["unit_amount"]),
                },
                "quantity": quantity,
            }
        )
    return items, currency


@router.post("/v1/checkout/sessions", "checkout.SessionCreateParams")
def create_session(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    mode = params.get("mode")
    if mode not in ("payment", "setup"):
        if mode is None:
            raise errors.missing_parameter("mode")
        raise errors.invalid_request(
            f"The sandbox supports Checkout in `payment` and `setup` modes, not `{mode}`.", param="mode"
        )
    items: list[dict[str, Any]] = []
    currency = params.get("currency")
    if mode == "payment":
        if not params.get("line_items"):
            raise errors.missing_parameter("line_items")
        items, currency = _line_items(ctx, params["line_items"])
    pi_data = params.get("payment_intent_data") or {}
    if pi_data.get("application_fee_amount") is not None:
        payment_intents.check_fee(
            ctx,
            pi_data["application_fee_amount"],
            sum(i["amount_total"] for i in items),
            pi_data.get("transfer_data"),
        )
    if params.get("customer"):
        ctx.get("customer", params["customer"], param="customer")
    total = sum(i["amount_total"] for i in items)
    session_id = ctx.new_id("cs_test")
    session: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total if mode == "payment" else None,
        "amount_total": total if mode == "payment" else None,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": currency,
        "custom_fields": [],
        "customer": params.get("customer"),
        "customer_creation": params.get("customer_creation", "if_required")
        if not params.get("customer")
        else None,
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": params.get("expires_at") or ctx.now + SESSION_LIFETIME,
        "invoice": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": {},
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_options": {},
        "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
        "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
        "recovered_from": None,
        "setup_intent": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{ctx.sandbox.public_url}/_sandbox/checkout/{session_id}",
    }
    apply_metadata(session, params.get("metadata"))
    ctx.private(session_id).update(
        {
            "line_items": items,
            "payment_intent_data": pi_data,
            "setup_intent_data": params.get("setup_intent_data") or {},
        }
    )
    return ctx.put(session)


def _get(ctx: Ctx) -> dict[str, Any]:
    session = ctx.get("checkout.session", ctx.arg("id"), param="session")
    expire_if_due(ctx, session)
    return session


def expire_if_due(ctx: Ctx, session: dict[str, Any]) -> None:
    if session["status"] == "open" and ctx.now >= session["expires_at"]:
        _expire(ctx, session)


def _expire(ctx: Ctx, session: dict[str, Any]) -> None:
    session.update({"status": "expired", "url": None})
    ctx.emit("checkout.session.expired", session)


@router.get("/v1/checkout/sessions", "checkout.SessionListParams")
def list_sessions(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    items = ctx.find(
        "checkout.session",
        lambda s: (
            keep(s)
            and all(
                params.get(k) is None or s.get(k) == params[k]
                for k in ("customer", "payment_intent", "status")
            )
        ),
    )
    return paginate(ctx, items, "/v1/checkout/sessions")


@router.get("/v1/checkout/sessions/{id}", "checkout.SessionRetrieveParams")
def retrieve_session(ctx: Ctx) -> dict[str, Any]:
    return _get(ctx)


@router.get("/v1/checkout/sessions/{id}/line_items", "checkout.SessionListLineItemsParams")
def list_line_items(ctx: Ctx) -> dict[str, Any]:
    session = _get(ctx)
    items = ctx.private(session["id"]).get("line_items", [])
    return paginate(ctx, items, f"/v1/checkout/sessions/{session['id']}/line_items")


@router.post("/v1/checkout/sessions/{id}/expire", "checkout.SessionExpireParams")
def expire_session(ctx: Ctx) -> dict[str, Any]:
    session = _get(ctx)
    if session["status"] != "open":
        raise errors.invalid_request(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status '
            f'of "{session["status"]}".',
            param="session",
        )
    _expire(ctx, session)
    return session


def pay(
    ctx: Ctx,
    session: dict[str, Any],
    *,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    email: str | None,
    name: str | None = None,
) -> dict[str, Any]:
    """The hosted form's submit: pay (or set up) with the typed card; errors propagate as StripeError.

    Returns the intent, which may be in `requires_action` (3DS) — the page then sends the
    customer through the challenge and calls `finalize`.
    """
    expire_if_due(ctx, session)
    if session["status"] != "open":
        raise errors.invalid_request(f"This Checkout Session is {session['status']}.", param="session")
    customer_id = session["customer"] or _customer_for(ctx, session, email, name)
    pm = payment_methods.create_card(
        ctx, number, exp_month, exp_year, cvc, {"billing_details": {"email": email, "name": name}}
    )
    private = ctx.private(session["id"])
    if session["mode"] == "payment":
        data = private.get("payment_intent_data", {})
        if session["payment_intent"]:
            pi = ctx.get("payment_intent", session["payment_intent"])
            intent = payment_intents.confirm_intent(ctx, pi, {}, pm=pm)
        else:
            params: dict[str, Any] = {
                "amount": session["amount_total"],
                "currency": session["currency"],
                "customer": customer_id,
                "allowed_payment_method_types": ["card"],
                "payment_method": pm["id"],
                "metadata": data.get("metadata") or {},
                **{
                    k: v
                    for k, v in data.items()
                    if k
                    in (
                        "application_fee_amount",
                        "capture_method",
                        "description",
                        "receipt_email",
                        "setup_future_usage",
                        "transfer_data",
                        "statement_descriptor",
                        "transfer_group",
                    )
                },
            }
            intent = invoke(ctx, payment_intents.create_payment_intent, params)
            session["payment_intent"] = intent["id"]
            intent = payment_intents.confirm_intent(ctx, intent, {})
    else:
        data = private.get("setup_intent_data", {})
        if session["setup_intent"]:
            si = ctx.get("setup_intent", session["setup_intent"])
            intent = setup_intents.confirm_setup(ctx, si, {"payment_method": pm["id"]})
        else:
            params = {
                "customer": customer_id,
                "payment_method": pm["id"],
                "usage": "off_session",
                "metadata": data.get("metadata") or {},
                "description": data.get("description"),
            }
            intent = invoke(
                ctx, setup_intents.create_setup_intent, {k: v for k, v in params.items() if v is not None}
            )
            session["setup_intent"] = intent["id"]
            intent = setup_intents.confirm_setup(ctx, intent, {})
    private["customer_details"] = {
        "address": None,
        "email": email,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    finalize(ctx, session)
    return intent


def _customer_for(ctx: Ctx, session: dict[str, Any], email: str | None, name: str | None) -> str | None:
    saving = (ctx.private(session["id"]).get("payment_intent_data") or {}).get("setup_future_usage")
    if session["mode"] == "setup" or session.get("customer_creation") == "always" or saving:
        customer = invoke(
            ctx,
            customers.create_customer,
            {"email": email or session.get("customer_email"), **({"name": name} if name else {})},
        )
        session["customer"] = customer["id"]
        return customer["id"]
    return None


def finalize(ctx: Ctx, session: dict[str, Any]) -> bool:
    """Complete the session once its intent has succeeded (or is authorized); True when complete."""
    if session["status"] != "open":
        return session["status"] == "complete"
    intent_id = session["payment_intent"] or session["setup_intent"]
    intent = ctx.maybe(intent_id)
    if not intent or intent["status"] not in ("succeeded", "requires_capture", "processing"):
        return False
    details = ctx.private(session["id"]).get("customer_details") or {
        "address": None,
        "email": session.get("customer_email"),
        "name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    session.update(
        {
            "status": "complete",
            "url": None,
            "customer_details": details,
            "customer": session["customer"] or intent.get("customer"),
            "payment_status": ("paid" if intent["status"] == "succeeded" else "unpaid")
            if session["mode"] == "payment"
            else "no_payment_required",
        }
    )
    ctx.emit("checkout.session.completed", session)
    return True


def success_redirect(session: dict[str, Any]) -> str | None:
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None
