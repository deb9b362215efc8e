"""Our own small result types: what the product needs from Stripe's objects, nothing more.

Built from Stripe's JSON (a dict) so they do not leak `stripe.StripeObject` into the apps. The
full object stays available as `raw` for the ledger's status history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _id(value: Any) -> str | None:
    """An expandable field: an id string, an expanded object, or nothing."""
    if isinstance(value, dict):
        return value.get("id")
    return value


@dataclass(frozen=True)
class Account:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    currently_due: tuple[str, ...]
    eventually_due: tuple[str, ...]
    past_due: tuple[str, ...]
    disabled_reason: str | None
    country: str | None
    default_currency: str | None
    business_name: str | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> Account:
        requirements = data.get("requirements") or {}
        profile = data.get("business_profile") or {}
        return cls(
            id=data["id"],
            charges_enabled=bool(data.get("charges_enabled")),
            payouts_enabled=bool(data.get("payouts_enabled")),
            details_submitted=bool(data.get("details_submitted")),
            currently_due=tuple(requirements.get("currently_due") or ()),
            eventually_due=tuple(requirements.get("eventually_due") or ()),
            past_due=tuple(requirements.get("past_due") or ()),
            disabled_reason=requirements.get("disabled_reason"),
            country=data.get("country"),
            default_currency=data.get("default_currency"),
            business_name=profile.get("name"),
            raw=data,
        )


@dataclass(frozen=True)
class AccountLink:
    url: str
    expires_at: int


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    default_payment_method: str | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> Customer:
        settings = data.get("invoice_settings") or {}
        return cls(
            id=data["id"],
            email=data.get("email"),
            default_payment_method=_id(settings.get("default_payment_method")),
            raw=data,
        )


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    type: str
    customer: str | None
    brand: str | None  # card brand, or the bank's name for bank debits
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    fingerprint: str | None
    holder_name: str | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> PaymentMethod:
        kind = data.get("type", "")
        details = data.get(kind) or {}
        billing = data.get("billing_details") or {}
        brand = details.get("brand") or details.get("bank_name")
        return cls(
            id=data["id"],
            type=kind,
            customer=_id(data.get("customer")),
            brand=brand,
            last4=details.get("last4"),
            exp_month=details.get("exp_month"),
            exp_year=details.get("exp_year"),
            fingerprint=details.get("fingerprint"),
            holder_name=billing.get("name"),
            raw=data,
        )


@dataclass(frozen=True)
class SetupIntent:
    id: str
    status: str
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    mandate: str | None
    last_error_code: str | None
    last_error_message: str | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> SetupIntent:
        error = data.get("last_setup_error") or {}
        return cls(
            id=data["id"],
            status=data["status"],
            client_secret=data.get("client_secret"),
            customer=_id(data.get("customer")),
            payment_method=_id(data.get("payment_method")),
            mandate=_id(data.get("mandate")),
            last_error_code=error.get("decline_code") or error.get("code"),
            last_error_message=error.get("message"),
            raw=data,
        )


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    latest_charge: str | None
    application_fee_amount: int | None
    last_error_code: str | None
    last_error_decline_code: str | None
    last_error_message: str | None
    metadata: dict
    raw: dict = field(repr=False, compare=False)
    # Terminal (POS-3): the tip the client added on the reader (already inside `amount`), the
    # card as the latest charge reports it (card_present or card), and the reusable card a
    # reader payment generated when it was asked to save it.
    tip_amount: int = 0
    card_brand: str | None = None
    card_last4: str | None = None
    payment_method_id: str | None = None
    generated_card_id: str | None = None

    @classmethod
    def from_stripe(cls, data: dict) -> PaymentIntent:
        error = data.get("last_payment_error") or {}
        tip = ((data.get("amount_details") or {}).get("tip") or {}).get("amount")
        card = _charge_card(data.get("latest_charge"))
        return cls(
            id=data["id"],
            status=data["status"],
            amount=int(data.get("amount") or 0),
            amount_received=int(data.get("amount_received") or 0),
            currency=data.get("currency", ""),
            client_secret=data.get("client_secret"),
            customer=_id(data.get("customer")),
            payment_method=_id(data.get("payment_method")),
            latest_charge=_id(data.get("latest_charge")),
            application_fee_amount=data.get("application_fee_amount"),
            last_error_code=error.get("code"),
            last_error_decline_code=error.get("decline_code"),
            last_error_message=error.get("message"),
            metadata=dict(data.get("metadata") or {}),
            raw=data,
            tip_amount=int(tip or 0),
            card_brand=card.get("brand"),
            card_last4=card.get("last4"),
            payment_method_id=_id(data.get("payment_method")),
            generated_card_id=card.get("generated_card"),
        )

    @property
    def generated_card(self) -> str | None:
        """The reusable card a reader payment saved (card_present + setup_future_usage)."""
        return self.generated_card_id


def _charge_card(charge: Any) -> dict:
    """The card details of an expanded charge (`card_present` on a reader, `card` online); {} when
    the charge is only an id (retrieve the intent with `latest_charge` expanded to see them)."""
    if not isinstance(charge, dict):
        return {}
    details = charge.get("payment_method_details") or {}
    return details.get("card_present") or details.get("card") or {}


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int
    payment_intent: str | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> Refund:
        return cls(
            id=data["id"],
            status=data["status"],
            amount=int(data["amount"]),
            payment_intent=_id(data.get("payment_intent")),
            raw=data,
        )


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    account: str | None
    created: int
    object: dict
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> Event:
        return cls(
            id=data["id"],
            type=data["type"],
            account=data.get("account"),
            created=int(data["created"]),
            object=(data.get("data") or {}).get("object") or {},
            raw=data,
        )


@dataclass(frozen=True)
class TerminalLocation:
    id: str
    display_name: str
    configuration_overrides: str | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> TerminalLocation:
        return cls(
            id=data["id"],
            display_name=data.get("display_name") or "",
            configuration_overrides=data.get("configuration_overrides") or None,
            raw=data,
        )


@dataclass(frozen=True)
class ReaderAction:
    """What a reader is doing: `type` (process_payment_intent…), `status` (in_progress, succeeded,
    failed), Stripe's failure code and message when it failed, and the intent it works on."""

    type: str
    status: str
    failure_code: str | None
    failure_message: str | None
    payment_intent_id: str | None

    @classmethod
    def from_stripe(cls, data: dict | None) -> ReaderAction | None:
        if not data:
            return None
        kind = data.get("type") or ""
        detail = data.get(kind) or {}
        return cls(
            type=kind,
            status=data.get("status") or "",
            failure_code=data.get("failure_code"),
            failure_message=data.get("failure_message"),
            payment_intent_id=_id(detail.get("payment_intent")),
        )


