"""Stripe's documented test cards and test payment methods, and what each one does.

Behaviour is looked up by card number everywhere (API-created cards, `pm_card_*` tokens, the
hosted checkout page, the Stripe.js stand-in, Terminal's presented cards), so one table decides
how every path of the sandbox treats a card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CardSpec:
    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    # None, or the decline: (error code, decline code, message, param)
    decline: tuple[str, str, str, str | None] | None = None
    # None | "always" (3DS on every payment, even off-session) | "setup" (3DS once, then off-session ok)
    authentication: str | None = None
    # Attaching succeeds but every charge fails (4000000000000341).
    charge_only_decline: bool = False


GENERIC = ("card_declined", "generic_decline", "Your card was declined.", None)
INSUFFICIENT = ("card_declined", "insufficient_funds", "Your card has insufficient funds.", None)
EXPIRED = ("expired_card", "expired_card", "Your card has expired.", "exp_month")
INCORRECT_CVC = ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc")
LOST = ("card_declined", "lost_card", "Your card was declined.", None)
STOLEN = ("card_declined", "stolen_card", "Your card was declined.", None)
PROCESSING = (
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
    None,
)

CARDS: dict[str, CardSpec] = {
    c.number: c
    for c in (
        CardSpec("4242424242424242", "visa"),
        CardSpec("4000056655665556", "visa", funding="debit"),
        CardSpec("5555555555554444", "mastercard"),
        CardSpec("2223003122003222", "mastercard"),
        CardSpec("5200828282828210", "mastercard", funding="debit"),
        CardSpec("378282246310005", "amex"),
        CardSpec("371449635398431", "amex"),
        CardSpec("6011111111111117", "discover"),
        CardSpec("4000001240000000", "visa", country="CA"),
        CardSpec("4000002500000003", "visa", country="FR"),
        CardSpec("4000000000000002", "visa", decline=GENERIC),
        CardSpec("4000000000009995", "visa", decline=INSUFFICIENT),
        CardSpec("4000000000009987", "visa", decline=LOST),
        CardSpec("4000000000009979", "visa", decline=STOLEN),
        CardSpec("4000000000000069", "visa", decline=EXPIRED),
        CardSpec("4000000000000127", "visa", decline=INCORRECT_CVC),
        CardSpec("4000000000000119", "visa", decline=PROCESSING),
        CardSpec("4000000000000341", "visa", decline=GENERIC, charge_only_decline=True),
        CardSpec("4000002760003184", "visa", authentication="always"),
        CardSpec("4000000000003063", "visa", authentication="always"),
        CardSpec("4000000000003220", "visa", authentication="always"),
        CardSpec("4000002500003155", "visa", authentication="setup"),
    )
}

# Stripe's test PaymentMethod ids → the card they stand for.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_ca": "4000001240000000",
    "pm_card_fr": "4000002500000003",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
}
# Legacy tokens (`tok_visa`) accepted by `card[token]`.
TEST_TOKENS = {"tok_" + name[len("pm_card_") :]: number for name, number in TEST_PAYMENT_METHODS.items()}

BRAND_PREFIXES = (
    ("34", "amex"),
    ("37", "amex"),
    ("4", "visa"),
    ("5", "mastercard"),
    ("2", "mastercard"),
    ("6011", "discover"),
    ("65", "discover"),
    ("35", "jcb"),
    ("36", "diners"),
    ("62", "unionpay"),
)


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


def lookup(number: str) -> CardSpec:
    """A known test card, or a plain successful card for any other Luhn-valid number."""
    number = number.replace(" ", "")
    known = CARDS.get(number)
    if known:
        return known
    brand = next((b for prefix, b in BRAND_PREFIXES if number.startswith(prefix)), "unknown")
    return CardSpec(number, brand)


def fingerprint(value: str) -> str:
    """Stable per number, like Stripe's: the same card saved twice can be recognised."""
    return hashlib.sha256(("stripe-sandbox:" + value).encode()).hexdigest()[:16]


def display_brand(brand: str) -> str:
    return {"amex": "american_express"}.get(brand, brand)
