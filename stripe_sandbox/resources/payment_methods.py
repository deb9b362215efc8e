"""PaymentMethods: cards (from test numbers or `pm_card_*` ids), card_present, and bank debits.

Card details (brand, last4, funding, country, fingerprint) are derived from the number, and the
number is kept privately so every later payment can behave as that test card does.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import cards, errors
from ..context import Ctx, apply_metadata, merge
from ..listing import paginate
from ..router import router

US_BANKS = {"110000000": "STRIPE TEST BANK"}
FAILING_BANK_ACCOUNTS = {
    "000111111113": ("account_closed", "The customer's bank account has been closed."),
    "000111111116": ("no_account", "The customer's bank account could not be located."),
    "000222222227": (
        "insufficient_funds",
        "The customer's account has insufficient funds to cover this payment.",
    ),
    "900123456789": ("debit_not_authorized", "The customer's bank could not authorize this debit."),
}


def billing_details(given: dict[str, Any] | None) -> dict[str, Any]:
    given = given or {}
    address = given.get("address") or {}
    return {
        "address": {
            k: address.get(k) or None for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "email": given.get("email") or None,
        "name": given.get("name") or None,
        "phone": given.get("phone") or None,
        "tax_id": given.get("tax_id") or None,
    }


def _base(ctx: Ctx, pm_type: str, params: dict[str, Any]) -> dict[str, Any]:
    pm = {
        "id": ctx.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": params.get("allow_redisplay", "unspecified"),
        "billing_details": billing_details(params.get("billing_details")),
        "created": ctx.now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": pm_type,
    }
    apply_metadata(pm, params.get("metadata"))
    return pm


def card_details(spec: cards.CardSpec, exp_month: int, exp_year: int, cvc: str | None) -> dict[str, Any]:
    return {
        "brand": spec.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "unchecked" if cvc else None,
        },
        "country": spec.country,
        "display_brand": cards.display_brand(spec.brand),
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": cards.fingerprint(spec.number),
        "funding": spec.funding,
        "generated_from": None,
        "last4": spec.number[-4:],
        "networks": {"available": [spec.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def _card_number(ctx: Ctx, card: dict[str, Any]) -> tuple[str, int, int, str | None]:
    if card.get("token"):
        number = cards.TEST_TOKENS.get(card["token"])
        if number is None:
            raise errors.missing("token", card["token"], "card[token]")
        return number, 12, ctx_year(ctx) + 3, None
    for key in ("number", "exp_month", "exp_year"):
        if key not in card:
            raise errors.missing_parameter(f"card[{key}]")
    number = str(card["number"]).replace(" ", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not cards.luhn_ok(number):
        raise errors.card_error("Your card number is incorrect.", code="incorrect_number", param="number")
    month, year = card["exp_month"], card["exp_year"]
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12:
        raise errors.card_error(
            "Your card's expiration month is invalid.", code="invalid_expiry_month", param="exp_month"
        )
    if year < ctx_year(ctx) or year > ctx_year(ctx) + 50:
        raise errors.card_error(
            "Your card's expiration year is invalid.", code="invalid_expiry_year", param="exp_year"
        )
    return number, month, year, card.get("cvc")


def ctx_year(ctx: Ctx) -> int:
    import datetime

    return datetime.datetime.fromtimestamp(ctx.now, tz=datetime.UTC).year


def create_card(
    ctx: Ctx,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec = cards.lookup(number)
    pm = _base(ctx, "card", params or {})
    pm["card"] = card_details(spec, exp_month, exp_year, cvc)
    ctx.private(pm["id"]).update({"number": spec.number})
    return ctx.put(pm)


def create_card_present(ctx: Ctx, number: str, *, cardholder_name: str | None = None) -> dict[str, Any]:
    spec = cards.lookup(number)
    pm = _base(ctx, "card_present", {})
    year = ctx_year(ctx) + 4
    pm["card_present"] = {
        "brand": spec.brand,
        "brand_product": None,
        "cardholder_name": cardholder_name,
        "country": spec.country,
        "description": None,
        "exp_month": 12,
        "exp_year": year,
        "fingerprint": cards.fingerprint(spec.number),
        "funding": spec.funding,
        "issuer": None,
        "last4": spec.number[-4:],
        "networks": {"available": [spec.brand], "preferred": None},
        "offline": None,
        "preferred_locales": ["en"],
        "read_method": "contactless_emv",
        "wallet": {"type": "unknown"},
    }
    ctx.private(pm["id"]).update({"number": spec.number})
    return ctx.put(pm)


def _bank(ctx: Ctx, pm_type: str, params: dict[str, Any]) -> dict[str, Any]:
    data = params.get(pm_type) or {}
    pm = _base(ctx, pm_type, params)
    if not pm["billing_details"]["name"]:
        raise errors.missing_parameter("billing_details[name]")
    if pm_type == "acss_debit" and not pm["billing_details"]["email"]:
        raise errors.missing_parameter("billing_details[email]")
    account_number = data.get("account_number") or "000123456789"
    if pm_type == "us_bank_account":
        routing = data.get("routing_number") or "110000000"
        pm["us_bank_account"] = {
            "account_holder_type": data.get("account_holder_type", "individual"),
            "account_type": data.get("account_type", "checking"),
            "bank_name": US_BANKS.get(routing, "STRIPE TEST BANK"),
            "financial_connections_account": data.get("financial_connections_account"),
            "fingerprint": cards.fingerprint(routing + account_number),
            "last4": account_number[-4:],
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": routing,
            "status_details": None,
        }
    else:
        institution = data.get("institution_number") or "000"
        transit = data.get("transit_number") or "11000"
        pm["acss_debit"] = {
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": cards.fingerprint(institution + transit + account_number),
            "institution_number": institution,
            "last4": account_number[-4:],
            "transit_number": transit,
        }
    ctx.private(pm["id"]).update({"account_number": account_number})
    return ctx.put(pm)


def create_from_params(ctx: Ctx, params: dict[str, Any], param_prefix: str = "") -> dict[str, Any]:
    """A new PaymentMethod from `type` + details (`/v1/payment_methods` or `payment_method_data`)."""
    pm_type = params.get("type")
    if not pm_type:
        raise errors.missing_parameter(f"{param_prefix}type" if not param_prefix else f"{param_prefix}[type]")
    if pm_type == "card":
        if "card" not in params:
            raise errors.missing_parameter("card")
        number, month, year, cvc = _card_number(ctx, params["card"])
        return create_card(ctx, number, month, year, cvc, params)
    if pm_type in ("us_bank_account", "acss_debit"):
        return _bank(ctx, pm_type, params)
    raise errors.invalid_request(
        f"The payment method type `{pm_type}` is not supported by the stripe sandbox.", param="type"
    )


def resolve(ctx: Ctx, pm_id: str, param: str = "payment_method") -> dict[str, Any]:
    """A stored PaymentMethod, or a fresh one for Stripe's test ids (`pm_card_visa` → new `pm_…`)."""
    number = cards.TEST_PAYMENT_METHODS.get(pm_id)
    if number is not None:
        return create_card(ctx, number, 12, ctx_year(ctx) + 3, None)
    return ctx.get("payment_method", pm_id, param=param)


