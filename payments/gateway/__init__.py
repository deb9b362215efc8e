"""The Stripe boundary: the only package in the product that imports `stripe`.

Use `from payments import gateway` then `gateway.payment_intent_create(account=..., ...)`.
"""

from payments.gateway.calls import PLATFORM, TransactionError, assert_outside_transaction
from payments.gateway.client import API_VERSION, stripe_client, use_http_client
from payments.gateway.errors import (
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    IdempotencyConflict,
    InvalidRequest,
    NotConfigured,
    RateLimited,
    StripeUnavailable,
)
from payments.gateway.ops import *  # noqa: F403 - the operations are the package's API
from payments.gateway.throttle import Throttled, wait_bound
from payments.gateway.webhooks import WebhookSignatureError, webhook_event_parse

__all__ = [
    "API_VERSION",
    "PLATFORM",
    "AuthenticationRequired",
    "CardDeclined",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidRequest",
    "NotConfigured",
    "RateLimited",
    "StripeUnavailable",
    "Throttled",
    "TransactionError",
    "WebhookSignatureError",
    "assert_outside_transaction",
    "stripe_client",
    "use_http_client",
    "wait_bound",
    "webhook_event_parse",
]
