"""One function per Stripe operation the product uses. Keyword-only; the account is always named.

Writes take `idempotency_key`, built by the caller from its own row (`payment:<id>`,
`customer:<client_id>:<account>`…) and stored there before the call, so our retries reuse it.
"""

from __future__ import annotations

from typing import Any

from payments.gateway.calls import PLATFORM, _Platform, call, call_with_id
from payments.gateway.types import (
    Account,
    AccountLink,
    Customer,
    PaymentIntent,
    PaymentMethod,
    Refund,
    SetupIntent,
)

AccountRef = str | _Platform

# --- Connect: accounts and onboarding (always on the platform) ------------------------------------


def account_create(
    *,
    idempotency_key: str,
    country: str,
    email: str | None,
    business_name: str | None,
    metadata: dict[str, str],
) -> Account:
    """A new connected account the platform controls (controller properties; never the old `type`)."""
    params = {
        "country": country,
        "email": email,
        "metadata": metadata,
        "business_profile": {"name": business_name} if business_name else None,
        "controller": {
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "stripe_dashboard": {"type": "express"},
            "requirement_collection": "stripe",
        },
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    }
    return Account.from_stripe(
        call(
            lambda c: c.v1.accounts.create,
            params,
            account=PLATFORM,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def account_retrieve(*, account_id: str) -> Account:
    return Account.from_stripe(
        call_with_id(lambda c: c.v1.accounts.retrieve, account_id, account=PLATFORM, write=False)
    )


def account_fill_test_details(*, account_id: str, idempotency_key: str, business_url: str) -> Account:
    """Test mode only (the demo seed): answer onboarding's questions through the API, the way a
    platform collecting requirements itself would, so demo accounts can take payments at once."""
    params = {
        "business_type": "company",
        "business_profile": {"mcc": "7997", "url": business_url},
        "external_account": "btok_us_verified",
        "individual": {"first_name": "Demo", "last_name": "Owner"},
        "tos_acceptance": {"date": 1767225600, "ip": "127.0.0.1"},
    }
    return Account.from_stripe(
        call_with_id(
            lambda c: c.v1.accounts.update,
            account_id,
            params,
            account=PLATFORM,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def account_link_create(
    *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str
) -> AccountLink:
    data = call(
        lambda c: c.v1.account_links.create,
        {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        },
        account=PLATFORM,
        idempotency_key=idempotency_key,
        write=True,
    )
    return AccountLink(url=data["url"], expires_at=int(data["expires_at"]))


# --- Customers and saved payment methods --------------------------------------------------------


def customer_create(
    *, account: AccountRef, idempotency_key: str, email: str | None, name: str, metadata: dict[str, str]
) -> Customer:
    data = call(
        lambda c: c.v1.customers.create,
        {"email": email or None, "name": name, "metadata": metadata},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Customer.from_stripe(data)


def customer_retrieve(*, account: AccountRef, customer_id: str) -> Customer:
    return Customer.from_stripe(
        call_with_id(lambda c: c.v1.customers.retrieve, customer_id, account=account, write=False)
    )


def payment_method_retrieve(*, account: AccountRef, payment_method_id: str) -> PaymentMethod:
    return PaymentMethod.from_stripe(
        call_with_id(lambda c: c.v1.payment_methods.retrieve, payment_method_id, account=account, write=False)
    )


def payment_method_detach(
    *, account: AccountRef, payment_method_id: str, idempotency_key: str
) -> PaymentMethod:
    return PaymentMethod.from_stripe(
        call_with_id(
            lambda c: c.v1.payment_methods.detach,
            payment_method_id,
            {},
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def setup_intent_create(
    *,
    account: AccountRef,
    idempotency_key: str,
    customer_id: str,
    payment_method_types: list[str],
    metadata: dict[str, str],
    payment_method_options: dict | None = None,
    usage: str = "off_session",
) -> SetupIntent:
    params = {
        "customer": customer_id,
        "allowed_payment_method_types": payment_method_types,
        "usage": usage,
        "metadata": metadata,
        "payment_method_options": payment_method_options,
    }
    return SetupIntent.from_stripe(
        call(
            lambda c: c.v1.setup_intents.create,
            params,
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def setup_intent_confirm_for_demo(
    *,
    account: AccountRef,
    setup_intent_id: str,
    idempotency_key: str,
    payment_method_id: str | None = None,
    payment_method_data: dict | None = None,
    mandate_data: dict | None = None,
) -> SetupIntent:
    """Test mode only (the demo seed): confirm server-side what Stripe.js confirms in a browser."""
    params = {
        "payment_method": payment_method_id,
        "payment_method_data": payment_method_data,
        "mandate_data": mandate_data,
    }
    return SetupIntent.from_stripe(
        call_with_id(
            lambda c: c.v1.setup_intents.confirm,
            setup_intent_id,
            params,
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def setup_intent_retrieve(*, account: AccountRef, setup_intent_id: str) -> SetupIntent:
    return SetupIntent.from_stripe(
        call_with_id(lambda c: c.v1.setup_intents.retrieve, setup_intent_id, account=account, write=False)
    )


# --- Payments -----------------------------------------------------------------------------------


def payment_intent_create(
    *,
    account: AccountRef,
    idempotency_key: str,
    amount: int,
    currency: str,
    metadata: dict[str, str],
    customer_id: str | None = None,
    payment_method_id: str | None = None,
    confirm: bool = False,
    off_session: bool = False,
    setup_future_usage: str | None = None,
    application_fee_amount: int | None = None,
    capture_method: str = "automatic",
    payment_method_types: list[str] | None = None,
    description: str | None = None,
) -> PaymentIntent:
    """Create (and optionally confirm) a payment intent. `amount` is in minor units."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError("amount must be a positive integer of minor units")
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "metadata": metadata,
        "customer": customer_id,
        "payment_method": payment_method_id,
        "capture_method": capture_method,
        "setup_future_usage": setup_future_usage,
        "application_fee_amount": application_fee_amount or None,
        "allowed_payment_method_types": payment_method_types or ["card"],
        "description": description,
    }
    if confirm:
        params["confirm"] = True
        if off_session:
            params["off_session"] = True
    return PaymentIntent.from_stripe(
        call(
            lambda c: c.v1.payment_intents.create,
            params,
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def payment_intent_retrieve(*, account: AccountRef, payment_intent_id: str) -> PaymentIntent:
    data = call_with_id(
        lambda c: c.v1.payment_intents.retrieve,
        payment_intent_id,
        {"expand": ["latest_charge"]},
        account=account,
        write=False,
    )
    return PaymentIntent.from_stripe(data)


def payment_intent_cancel(
    *, account: AccountRef, payment_intent_id: str, idempotency_key: str, reason: str = "abandoned"
) -> PaymentIntent:
    """Cancel an intent nobody will finish (a 3-D Secure step the client left), so it can never
    be confirmed later and a new attempt cannot charge twice."""
    data = call_with_id(
        lambda c: c.v1.payment_intents.cancel,
        payment_intent_id,
        {"cancellation_reason": reason},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return PaymentIntent.from_stripe(data)


def refund_create(
    *,
    account: AccountRef,
    idempotency_key: str,
    payment_intent_id: str,
    amount: int,
    metadata: dict[str, str],
) -> Refund:
    if not isinstance(amount, int) or amount <= 0:
        raise ValueError("refund amount must be a positive integer of minor units")
    return Refund.from_stripe(
        call(
            lambda c: c.v1.refunds.create,
            {"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def refund_retrieve(*, account: AccountRef, refund_id: str) -> Refund:
    return Refund.from_stripe(
        call_with_id(lambda c: c.v1.refunds.retrieve, refund_id, account=account, write=False)
    )
