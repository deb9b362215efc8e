"""The sandbox's whole state: objects per account scope, private sidecar data, and small tables.

Everything here is plain JSON-able data so that persistence is a dump of `Store.to_json()`.
One scope per Stripe account: the platform's own id, or a connected account's id. Objects never
leave their scope, which is what makes the `Stripe-Account` header isolate accounts.
"""

from __future__ import annotations

import copy
import json
import os
import random
import string
import tempfile
from collections.abc import Callable
from typing import Any

_ALPHABET = string.ascii_letters + string.digits

# Stripe's id bodies: accounts and customers are shorter than payment objects.
_ID_LENGTHS = {"acct": 16, "cus": 14, "tml": 24, "tmr": 24}


class Ids:
    """Id and secret generation; seedable so a test run can be reproduced exactly."""

    def __init__(self, seed: int | None = None):
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    def token(self, length: int) -> str:
        return "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def new(self, prefix: str) -> str:
        length = _ID_LENGTHS.get(prefix, 24)
        # Stripe's ids for most objects start with a digit then mixed-case alphanumerics.
        return f"{prefix}_1{self.token(length - 1)}"

    def digits(self, length: int) -> str:
        return "".join(self._rng.choice(string.digits) for _ in range(length))


class Store:
    """Objects by scope, insertion order, private data and tables. Not thread-safe: callers lock."""

    def __init__(self, platform_account: str):
        self.platform_account = platform_account
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.seq: dict[str, int] = {}  # object id -> insertion order, for Stripe's newest-first lists
        self.meta: dict[str, dict[str, Any]] = {}  # object id -> private data (card numbers, flags)
        self.tables: dict[str, dict[str, Any]] = {}  # keyed tables (account links, idempotency, ...)
        self._counter = 0

    # --- objects -----------------------------------------------------------------------------
    def scope(self, account: str) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault(account, {})

    def get(self, account: str, object_id: str) -> dict[str, Any] | None:
        return self.objects.get(account, {}).get(object_id)

    def put(self, account: str, obj: dict[str, Any]) -> dict[str, Any]:
        object_id = obj["id"]
        if object_id not in self.seq:
            self._counter += 1
            self.seq[object_id] = self._counter
        self.scope(account)[object_id] = obj
        return obj

    def delete(self, account: str, object_id: str) -> None:
        self.objects.get(account, {}).pop(object_id, None)

    def find(
        self, account: str, object_type: str, predicate: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Objects of one type in a scope, newest first (Stripe's list order)."""
        found = [
            o
            for o in self.objects.get(account, {}).values()
            if o.get("object") == object_type and (predicate is None or predicate(o))
        ]
        found.sort(key=lambda o: self.seq.get(o["id"], 0), reverse=True)
        return found

    def private(self, object_id: str) -> dict[str, Any]:
        return self.meta.setdefault(object_id, {})

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})

    # --- persistence ---------------------------------------------------------------------------
    def to_json(self, *, copy_data: bool = True) -> dict[str, Any]:
        data = {
            "version": 1,
            "platform_account": self.platform_account,
            "objects": self.objects,
            "seq": self.seq,
            "meta": self.meta,
            "tables": self.tables,
            "counter": self._counter,
        }
        return copy.deepcopy(data) if copy_data else data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Store:
        store = cls(platform_account=data["platform_account"])
        store.objects = data.get("objects", {})
        store.seq = data.get("seq", {})
        store.meta = data.get("meta", {})
        store.tables = data.get("tables", {})
        store._counter = data.get("counter", max(store.seq.values(), default=0))
        return store

    def save(self, path: str) -> None:
        """Write atomically: a crash mid-write must not leave a truncated state file behind."""
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", dir=directory)
        try:
            # Serialise without a deep copy: callers hold the sandbox lock, so nothing moves meanwhile.
            payload = json.dumps(self.to_json(copy_data=False), separators=(",", ":"))
            with os.fdopen(fd, "w") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str) -> Store | None:
        if not os.path.exists(path):
            return None
        with open(path) as fh:
            return cls.from_json(json.load(fh))
