"""Building the one StripeClient the product uses, for the target the settings choose.

Targets (settings.STRIPE_TARGET):
- "sandbox": the local Stripe stand-in (`stripe_sandbox`) — served on 127.0.0.1:12111 by
  `make run`, or in-process (no sockets) when tests install its transport with `use_http_client`;
- "stripe": real Stripe, keys from the environment;
- "mock": stripe-mock (docker-compose), shape checks only.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import stripe
from django.conf import settings

from payments.gateway.throttle import ThrottledHTTPClient

API_VERSION = "2026-10-28.endive"

_local = threading.local()
_override: dict[str, object] = {}


def stripe_client() -> stripe.StripeClient:
    """The StripeClient for the configured target (a fresh one when a test swaps the transport)."""
    http_client = _override.get("http_client")
    kwargs: dict = {
        "stripe_version": API_VERSION,
        "max_network_retries": settings.STRIPE_MAX_NETWORK_RETRIES,
    }
    if http_client is None and settings.STRIPE_API_BASE:
        base = settings.STRIPE_API_BASE.rstrip("/")
        kwargs["base_addresses"] = {"api": base, "connect": base, "files": base}
    cache_key = (
        id(http_client),
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != cache_key:
        # Every request, the SDK's own retries included, takes a token from the rate-limit
        # buckets first (payments/gateway/throttle.py), whatever transport sends it.
        transport = ThrottledHTTPClient(http_client or stripe.new_default_http_client())
        kwargs["http_client"] = transport
        _local.client = (cache_key, stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs))
    return _local.client[1]


@contextmanager
def use_http_client(http_client):
    """Route every gateway call through `http_client` (tests: the sandbox's in-process transport)."""
    previous = _override.get("http_client")
    _override["http_client"] = http_client
    try:
        yield
    finally:
        _override["http_client"] = previous
