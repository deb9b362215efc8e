"""In-process transport: the SDK's `HTTPClient` interface answered by a sandbox, no sockets.

Everything above the HTTP client stays the SDK's own code — request encoding, headers,
idempotency keys, retries, response parsing and error mapping — so a test passing here exercises
the same client path as production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import stripe
from stripe import APIConnectionError

from .http import Headers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .http import Response


class Answers(Protocol):
    """Anything that answers an HTTP request as Stripe would (`core.Sandbox`); named here so the
    transport, which sits above the sandbox, never needs to import it."""

    def handle(
        self, method: str, path: str, query: str = "", headers: Any = None, body: bytes = b""
    ) -> Response: ...


class SandboxHTTPClient(stripe.HTTPClient):
    """`StripeClient(..., http_client=SandboxHTTPClient(sandbox))` talks to the sandbox directly."""

    name = "stripe-sandbox"

    def __init__(self, sandbox: Answers):
        super().__init__()
        self.sandbox = sandbox

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        if isinstance(post_data, str):
            body = post_data.encode()
        elif post_data is None:
            body = b""
        else:
            body = bytes(post_data)
        response = self.sandbox.handle(method, parts.path, parts.query, Headers(dict(headers or {})), body)
        if response.drop_connection:
            # What the requests-based client raises on a read timeout; `should_retry` lets the SDK's
            # own retry loop (if enabled) resend with the same Idempotency-Key, as it would.
            raise APIConnectionError(
                "Unexpected error communicating with Stripe. If this problem persists, let us know at "
                "support@stripe.com.\n\n(Network error: ReadTimeout: the stripe sandbox dropped the "
                "connection (fault injection))",
                should_retry=True,
            )
        return response.body.decode(), response.status, response.headers

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        import io

        body, status, hdrs = self.request(method, url, headers, post_data)
        return io.BytesIO(body.encode()), status, hdrs

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        body, status, hdrs = self.request(method, url, headers, post_data)
        return body.encode(), status, hdrs

    def sleep_async(self, secs: float) -> Any:
        import asyncio

        return asyncio.sleep(secs)

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass


def make_client(
    sandbox: Answers,
    api_key: str = "sk_test_sandbox",
    *,
    stripe_account: str | None = None,
    max_network_retries: int = 0,
    **kwargs: Any,
) -> stripe.StripeClient:
    """A `StripeClient` bound to `sandbox` in-process; extra kwargs go to `StripeClient`."""
    return stripe.StripeClient(
        api_key,
        http_client=SandboxHTTPClient(sandbox),
        stripe_account=stripe_account,
        max_network_retries=max_network_retries,
        **kwargs,
    )
