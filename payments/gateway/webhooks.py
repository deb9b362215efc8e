"""Verifying a webhook's signature against the raw body (Stripe's scheme, via the SDK)."""

from __future__ import annotations

import json

import stripe

from payments.gateway.types import Event


class WebhookSignatureError(Exception):
    """The body was not signed by Stripe with our endpoint's secret (or is too old)."""


def webhook_event_parse(*, payload: bytes, signature_header: str, secret: str, tolerance: int = 300) -> Event:
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature_header, secret, tolerance)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise WebhookSignatureError(str(exc)) from exc
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise WebhookSignatureError("body is not JSON") from exc
    if not isinstance(data, dict) or "id" not in data or "type" not in data:
        raise WebhookSignatureError("body is not a Stripe event")
    return Event.from_stripe(data)
