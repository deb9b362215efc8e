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

    @classmethod
    def from_stripe(cls, data: dict) -> PaymentIntent:
        error = data.get("last_payment_error") or {}
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
        )

    @property
    def generated_card(self) -> str | None:
        """The reusable card a reader payment saved (card_present + setup_future_usage)."""
        charge = self.raw.get("latest_charge")
        if isinstance(charge, dict):
            details = (charge.get("payment_method_details") or {}).get("card_present") or {}
            return details.get("generated_card")
        return None


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
