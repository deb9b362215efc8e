"""`Host`: what the layers below `core` may ask of the sandbox that runs them.

A request flows one way — server/transport → `core.Sandbox` → `api` (the `/v1/` pipeline) or
`hosted` (the local pages) → `resources` → `router`/`context` → `state`. The lower layers still
need the sandbox's state, clock, lock and queues; they name them through this protocol, which
`core.Sandbox` satisfies, instead of importing `core` — so no module imports one above it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .faults import Faults
    from .http import Response
    from .state import Ids, Store


class EventSink(Protocol):
    """`events.EventLog` as the context uses it."""

    def record(
        self,
        ctx: Any,
        event_type: str,
        snapshot: dict[str, Any],
        previous: dict[str, Any] | None,
        *,
        account: str | None = None,
    ) -> dict[str, Any]: ...


class WebhookQueue(Protocol):
    """`webhooks.Webhooks` as requests and the admin page use it."""

    mode: str
    duplicate: bool
    shuffle: bool

    def enqueue(self, event: dict[str, Any], scope: str) -> int: ...
    def after_request(self, events: list[dict[str, Any]]) -> None: ...
    def pending_count(self, event_id: str) -> int: ...
    def deliver_pending(self) -> list[dict[str, Any]]: ...
    @property
    def deliveries(self) -> list[dict[str, Any]]: ...


class Host(Protocol):
    """The sandbox's state and services, as seen from a request."""

    store: Store
    ids: Ids
    lock: AbstractContextManager[Any]
    faults: Faults
    events: EventSink
    webhooks: WebhookQueue
    public_url: str
    raise_server_errors: bool
    bank_settle_seconds: int | None

    @property
    def platform_account(self) -> str: ...
    def now(self) -> int: ...
    def persist(self) -> None: ...
    def reset(self) -> None: ...
    def tick(self) -> list[dict[str, Any]]: ...
    def settle_bank_debit(
        self, intent_id: str, *, account: str | None = None, succeed: bool = True, failure_code: str = ...
    ) -> dict[str, Any]: ...
    def present(self, ctx: Any, obj: Any) -> Any: ...
    def locate(self, object_id: str) -> str | None: ...
    def get(self, object_id: str, account: str | None = None) -> dict[str, Any] | None: ...
    def deliver_pending(self) -> list[dict[str, Any]]: ...
    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        account: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]: ...
    def run(
        self, action: Callable[[Any], Any], account: str | None = None, origin: str = "hosted"
    ) -> Any: ...
    def handle(
        self, method: str, path: str, query: str = "", headers: Any = None, body: bytes = b""
    ) -> Response: ...
