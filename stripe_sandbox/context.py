"""The per-request context handed to every resource handler.

It binds the request to one account scope, so handlers cannot reach another account's objects
by accident: every lookup, insert and event goes through the scope chosen by `Stripe-Account`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .host import Host

# How Stripe names each object type in "No such ...: 'id'" messages.
MISSING_LABELS = {
    "customer": "customer",
    "payment_method": "PaymentMethod",
    "payment_intent": "payment_intent",
    "setup_intent": "setupintent",
    "charge": "charge",
    "refund": "refund",
    "account": "account",
    "balance_transaction": "balance transaction",
    "event": "event",
    "terminal.reader": "terminal.reader",
    "terminal.location": "terminal.location",
    "checkout.session": "checkout.session",
    "mandate": "mandate",
}


class Ctx:
    """One request: its scope, validated params, path arguments and request identity."""

    def __init__(
        self,
        sandbox: Host,
        *,
        account: str | None,
        params: dict[str, Any],
        path_args: dict[str, str] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        api_key: str = "sk_test_sandbox",
        origin: str = "api",
    ):
        self.sandbox = sandbox
        self.store = sandbox.store
        self.account = account
        self.scope = account or sandbox.store.platform_account
        self.params = params
        self.path_args = path_args or {}
        self.request_id = request_id
        self.idempotency_key = idempotency_key
        self.api_key = api_key
        # "api" for secret-key calls, "js" for the Stripe.js stand-in, "hosted" for hosted pages.
        self.origin = origin
        self.now = sandbox.now()
        self.events: list[dict[str, Any]] = []

    # --- ids and objects -------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return self.sandbox.ids.new(prefix)

    def token(self, length: int = 24) -> str:
        return self.sandbox.ids.token(length)

    def arg(self, name: str) -> str:
        return self.path_args[name]

    def get(self, object_type: str, object_id: str | None, *, param: str | None = "id") -> dict[str, Any]:
        """An object of this type in this scope, or Stripe's 404 naming the parameter."""
        obj = self.store.get(self.scope, object_id) if object_id else None
        if obj is None or obj.get("object") != object_type or obj.get("deleted"):
            raise errors.missing(MISSING_LABELS.get(object_type, object_type), str(object_id), param)
        return obj

    def maybe(self, object_id: str | None) -> dict[str, Any] | None:
        return self.store.get(self.scope, object_id) if object_id else None

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.put(self.scope, obj)

    def find(self, object_type: str, predicate: Any = None) -> list[dict[str, Any]]:
        return self.store.find(self.scope, object_type, predicate)

    def private(self, object_id: str) -> dict[str, Any]:
        return self.store.private(object_id)

    # --- events ----------------------------------------------------------------------------------
    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        before: dict[str, Any] | None = None,
        *,
        account: str | None = None,
    ) -> dict[str, Any] | None:
        """Record an event for a state change; `before` turns it into an `*.updated` with a diff.

        `account` overrides the scope for objects owned by the platform but reported to the
        connected account (an Account's own `account.updated`).
        """
        previous = None
        if before is not None:
            previous = diff(before, obj)
            if not previous:
                return None
        event = self.sandbox.events.record(self, event_type, copy.deepcopy(obj), previous, account=account)
        self.events.append(event)
        return event

    def snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(obj)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the old value of every changed field, nested for hashes."""
    out: dict[str, Any] = {}
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            out[key] = diff(old, new)
        else:
            out[key] = old
    return out


def apply_metadata(obj: dict[str, Any], value: Any) -> None:
    """Stripe's metadata update: `""` clears the hash, a key set to `""` is removed."""
    if value is None:
        return
    if value == "":
        obj["metadata"] = {}
        return
    for key, val in value.items():
        if len(key) > 40:
            raise errors.invalid_request(
                "Metadata keys can have a maximum length of 40 characters.", param=f"metadata[{key}]"
            )
        if len(str(val)) > 500:
            raise errors.invalid_request(
                "Metadata values can have a maximum length of 500 characters.", param=f"metadata[{key}]"
            )
    merged = dict(obj.get("metadata") or {})
    for key, val in value.items():
        if val == "":
            merged.pop(key, None)
        else:
            merged[key] = val
    if len(merged) > 50:
        raise errors.invalid_request("You can have a maximum of 50 metadata keys.", param="metadata")
    obj["metadata"] = merged


def merge(target: dict[str, Any], updates: dict[str, Any] | None) -> None:
    """Deep-merge a params hash into an object field (Stripe's partial update of sub-hashes)."""
    for key, value in (updates or {}).items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = None if value == "" else copy.deepcopy(value)


def invoke(ctx: Ctx, handler: Any, params: dict[str, Any], **path_args: str) -> Any:
    """Call another endpoint's handler inside this request (hosted pages, Stripe.js stand-in)."""
    saved = ctx.params, ctx.path_args
    ctx.params, ctx.path_args = params, path_args
    try:
        return handler(ctx)
    finally:
        ctx.params, ctx.path_args = saved
