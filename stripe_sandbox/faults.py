"""Fault injection: make the next matching API request fail the way networks and Stripe do.

Kinds and what the client sees:
- `timeout`: nothing is done at "Stripe"; the client gets a connection error.
- `server_error`: nothing is done; HTTP 500 `api_error`.
- `rate_limit`: nothing is done; HTTP 429 `rate_limit`.
- `lost_response`: the request IS executed and its result saved under its idempotency key, then
  the client gets a connection error — the case where a blind retry without the same key would
  charge twice.
"""

from __future__ import annotations

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


class Faults:
    """Armed faults, consumed in the order they were armed by the first request each matches."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path) — for tests and the demo

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
        return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return list(self._armed)
