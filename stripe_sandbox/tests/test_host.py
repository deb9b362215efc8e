"""`Host` is how the layers below `core` see the sandbox: `Sandbox` must provide all of it."""

from __future__ import annotations

import inspect

from stripe_sandbox import Sandbox
from stripe_sandbox.host import EventSink, Host, WebhookQueue


def _members(protocol) -> set[str]:
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {name for name, _ in inspect.getmembers(protocol) if not name.startswith("_")}
    return names


def test_the_sandbox_provides_everything_the_lower_layers_ask_for():
    sandbox = Sandbox(seed=1)
    assert not sorted(name for name in _members(Host) if not hasattr(sandbox, name))
    assert not sorted(name for name in _members(EventSink) if not hasattr(sandbox.events, name))
    assert not sorted(name for name in _members(WebhookQueue) if not hasattr(sandbox.webhooks, name))


def test_the_protocol_is_not_empty():
    assert {"store", "ids", "lock", "now", "run", "present", "webhooks"} <= _members(Host)
