"""Events: one per state change, stored in the scope of the account they concern.

An event on a connected account carries `account` and is delivered to Connect endpoints only;
platform events go to the platform's endpoints — the same split Stripe makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import stripe

if TYPE_CHECKING:
    from .context import Ctx
    from .host import Host

API_VERSION: str = stripe.api_version


class EventLog:
    def __init__(self, sandbox: Host):
        self.sandbox = sandbox

    def record(
        self,
        ctx: Ctx,
        event_type: str,
        snapshot: dict[str, Any],
        previous: dict[str, Any] | None,
        *,
        account: str | None = None,
    ) -> dict[str, Any]:
        account = account or ctx.account
        data: dict[str, Any] = {"object": snapshot}
        if previous is not None:
            data["previous_attributes"] = previous
        event: dict[str, Any] = {
            "id": ctx.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": ctx.now,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": event_type,
        }
        if account:
            # Stripe puts `account` right after `id`-level fields; position is irrelevant in JSON.
            event["account"] = account
        scope = account or self.sandbox.store.platform_account
        self.sandbox.store.put(scope, event)
        event["pending_webhooks"] = self.sandbox.webhooks.enqueue(event, scope)
        return event

    def list(self, account: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """Events of one scope, newest first; a helper for tests that want to look without the SDK."""
        scope = account or self.sandbox.store.platform_account
        with self.sandbox.lock:
            found = self.sandbox.store.find(scope, "event")
        return [e for e in found if event_type is None or matches_type(e["type"], event_type)]


def matches_type(actual: str, wanted: str) -> bool:
    """`type` filters accept a trailing `*` wildcard (`payment_intent.*`), as Stripe's do."""
    if wanted.endswith("*"):
        return actual.startswith(wanted[:-1])
    return actual == wanted
