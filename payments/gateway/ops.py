"""One function per Stripe operation the product uses. Keyword-only; the account is always named.

Writes take `idempotency_key`, built by the caller from its own row (`payment:<id>`,
`customer:<client_id>:<account>`…) and stored there before the call, so our retries reuse it.
"""

from __future__ import annotations

from typing import Any

from payments.gateway import errors
from payments.gateway.calls import PLATFORM, _Platform, call, call_with_id
from payments.gateway.types import (
    Account,
    AccountLink,
    CheckoutSession,
    Customer,
    PaymentIntent,
    PaymentMethod,
    Reader,
    Refund,
    SetupIntent,
    TerminalLocation,
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
        # The answer carries the charge itself: the card's brand and last 4 for the receipt.
        params["expand"] = ["latest_charge"]
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


# --- Terminal -----------------------------------------------------------------------------------
# Readers live on the connected account of the location they sit in (PAY-3 rule 1), inside a
# Terminal location on that account; tipping is a Terminal configuration the location overrides.


def terminal_location_create(
    *, account: AccountRef, idempotency_key: str, display_name: str, address: dict
) -> TerminalLocation:
    """A `terminal.location` on `account` (address: line1, city, postal_code, state, country…)."""
    data = call(
        lambda c: c.v1.terminal.locations.create,
        {"display_name": display_name, "address": {k: v for k, v in address.items() if v}},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return TerminalLocation.from_stripe(data)


def terminal_location_update(
    *, account: AccountRef, location_id: str, idempotency_key: str, configuration_id: str | None
) -> TerminalLocation:
    """Point a Terminal location at a configuration (its tipping), or back to the account's default."""
    data = call_with_id(
        lambda c: c.v1.terminal.locations.update,
        location_id,
        # "" unsets the override (None would not be sent at all).
        {"configuration_overrides": configuration_id or ""},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return TerminalLocation.from_stripe(data)


def terminal_configuration_upsert(
    *,
    account: AccountRef,
    idempotency_key: str,
    configuration_id: str | None,
    currency: str,
    tip_percentages: list[int] | None,
) -> str:
    """Create (no `configuration_id`) or update the Terminal configuration holding the tip choices
    the reader offers in `currency`; `None` percentages turn tipping off. Returns its id."""
    if tip_percentages is not None and (
        not tip_percentages
        or len(tip_percentages) > 3
        or any(isinstance(p, bool) or not isinstance(p, int) or not 0 < p <= 100 for p in tip_percentages)
    ):
        raise ValueError("tip percentages are one to three whole numbers between 1 and 100")
    tipping: dict | str | None = (
        {currency.lower(): {"percentages": list(tip_percentages)}} if tip_percentages is not None else None
    )
    if configuration_id is None:
        data = call(
            lambda c: c.v1.terminal.configurations.create,
            {"tipping": tipping},
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    else:
        data = call_with_id(
            lambda c: c.v1.terminal.configurations.update,
            configuration_id,
            {"tipping": tipping if tipping is not None else ""},
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    return data["id"]


def terminal_reader_create(
    *, account: AccountRef, idempotency_key: str, registration_code: str, label: str, location_id: str
) -> Reader:
    """Pair a reader by the registration code it shows (`simulated-wpe` for a simulated one)."""
    data = call(
        lambda c: c.v1.terminal.readers.create,
        {"registration_code": registration_code, "label": label, "location": location_id},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Reader.from_stripe(data)


def terminal_reader_retrieve(*, account: AccountRef, reader_id: str) -> Reader:
    data = call_with_id(lambda c: c.v1.terminal.readers.retrieve, reader_id, account=account, write=False)
    if data.get("deleted"):
        # Stripe answers a deleted reader with a stub; nobody may use it again.
        raise errors.InvalidRequest("This reader was deleted.", code="resource_missing", param="reader")
    return Reader.from_stripe(data)


def terminal_reader_update(
    *, account: AccountRef, reader_id: str, label: str, idempotency_key: str
) -> Reader:
    data = call_with_id(
        lambda c: c.v1.terminal.readers.update,
        reader_id,
        {"label": label},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Reader.from_stripe(data)


def terminal_reader_delete(*, account: AccountRef, reader_id: str, idempotency_key: str) -> None:
    call_with_id(
        lambda c: c.v1.terminal.readers.delete,
        reader_id,
        {},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def terminal_reader_process_payment_intent(
    *,
    account: AccountRef,
    reader_id: str,
    payment_intent_id: str,
    idempotency_key: str,
    tipping_eligible_amount: int | None = None,
) -> Reader:
    """Push a card_present intent to the reader. With `tipping_eligible_amount` the reader shows
    the tip choices of its location's configuration computed on that amount; None skips them.
    The client may cancel on the reader (its cancel button is on)."""
    process_config: dict[str, Any] = {"enable_customer_cancellation": True}
    if tipping_eligible_amount is None:
        process_config["skip_tipping"] = True
    else:
        if isinstance(tipping_eligible_amount, bool) or not isinstance(tipping_eligible_amount, int):
            raise ValueError("tipping_eligible_amount is an integer of minor units")
        if tipping_eligible_amount <= 0:
            raise ValueError("tipping_eligible_amount must be positive")
        process_config["tipping"] = {"amount_eligible": tipping_eligible_amount}
    data = call_with_id(
        lambda c: c.v1.terminal.readers.process_payment_intent,
        reader_id,
        {"payment_intent": payment_intent_id, "process_config": process_config},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Reader.from_stripe(data)


def terminal_reader_cancel_action(*, account: AccountRef, reader_id: str, idempotency_key: str) -> Reader:
    """Stop what the reader is doing (the intent stays open: cancel it too if nobody will retry)."""
    data = call_with_id(
        lambda c: c.v1.terminal.readers.cancel_action,
        reader_id,
        {},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Reader.from_stripe(data)


def terminal_reader_present_test_card(
    *,
    account: AccountRef,
    reader_id: str,
    idempotency_key: str,
    card_number: str | None = None,
    amount_tip: int | None = None,
) -> Reader:
    """Test mode only (the sandbox, Stripe's test mode): tap a test card on a simulated reader
    (default Visa 4242), with the tip the client would have chosen on it."""
    params: dict[str, Any] = {"type": "card_present", "amount_tip": amount_tip}
    if card_number:
        params["card_present"] = {"number": card_number}
    data = call_with_id(
        lambda c: c.v1.test_helpers.terminal.readers.present_payment_method,
        reader_id,
        params,
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return Reader.from_stripe(data)


# --- Checkout Sessions (Stripe's hosted payment page, CHK-2) ---------------------------------------


def checkout_session_create(
    *,
    account: AccountRef,
    idempotency_key: str,
    amount: int,
    currency: str,
    description: str,
    success_url: str,
    cancel_url: str,
    metadata: dict[str, str],
    customer_email: str | None = None,
    setup_future_usage: str | None = None,
    application_fee_amount: int | None = None,
    locale: str | None = None,
) -> CheckoutSession:
    """A payment-mode session for one amount (minor units), shown on Stripe's hosted page. The
    intent it creates carries `metadata` too, so its webhooks find our payment. A retry with the
    same key answers the same session (Stripe's idempotency), never a second one."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError("amount must be a positive integer of minor units")
    intent_data: dict[str, Any] = {
        "metadata": metadata,
        "description": description,
        "setup_future_usage": setup_future_usage,
        "application_fee_amount": application_fee_amount or None,
    }
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount,
                    "product_data": {"name": description},
                },
            }
        ],
        "payment_intent_data": {k: v for k, v in intent_data.items() if v is not None},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": metadata,
        "client_reference_id": metadata.get("atelier_payment"),
        "customer_email": customer_email,
        "locale": locale,
    }
    return CheckoutSession.from_stripe(
        call(
            lambda c: c.v1.checkout.sessions.create,
            {k: v for k, v in params.items() if v is not None},
            account=account,
            idempotency_key=idempotency_key,
            write=True,
        )
    )


def checkout_session_retrieve(*, account: AccountRef, session_id: str) -> CheckoutSession:
    data = call_with_id(
        lambda c: c.v1.checkout.sessions.retrieve, session_id, {}, account=account, write=False
    )
    return CheckoutSession.from_stripe(data)


def checkout_session_expire(*, account: AccountRef, session_id: str, idempotency_key: str) -> CheckoutSession:
    """Close an open session the client left (so it can never be paid late); a completed one
    answers InvalidRequest."""
    data = call_with_id(
        lambda c: c.v1.checkout.sessions.expire,
        session_id,
        {},
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )
    return CheckoutSession.from_stripe(data)