def is_card_declined_on_attach(ctx: Ctx, pm: dict[str, Any]) -> tuple[str, str, str, str | None] | None:
    """Declining test cards cannot be saved: attaching or setting them up fails like a charge."""
    if pm["type"] != "card":
        return None
    spec = cards.lookup(ctx.private(pm["id"]).get("number", ""))
    if spec.decline and not spec.charge_only_decline:
        return spec.decline
    return None


def attach(ctx: Ctx, pm: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
    if pm.get("customer") == customer["id"]:
        return pm
    if pm.get("customer"):
        raise errors.invalid_request(
            "The payment method you provided has already been attached to a customer.", param="payment_method"
        )
    pm["customer"] = customer["id"]
    ctx.emit("payment_method.attached", pm)
    return pm


@router.post("/v1/payment_methods", "PaymentMethodCreateParams")
def create_payment_method(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    if params.get("payment_method"):
        return _clone_from_platform(ctx, params)
    return create_from_params(ctx, params)


def _clone_from_platform(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Connect's "clone a platform customer's PaymentMethod onto the connected account"."""
    if not ctx.account:
        raise errors.invalid_request(
            "`payment_method` can only be used with a `Stripe-Account` header to "
            "clone a PaymentMethod to a connected account.",
            param="payment_method",
        )
    source = ctx.store.get(ctx.store.platform_account, params["payment_method"])
    if not source or source.get("object") != "payment_method":
        raise errors.missing("PaymentMethod", params["payment_method"], "payment_method")
    if params.get("customer") and source.get("customer") != params["customer"]:
        raise errors.invalid_request(
            "The PaymentMethod is not attached to the given customer.", param="customer"
        )
    clone = copy.deepcopy(source)
    clone.update({"id": ctx.new_id("pm"), "customer": None, "created": ctx.now, "metadata": {}})
    ctx.private(clone["id"]).update(ctx.store.private(source["id"]))
    return ctx.put(clone)


@router.get("/v1/payment_methods", "PaymentMethodListParams")
def list_payment_methods(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.params.get("customer")
    if customer:
        ctx.get("customer", customer, param="customer")
    wanted = ctx.params.get("type")
    items = ctx.find(
        "payment_method",
        lambda p: (
            (customer is None or p.get("customer") == customer) and (wanted is None or p["type"] == wanted)
        ),
    )
    return paginate(ctx, items, "/v1/payment_methods")


@router.get("/v1/payment_methods/{id}", "PaymentMethodRetrieveParams")
def retrieve_payment_method(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("payment_method", ctx.arg("id"))


@router.post("/v1/payment_methods/{id}", "PaymentMethodUpdateParams")
def update_payment_method(ctx: Ctx) -> dict[str, Any]:
    pm = ctx.get("payment_method", ctx.arg("id"))
    params = ctx.params
    before = copy.deepcopy(pm)
    if "billing_details" in params:
        merge(pm["billing_details"], params["billing_details"])
    if params.get("card") and pm["type"] == "card":
        for key in ("exp_month", "exp_year"):
            if key in params["card"]:
                pm["card"][key] = params["card"][key]
    if "allow_redisplay" in params:
        pm["allow_redisplay"] = params["allow_redisplay"]
    apply_metadata(pm, params.get("metadata"))
    ctx.emit("payment_method.updated", pm, before)
    return pm


@router.post("/v1/payment_methods/{id}/attach", "PaymentMethodAttachParams")
def attach_payment_method(ctx: Ctx) -> dict[str, Any]:
    if not ctx.params.get("customer"):
        raise errors.missing_parameter("customer")
    customer = ctx.get("customer", ctx.params["customer"], param="customer")
    pm = resolve(ctx, ctx.arg("id"), param="payment_method")
    decline = is_card_declined_on_attach(ctx, pm)
    if decline:
        code, decline_code, message, param = decline
        raise errors.card_error(message, code=code, decline_code=decline_code, param=param)
    return attach(ctx, pm, customer)


@router.post("/v1/payment_methods/{id}/detach", "PaymentMethodDetachParams")
def detach_payment_method(ctx: Ctx) -> dict[str, Any]:
    pm = ctx.get("payment_method", ctx.arg("id"))
    if not pm.get("customer"):
        raise errors.invalid_request(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    detach(ctx, pm)
    return pm


def detach(ctx: Ctx, pm: dict[str, Any]) -> None:
    customer = ctx.maybe(pm["customer"])
    before = copy.deepcopy(pm)
    pm["customer"] = None
    if customer and customer["invoice_settings"].get("default_payment_method") == pm["id"]:
        cust_before = copy.deepcopy(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        ctx.emit("customer.updated", customer, cust_before)
    ctx.emit("payment_method.detached", pm, before)
