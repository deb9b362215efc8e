"""Refunds: full, partial and repeated partials up to what was captured."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Ctx, apply_metadata
from ..listing import created_filter, paginate
from ..router import router
from .charges import balance_transaction


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}" if currency != "jpy" else f"{amount} {currency}"


@router.post("/v1/refunds", "RefundCreateParams")
def create_refund(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    if params.get("charge") and params.get("payment_intent"):
        raise errors.invalid_request("You can only specify one of these parameters: charge, payment_intent.")
    if params.get("payment_intent"):
        pi = ctx.get("payment_intent", params["payment_intent"], param="payment_intent")
        if not pi.get("latest_charge") or pi["status"] != "succeeded":
            raise errors.invalid_request(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        charge = ctx.get("charge", pi["latest_charge"], param="payment_intent")
    elif params.get("charge"):
        charge = ctx.get("charge", params["charge"], param="charge")
    else:
        raise errors.missing_parameter("charge")
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise errors.invalid_request(
            f"Charge {charge['id']} has not been captured and cannot be refunded; "
            "cancel its PaymentIntent instead.",
            code="charge_not_refundable",
            param="charge",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise errors.invalid_request(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    amount = params.get("amount", remaining)
    if amount <= 0:
        raise errors.invalid_request("Refund amount must be positive.", param="amount")
    if amount > remaining:
        raise errors.invalid_request(
            f"Refund amount ({_money(amount, charge['currency'])}) is greater than unrefunded amount on charge "
            f"({_money(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    refund_id = ctx.new_id("re")
    txn = balance_transaction(
        ctx,
        amount=-amount,
        currency=charge["currency"],
        source=refund_id,
        kind="refund",
        description="REFUND FOR CHARGE",
    )
    kind = charge["payment_method_details"]["type"]
    refund: dict[str, Any] = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn["id"],
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "description": None,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
        if kind in ("card", "card_present")
        else {"type": kind},
        "instructions_email": None,
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method": charge.get("payment_method"),
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    apply_metadata(refund, params.get("metadata"))
    ctx.put(refund)
    before = copy.deepcopy(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, before)
    return refund


@router.get("/v1/refunds", "RefundListParams")
def list_refunds(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    items = ctx.find(
        "refund",
        lambda r: (
            keep(r)
            and (params.get("charge") is None or r["charge"] == params["charge"])
            and (params.get("payment_intent") is None or r["payment_intent"] == params["payment_intent"])
        ),
    )
    return paginate(ctx, items, "/v1/refunds")


@router.get("/v1/refunds/{id}", "RefundRetrieveParams")
def retrieve_refund(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("refund", ctx.arg("id"), param="refund")


@router.post("/v1/refunds/{id}", "RefundUpdateParams")
def update_refund(ctx: Ctx) -> dict[str, Any]:
    refund = ctx.get("refund", ctx.arg("id"), param="refund")
    before = copy.deepcopy(refund)
    apply_metadata(refund, ctx.params.get("metadata"))
    ctx.emit("refund.updated", refund, before)
    return refund
