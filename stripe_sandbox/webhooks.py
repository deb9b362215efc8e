"""Signed webhook delivery with switches for the ways real delivery misbehaves.

Stripe delivers at least once and in no guaranteed order; the `duplicate` and `shuffle`
switches make those two facts happen on every run, so the app's handlers are proven idempotent
and order-independent instead of merely hoped to be.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .host import Host

Deliver = Callable[[str, dict[str, str], bytes], int]

MODES = ("immediate", "queued", "background")
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where events go. `connect=True` receives connected-account events (those with `account`)."""

    url: str
    secret: str
    connect: bool = False
    enabled_events: tuple[str, ...] = ("*",)

    def wants(self, event: dict[str, Any]) -> bool:
        if bool(event.get("account")) != self.connect:
            return False
        return any(
            p == "*" or p == event["type"] or (p.endswith(".*") and event["type"].startswith(p[:-1]))
            for p in self.enabled_events
        )


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">`."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def urllib_deliver(url: str, headers: dict[str, str], body: bytes) -> int:
    """Default transport: a plain POST; any HTTP status counts as an answer, network errors raise."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (local URLs)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _as_endpoint(value: WebhookEndpoint | tuple[Any, ...]) -> WebhookEndpoint:
    return value if isinstance(value, WebhookEndpoint) else WebhookEndpoint(*value)


class Webhooks:
    """Delivery queue and attempt log. Deliveries run outside the sandbox's request lock."""

    def __init__(
        self,
        sandbox: Host,
        endpoints: Iterable[WebhookEndpoint | tuple[Any, ...]] = (),
        *,
        mode: str = "immediate",
        duplicate: bool = False,
        shuffle: bool = False,
        seed: int | None = None,
        deliver: Deliver | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"delivery mode must be one of {MODES}")
        self.sandbox = sandbox
        self.endpoints: list[WebhookEndpoint] = [_as_endpoint(e) for e in endpoints]
        self.mode = mode
        self.duplicate = duplicate
        self.shuffle = shuffle
        self.rng = random.Random(seed)
        self.deliver: Deliver = deliver or urllib_deliver
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- configuration ------------------------------------------------------------------------------
    def add_endpoint(
        self, url: str, secret: str, connect: bool = False, enabled_events: tuple[str, ...] = ("*",)
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(url, secret, connect, enabled_events)
        self.endpoints.append(endpoint)
        return endpoint

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery (one per event × endpoint), oldest first, with its attempts."""
        return self.sandbox.store.table("webhooks").setdefault("deliveries", [])

    def pending(self) -> list[dict[str, Any]]:
        return [d for d in self.deliveries if d["status"] == "pending"]

    def attempts(self) -> list[dict[str, Any]]:
        """Flat list of attempts in the order they happened (what the app's endpoint saw)."""
        flat = [
            dict(a, delivery=d["id"], event=d["event"], url=d["url"])
            for d in self.deliveries
            for a in d["attempts"]
        ]
        return sorted(flat, key=lambda a: a["seq"])

    # --- queueing (called under the sandbox lock) -------------------------------------------------
    def enqueue(self, event: dict[str, Any], scope: str) -> int:
        count = 0
        for endpoint in self.endpoints:
            if endpoint.wants(event):
                self.deliveries.append(
                    {
                        "id": f"whd_{event['id'][4:]}_{count}",
                        "event": event["id"],
                        "scope": scope,
                        "url": endpoint.url,
                        "status": "pending",
                        "attempts": [],
                    }
                )
                count += 1
        return count

    def pending_count(self, event_id: str) -> int:
        return sum(1 for d in self.deliveries if d["event"] == event_id and d["status"] == "pending")

    # --- delivery (called without the sandbox lock) -----------------------------------------------
    def deliver_pending(self, event_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Send pending deliveries (optionally only for some events); returns the attempts made."""
        wanted = set(event_ids) if event_ids is not None else None
        # Lock order is always webhooks lock, then sandbox lock (never the reverse): no deadlock.
        with self._lock:
            with self.sandbox.lock:
                batch = [d for d in self.pending() if wanted is None or d["event"] in wanted]
            if self.shuffle:
                self.rng.shuffle(batch)
            made: list[dict[str, Any]] = []
            for delivery in batch:
                for _ in range(2 if self.duplicate else 1):
                    made.append(self._attempt(delivery))
        if made:
            self.sandbox.persist()
        return made

    def _attempt(self, delivery: dict[str, Any]) -> dict[str, Any]:
        endpoint = next((e for e in self.endpoints if e.url == delivery["url"]), None)
        with self.sandbox.lock:
            event = self.sandbox.store.get(delivery["scope"], delivery["event"])
            payload = json.dumps(event, indent=2).encode() if event else b"{}"
        status: int | None = None
        error: str | None = None
        if endpoint is None or event is None:
            error = "endpoint or event no longer exists"
        else:
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, endpoint.secret),
            }
            try:
                status = int(self.deliver(endpoint.url, headers, payload))
            except Exception as exc:  # a dead endpoint must not break the API call that caused the event
                error = f"{type(exc).__name__}: {exc}"
        with self.sandbox.lock:
            attempt = {"seq": self._next_seq(), "at": int(time.time()), "status": status, "error": error}
            delivery["attempts"].append(attempt)
            if status is not None and 200 <= status < 300:
                delivery["status"] = "delivered"
            elif endpoint is None or event is None or len(delivery["attempts"]) >= MAX_ATTEMPTS:
                delivery["status"] = "failed"
        return dict(attempt, event=delivery["event"], url=delivery["url"])

    def _next_seq(self) -> int:
        table = self.sandbox.store.table("webhooks")
        table["seq"] = table.get("seq", 0) + 1
        return table["seq"]

    def after_request(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        if self.mode == "immediate":
            self.deliver_pending([e["id"] for e in events])
        elif self.mode == "background":
            self._wake.set()

    # --- background mode ----------------------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        """Deliver from a daemon thread (server mode): requests never wait on the app's endpoint."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval)
                self._wake.clear()
                if self._stop.is_set():
                    break
                self.deliver_pending()
                self.sandbox.tick()

        self._thread = threading.Thread(target=loop, name="stripe-sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
