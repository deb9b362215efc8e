"""Customers: CRUD, `email` filter, and `invoice_settings.default_payment_method`."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Ctx, apply_metadata, merge
from ..listing import created_filter, paginate
from ..router import router
from . import payment_methods

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {key: value.get(key) or None for key in ADDRESS_KEYS}


def _check_default_pm(ctx: Ctx, customer_id: str, settings: dict[str, Any] | None) -> None:
    pm_id = (settings or {}).get("default_payment_method")
    if not pm_id:
        return
    pm = ctx.get("payment_method", pm_id, param="invoice_settings[default_payment_method]")
    if pm.get("customer") != customer_id:
        raise errors.invalid_request(
            f"The customer does not have a payment method with the ID {pm_id}. The payment method must be "
            "attached to the customer.",
            param="invoice_settings[default_payment_method]",
        )


def _apply(ctx: Ctx, customer: dict[str, Any], params: dict[str, Any]) -> None:
    for key in ("email", "name", "phone", "description", "preferred_locales", "tax_exempt", "balance"):
        if key in params:
            customer[key] = params[key] if params[key] != "" else None
    if "address" in params:
        customer["address"] = _address(params["address"] or None)
    if "shipping" in params:
        customer["shipping"] = copy.deepcopy(params["shipping"]) or None
    if "invoice_settings" in params:
        settings = params["invoice_settings"] or {}
        _check_default_pm(ctx, customer["id"], settings)
        merge(customer["invoice_settings"], settings)
    apply_metadata(customer, params.get("metadata"))


@router.post("/v1/customers", "CustomerCreateParams")
def create_customer(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    customer_id = ctx.new_id("cus")
    customer: dict[str, Any] = {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": ctx.now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": ctx.token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    pm_id = params.get("payment_method")
    pm = payment_methods.resolve(ctx, pm_id) if pm_id else None
    settings = params.get("invoice_settings") or {}
    _apply(ctx, customer, {k: v for k, v in params.items() if k != "invoice_settings"})
    ctx.put(customer)
    if pm is not None:
        payment_methods.attach(ctx, pm, customer)
    if settings:
        _check_default_pm(ctx, customer_id, settings)
        merge(customer["invoice_settings"], settings)
    ctx.emit("customer.created", customer)
    return customer


@router.get("/v1/customers", "CustomerListParams")
def list_customers(ctx: Ctx) -> dict[str, Any]:
    email = ctx.params.get("email")
    keep = created_filter(ctx.params.get("created"))
    items = ctx.find(
        "customer", lambda c: not c.get("deleted") and (email is None or c.get("email") == email) and keep(c)
    )
    return paginate(ctx, items, "/v1/customers")


@router.get("/v1/customers/{id}", "CustomerRetrieveParams")
def retrieve_customer(ctx: Ctx) -> dict[str, Any]:
    obj = ctx.store.get(ctx.scope, ctx.arg("id"))
    if obj and obj.get("object") == "customer" and obj.get("deleted"):
        return {"id": obj["id"], "object": "customer", "deleted": True}
    return ctx.get("customer", ctx.arg("id"))


@router.post("/v1/customers/{id}", "CustomerUpdateParams")
def update_customer(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.get("customer", ctx.arg("id"))
    before = copy.deepcopy(customer)
    _apply(ctx, customer, ctx.params)
    ctx.emit("customer.updated", customer, before)
    return customer


@router.delete("/v1/customers/{id}", "CustomerDeleteParams")
def delete_customer(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.get("customer", ctx.arg("id"))
    for pm in ctx.find("payment_method", lambda p: p.get("customer") == customer["id"]):
        pm["customer"] = None
    customer["deleted"] = True
    ctx.emit("customer.deleted", customer)
    return {"id": customer["id"], "object": "customer", "deleted": True}


@router.get("/v1/customers/{id}/payment_methods", "CustomerListPaymentMethodsParams")
def list_customer_payment_methods(ctx: Ctx) -> dict[str, Any]:
    customer = ctx.get("customer", ctx.arg("id"), param="customer")
    wanted = ctx.params.get("type")
    items = ctx.find(
        "payment_method",
        lambda p: p.get("customer") == customer["id"] and (wanted is None or p["type"] == wanted),
    )
    return paginate(ctx, items, f"/v1/customers/{customer['id']}/payment_methods")
