"""Charges and balance transactions: what reconciliation reads after a payment.

Fees follow Stripe's US list prices (card 2.9% + 30¢, card_present 2.7% + 5¢, bank debits 0.8%
capped at $5); an `application_fee_amount` adds an `application_fee` line, so `net` is what the
connected account really keeps.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import cards
from ..context import Ctx, apply_metadata
from ..listing import created_filter, paginate
from ..router import router

AVAILABLE_AFTER = 2 * 24 * 3600


def stripe_fee(pm_type: str, amount: int) -> int:
    def pct(rate: str) -> int:
        return int((Decimal(amount) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    if pm_type == "card_present":
        return pct("0.027") + 5
    if pm_type in ("us_bank_account", "acss_debit"):
        return min(pct("0.008"), 500)
    return pct("0.029") + 30


def balance_transaction(
    ctx: Ctx,
    *,
    amount: int,
    currency: str,
    source: str,
    kind: str,
    fee_lines: list[tuple[str, int]] = (),
    description: str | None = None,
) -> dict[str, Any]:
    fee_details = [
        {
            "amount": value,
            "application": "ca_sandbox" if name == "application_fee" else None,
            "currency": currency,
            "description": "Stripe processing fees" if name == "stripe_fee" else "Application fee",
            "type": name,
        }
        for name, value in fee_lines
        if value
    ]
    fee = sum(line["amount"] for line in fee_details)
    txn = {
        "id": ctx.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": ctx.now + AVAILABLE_AFTER,
        "balance_type": "payments",
        "created": ctx.now,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "pending",
        "type": kind,
    }
    return ctx.put(txn)


def payment_method_details(
    ctx: Ctx,
    pm: dict[str, Any],
    amount: int,
    *,
    generated_card: str | None = None,
    three_d_secure: bool = False,
    mandate: str | None = None,
) -> dict[str, Any]:
    kind = pm["type"]
    if kind == "card":
        card = pm["card"]
        details: dict[str, Any] = {
            "amount_authorized": amount,
            "authorization_code": ctx.sandbox.ids.digits(6),
            "brand": card["brand"],
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": card["checks"]["cvc_check"] and "pass",
            },
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card["brand"],
            "network_token": {"used": False},
            "network_transaction_id": ctx.sandbox.ids.digits(15),
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": {
                "authentication_flow": "challenge",
                "electronic_commerce_indicator": "05",
                "exemption_indicator": None,
                "result": "authenticated",
                "result_reason": None,
                "transaction_id": None,
                "version": "2.2.0",
            }
            if three_d_secure
            else None,
            "wallet": None,
        }
        return {"card": details, "type": "card"}
    if kind == "card_present":
        present = pm["card_present"]
        details = {
            "amount_authorized": amount,
            "brand": present["brand"],
            "brand_product": None,
            "capture_before": ctx.now + 2 * 24 * 3600,
            "cardholder_name": present["cardholder_name"],
            "country": present["country"],
            "description": None,
            "emv_auth_data": "8A023030",
            "exp_month": present["exp_month"],
            "exp_year": present["exp_year"],
            "fingerprint": present["fingerprint"],
            "funding": present["funding"],
            "generated_card": generated_card,
            "incremental_authorization_supported": False,
            "issuer": None,
            "last4": present["last4"],
            "network": present["brand"],
            "network_transaction_id": ctx.sandbox.ids.digits(15),
            "offline": None,
            "overcapture_supported": False,
            "preferred_locales": ["en"],
            "read_method": present["read_method"],
            "receipt": {
                "account_type": "credit",
                "application_cryptogram": "EFE2C6D0D36E9AB8",
                "application_preferred_name": "Stripe Credit",
                "authorization_code": "123456",
                "authorization_response_code": "3030",
                "cardholder_verification_method": "approval",
                "dedicated_file_name": "A000000003101001",
                "terminal_verification_results": "0000000000",
                "transaction_status_information": "0000",
            },
            "wallet": {"type": "unknown"},
        }
        return {"card_present": details, "type": "card_present"}
    bank = dict(pm[kind])
    bank.pop("networks", None)
    bank.pop("status_details", None)
    bank.pop("financial_connections_account", None)
    bank["mandate"] = mandate
    return {kind: bank, "type": kind}


def new_charge(
    ctx: Ctx,
    pi: dict[str, Any],
    pm: dict[str, Any],
    *,
    amount: int,
    status: str,
    captured: bool,
    failure: tuple[str, str, str] | None = None,
    generated_card: str | None = None,
    three_d_secure: bool = False,
    mandate: str | None = None,
) -> dict[str, Any]:
    """A Charge for one payment attempt; `failure` is (failure_code, decline_code, message)."""
    charge_id = ctx.new_id("ch")
    if failure:
        decline_code = failure[1]
        outcome = {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network",
            "reason": decline_code,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    else:
        outcome = {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": "ca_sandbox" if pi.get("application_fee_amount") else None,
        "application_fee": None,
        "application_fee_amount": pi.get("application_fee_amount"),
        "balance_transaction": None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "SANDBOX",
        "captured": False,
        "created": ctx.now,
        "currency": pi["currency"],
        "customer": pi.get("customer"),
        "description": pi.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure[0] if failure else None,
        "failure_message": failure[2] if failure else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi.get("metadata") or {}),
        "on_behalf_of": pi.get("on_behalf_of"),
        "outcome": outcome,
        "paid": status == "succeeded",
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": payment_method_details(
            ctx, pm, amount, generated_card=generated_card, three_d_secure=three_d_secure, mandate=mandate
        ),
        "radar_options": {},
        "receipt_email": pi.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"{ctx.sandbox.public_url}/_sandbox/receipts/{charge_id}",
        "refunded": False,
        "review": None,
        "shipping": pi.get("shipping"),
        "source_transfer": None,
        "statement_descriptor": pi.get("statement_descriptor"),
        "statement_descriptor_suffix": pi.get("statement_descriptor_suffix"),
        "status": status,
        "transfer_data": pi.get("transfer_data"),
        "transfer_group": pi.get("transfer_group"),
    }
    ctx.put(charge)
    if captured:
        capture(ctx, charge, amount)
    return charge


def capture(ctx: Ctx, charge: dict[str, Any], amount: int) -> None:
    """Mark captured and book the balance transaction (uncaptured charges have none, as at Stripe)."""
    pm_type = charge["payment_method_details"]["type"]
    application_fee = charge.get("application_fee_amount") or 0
    charge["captured"] = True
    charge["amount_captured"] = amount
    if amount < charge["amount"]:
        # A partial capture releases the rest, which Stripe reports as refunded.
        charge["amount_refunded"] = charge["amount"] - amount
    if application_fee:
        charge["application_fee"] = "fee_" + charge["id"][3:]
    txn = balance_transaction(
        ctx,
        amount=amount,
        currency=charge["currency"],
        source=charge["id"],
        kind="charge",
        fee_lines=[("stripe_fee", stripe_fee(pm_type, amount)), ("application_fee", application_fee)],
        description=charge.get("description"),
    )
    charge["balance_transaction"] = txn["id"]


def card_number_of(ctx: Ctx, pm: dict[str, Any]) -> str:
    return ctx.private(pm["id"]).get("number", "")


def spec_of(ctx: Ctx, pm: dict[str, Any]) -> cards.CardSpec:
    return cards.lookup(card_number_of(ctx, pm))


@router.get("/v1/charges", "ChargeListParams")
def list_charges(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    items = ctx.find(
        "charge",
        lambda c: (
            keep(c)
            and all(
                params.get(k) is None or c.get(k) == params[k]
                for k in ("customer", "payment_intent", "transfer_group")
            )
        ),
    )
    return paginate(ctx, items, "/v1/charges")


@router.get("/v1/charges/{id}", "ChargeRetrieveParams")
def retrieve_charge(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("charge", ctx.arg("id"))


@router.post("/v1/charges/{id}", "ChargeUpdateParams")
def update_charge(ctx: Ctx) -> dict[str, Any]:
    charge = ctx.get("charge", ctx.arg("id"))
    before = dict(charge, metadata=dict(charge["metadata"]))
    apply_metadata(charge, ctx.params.get("metadata"))
    for key in ("description", "receipt_email"):
        if key in ctx.params:
            charge[key] = ctx.params[key] or None
    ctx.emit("charge.updated", charge, before)
    return charge


@router.get("/v1/balance_transactions", "BalanceTransactionListParams")
def list_balance_transactions(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    items = ctx.find(
        "balance_transaction",
        lambda t: (
            keep(t)
            and (params.get("type") is None or t["type"] == params["type"])
            and (params.get("source") is None or t["source"] == params["source"])
        ),
    )
    return paginate(ctx, items, "/v1/balance_transactions")


@router.get("/v1/balance_transactions/{id}", "BalanceTransactionRetrieveParams")
def retrieve_balance_transaction(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("balance_transaction", ctx.arg("id"))
