"""Fault injection: make the next matching API request fail the way networks and Stripe do.

Kinds and what the client sees:
- `timeout`: nothing is done at "Stripe"; the client gets a connection error.
- `server_error`: nothing is done; HTTP 500 `api_error`.
- `rate_limit`: nothing is done; HTTP 429 `rate_limit` with the header real Stripe sends,
  `Stripe-Rate-Limited-Reason: global-rate` (Stripe documents no `Retry-After` for it).
- `lost_response`: the request IS executed and its result saved under its idempotency key, then
  the client gets a connection error — the case where a blind retry without the same key would
  charge twice.

Faults are armed for the next N matching requests (`next`), or stand at a rate (`rate`: e.g.
10 % of requests answer 429) until cleared — what a benchmark or a soak test needs.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KINDS = ("timeout", "server_error", "rate_limit", "lost_response")


@dataclass
class Fault:
    kind: str
    path_prefix: str | None = None
    count: int = 1
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass
class RateFault:
    """A standing fault: each matching request fails this way with probability `fraction`."""

    kind: str
    fraction: float
    path_prefix: str | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return Fault(self.kind, self.path_prefix, 1, self.method).matches(method, path)


class Faults:
    """Armed faults, consumed in the order they were armed by the first request each matches,
    then standing rate faults, drawn from one seeded generator (reproducible for one request order)."""

    def __init__(self, seed: int | None = None) -> None:
        self._armed: list[Fault] = []
        self._rates: list[RateFault] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path) — for tests and the demo

    def rate(
        self,
        kind: str,
        fraction: float,
        path_prefix: str | None = None,
        method: str | None = None,
        *,
        seed: int | None = None,
    ) -> RateFault:
        """Make `fraction` (0–1) of the matching API requests fail as `kind`, until `clear()`.

        `sandbox.faults.rate("rate_limit", 0.10)` answers one request in ten with a 429;
        `rate("lost_response", 0.01, "/v1/payment_intents", method="POST")` loses one charge's
        answer in a hundred. Several rates may stand at once; armed `next` faults go first.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        fault = RateFault(kind, float(fraction), path_prefix, method)
        with self._lock:
            if seed is not None:
                self._rng.seed(seed)
            self._rates.append(fault)
        return fault

    def next(
        self, kind: str, path_prefix: str | None = None, count: int = 1, method: str | None = None
    ) -> Fault:
        """Arm a fault for the next `count` requests whose path starts with `path_prefix`.

        `path_prefix` is an API path such as `/v1/payment_intents`; None matches every API call.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(kind, path_prefix, count, method)
        with self._lock:
            self._armed.append(fault)
        return fault

    def take(self, method: str, path: str) -> str | None:
        with self._lock:
            for fault in self._armed:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._armed.remove(fault)
                    self.fired.append((fault.kind, method.upper(), path))
                    return fault.kind
            for standing in self._rates:
                if standing.matches(method, path) and self._rng.random() < standing.fraction:
                    self.fired.append((standing.kind, method.upper(), path))
                    return standing.kind
        return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._rates.clear()

    @property
    def rates(self) -> list[RateFault]:
        with self._lock:
            return list(self._rates)

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return list(self._armed)
