"""Resource handlers, one module per Stripe resource; importing this package registers every route."""

from . import (
    accounts,
    authentication,
    challenge,
    charges,
    checkout,
    customers,
    events_api,
    payment_intents,
    payment_methods,
    refunds,
    setup_intents,
    terminal,
)

__all__ = [
    "accounts",
    "authentication",
    "challenge",
    "charges",
    "checkout",
    "customers",
    "events_api",
    "payment_intents",
    "payment_methods",
    "refunds",
    "setup_intents",
    "terminal",
]
