"""`Sandbox`: the state, clock, ids, faults and webhook queue behind one local Stripe.

One object serves both the in-process transport (tests) and the WSGI server (demo). All
mutations happen under one re-entrant lock, which keeps the model simple: Stripe's own
per-object locking is not observable at the request rates a test or a demo produces.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import resources
from .api import handle_api, internal_call
from .context import Ctx
from .events import EventLog
from .faults import Faults
from .hosted import checkout_page
from .hosted.app import handle_page
from .http import Headers, Response
from .resources import challenge
from .state import Ids, Store
from .transport import make_client
from .webhooks import Deliver, WebhookEndpoint, Webhooks

Clock = Callable[[], float]


class Sandbox:
    """A stateful, local stand-in for Stripe's API.

    Args:
        clock: returns "now" in epoch seconds; inject one to control `created`/`expires_at`.
        state_path: JSON file to load state from and save it to after every write.
        webhook_endpoints: `WebhookEndpoint`s or `(url, secret, connect)` tuples.
        delivery: "immediate" (during the request), "queued" (on `deliver_pending()`), or
            "background" (a daemon thread; what the server uses).
        duplicate / shuffle: deliver every event twice / in random order (seeded by `seed`).
        deliver: `deliver(url, headers, body) -> status`; defaults to a urllib POST.
        seed: makes ids, secrets and shuffling reproducible.
        public_url: base URL of the hosted pages (account links, checkout) in returned objects.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        state_path: str | None = None,
        webhook_endpoints: Iterable[WebhookEndpoint | tuple[Any, ...]] = (),
        delivery: str = "immediate",
        duplicate: bool = False,
        shuffle: bool = False,
        deliver: Deliver | None = None,
        seed: int | None = None,
        public_url: str = "http://127.0.0.1:12111",
        platform_account: str | None = None,
        bank_settle_seconds: int | None = resources.payment_intents.BANK_SETTLE_SECONDS,
    ):
        self.clock: Clock = clock or time.time
        # How long a bank debit (ACSS/PAD, ACH) stays `processing` before `tick()` settles it;
        # None keeps it processing, as the days it takes at Stripe, until `settle_bank_debit`.
        self.bank_settle_seconds = bank_settle_seconds
        self.ids = Ids(seed)
        self.lock = threading.RLock()
        self.state_path = state_path
        self.public_url = public_url.rstrip("/")
        self.raise_server_errors = False
        loaded = Store.load(state_path) if state_path else None
        self.store = loaded or Store(platform_account or self.ids.new("acct"))
        self.faults = Faults()
        self.events = EventLog(self)
        self.webhooks = Webhooks(
            self,
            webhook_endpoints,
            mode=delivery,
            duplicate=duplicate,
            shuffle=shuffle,
            seed=seed,
            deliver=deliver,
        )
        if loaded is None:
            resources.accounts.ensure_platform_account(self)

    # --- time, persistence ---------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock())

    @property
    def platform_account(self) -> str:
        return self.store.platform_account

    def persist(self) -> None:
        if self.state_path:
            with self.lock:
                self.store.save(self.state_path)

    def reset(self) -> None:
        """Forget every object, event, delivery and idempotency key (the platform id stays)."""
        with self.lock:
            self.store = Store(self.store.platform_account)
            resources.accounts.ensure_platform_account(self)
            self.faults.clear()
            self.persist()

    # --- requests -------------------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | Headers | None = None,
        body: bytes = b"",
    ) -> Response:
        """Answer one HTTP request: the API under `/v1/`, hosted pages and Stripe.js under `/_sandbox/`."""
        hdrs = headers if isinstance(headers, Headers) else Headers(headers or {})
        if path.startswith("/v1/"):
            return handle_api(self, method, path, query, hdrs, body)
        return handle_page(self, method, path, query, hdrs, body)

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        account: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        """An API call without the SDK (hosted pages, helpers): returns `(status, json)`; no faults."""
        return internal_call(self, method, path, params, account=account, idempotency_key=idempotency_key)

    def client(self, api_key: str = "sk_test_sandbox", **kwargs: Any) -> Any:
        """A real `stripe.StripeClient` wired to this sandbox in-process (no sockets)."""
        return make_client(self, api_key=api_key, **kwargs)

    def present(self, ctx: Ctx, obj: Any) -> Any:
        """A response copy of stored data with read-time fields filled (e.g. `pending_webhooks`)."""
        out = copy.deepcopy(obj)
        items = out["data"] if isinstance(out, dict) and out.get("object") == "list" else [out]
        for item in items:
            if not isinstance(item, dict):
                continue
            if item.get("object") == "event":
                item["pending_webhooks"] = self.webhooks.pending_count(item["id"])
            elif item.get("object") == "balance_transaction":
                item["status"] = "available" if self.now() >= item["available_on"] else "pending"
        return out

    # --- inspection helpers for tests -----------------------------------------------------------------
    def get(self, object_id: str, account: str | None = None) -> dict[str, Any] | None:
        """A stored object by id in one account's scope (a copy), or None."""
        with self.lock:
            obj = self.store.get(account or self.store.platform_account, object_id)
            return copy.deepcopy(obj) if obj is not None else None

    def objects(self, object_type: str, account: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.store.find(account or self.store.platform_account, object_type))

    def deliver_pending(self) -> list[dict[str, Any]]:
        """Send every queued webhook delivery now (queued mode, or retries of failed ones)."""
        return self.webhooks.deliver_pending()

    def add_webhook_endpoint(self, url: str, secret: str, connect: bool = False) -> WebhookEndpoint:
        return self.webhooks.add_endpoint(url, secret, connect)

    def tick(self) -> list[dict[str, Any]]:
        """Advance time-driven transitions (bank debits leaving `processing`); returns the events."""
        with self.lock:
            ctx_events = resources.payment_intents.settle_processing(self)
        self.webhooks.after_request(ctx_events)
        if ctx_events:
            self.persist()
        return ctx_events

    def settle_bank_debit(
        self,
        intent_id: str,
        *,
        account: str | None = None,
        succeed: bool = True,
        failure_code: str = "insufficient_funds",
    ) -> dict[str, Any]:
        """Settle one `processing` bank debit now, as the bank does days later: succeeded, or
        failed with `failure_code` (a documented bank failure code); the events are sent as
        webhooks like any other. Returns the payment intent."""
        failure = None
        if not succeed:
            known = {
                code: message for code, message in resources.payment_methods.FAILING_BANK_ACCOUNTS.values()
            }
            failure = (failure_code, known.get(failure_code, "The customer's bank refused this debit."))

        def settle(ctx: Ctx) -> dict[str, Any]:
            pi = ctx.get("payment_intent", intent_id, param="intent")
            return resources.payment_intents.settle_one(ctx, pi, failure=failure)

        return self._helper(settle, account=account)

    # --- test helpers acting like a person in a browser ----------------------------------------------
    def complete_onboarding(
        self, account_id: str, *, leave_requirement_due: bool = False, business_name: str = "Sandbox Studio"
    ) -> dict[str, Any]:
        """What submitting the hosted onboarding form does; returns the updated account."""
        return self._helper(
            lambda ctx: resources.accounts.submit_onboarding(
                ctx, account_id, leave_requirement_due=leave_requirement_due, business_name=business_name
            )
        )

    def authenticate(
        self, intent_id: str, *, account: str | None = None, success: bool = True
    ) -> dict[str, Any]:
        """Complete (or fail) the 3D Secure step of an intent in `requires_action`."""
        return self._helper(lambda ctx: challenge.finish(ctx, intent_id, success=success), account=account)

    def complete_checkout(
        self,
        session_id: str,
        *,
        card_number: str = "4242424242424242",
        account: str | None = None,
        email: str | None = None,
    ) -> str:
        """Pay a Checkout Session as a customer would on the hosted page; returns the redirect URL."""
        return checkout_page.submit(
            self, session_id, account=account, number=card_number, exp="12/34", cvc="123", email=email
        )

    def run(self, action: Callable[[Ctx], Any], account: str | None = None, origin: str = "hosted") -> Any:
        """Run `action(ctx)` as one request would: under the lock, persisted, webhooks sent after.

        Used by hosted pages, the Stripe.js stand-in and test helpers. A StripeError raised by the
        action still persists and delivers what happened before it (a decline is a state change).
        """
        ctx: Ctx | None = None
        try:
            with self.lock:
                ctx = Ctx(
                    self, account=account, params={}, request_id="req_" + self.ids.token(14), origin=origin
                )
                try:
                    return action(ctx)
                finally:
                    self.persist()
        finally:
            if ctx is not None:
                self.webhooks.after_request(ctx.events)

    def _helper(self, action: Callable[[Ctx], dict[str, Any]], account: str | None = None) -> dict[str, Any]:
        return self.run(lambda ctx: self.present(ctx, action(ctx)), account=account)

    def locate(self, object_id: str) -> str | None:
        """The account scope holding an object (hosted pages get ids without a Stripe-Account header)."""
        with self.lock:
            for scope, objects in self.store.objects.items():
                if object_id in objects:
                    return None if scope == self.store.platform_account else scope
        return None