@dataclass(frozen=True)
class Reader:
    id: str
    label: str
    device_type: str
    serial_number: str
    status: str  # "online" | "offline" (Stripe may also send None for a reader never seen)
    location: str | None
    action: ReaderAction | None
    last_seen_at: int | None = None  # milliseconds since the epoch, as Stripe sends it
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> Reader:
        return cls(
            id=data["id"],
            label=data.get("label") or "",
            device_type=data.get("device_type") or "",
            serial_number=data.get("serial_number") or "",
            status=data.get("status") or "offline",
            location=_id(data.get("location")),
            action=ReaderAction.from_stripe(data.get("action")),
            last_seen_at=data.get("last_seen_at"),
            raw=data,
        )


@dataclass(frozen=True)
class CheckoutSession:
    """A Stripe Checkout Session (hosted payment page): where to send the client, and what came of it."""

    id: str
    status: str  # "open" | "complete" | "expired"
    payment_status: str  # "unpaid" | "paid" | "no_payment_required"
    url: str | None
    payment_intent_id: str | None
    metadata: dict
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_stripe(cls, data: dict) -> CheckoutSession:
        return cls(
            id=data["id"],
            status=data.get("status") or "open",
            payment_status=data.get("payment_status") or "unpaid",
            url=data.get("url"),
            payment_intent_id=_id(data.get("payment_intent")),
            metadata=dict(data.get("metadata") or {}),
            raw=data,
        )
