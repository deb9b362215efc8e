"""Beat entries, registered by the app that owns them.

Each app calls `register(...)` from its `AppConfig.ready()`; `studio/celery.py` hands this
module's registry to Celery as `beat_schedule`, so no settings module names an app's tasks and
the core imports no app. The registry is one live dict: beat reads it after `django.setup()`
(which runs every `ready()`), whatever order Celery finalizes in.
"""

from __future__ import annotations

from typing import Any

# name -> Celery's beat entry ({"task", "schedule", "kwargs"}); the dict Celery reads.
ENTRIES: dict[str, dict[str, Any]] = {}


def register(name: str, *, task: str, schedule: Any, kwargs: dict | None = None) -> None:
    """Add the beat entry `name`: run the task registered as `task` on `schedule`.

    `schedule` is anything Celery accepts (seconds as a float, `crontab(...)`, a timedelta).
    Registering the same entry twice is harmless (`ready()` may run again in tests); the
    same name with a different task is a mistake and raises.
    """
    entry: dict[str, Any] = {"task": task, "schedule": schedule, "kwargs": dict(kwargs or {})}
    existing = ENTRIES.get(name)
    if existing is not None and existing["task"] != task:
        raise ValueError(f"beat entry {name!r} is already registered for {existing['task']!r}")
    ENTRIES[name] = entry


def entries() -> dict[str, dict[str, Any]]:
    """A copy of every registered entry, by name."""
    return {name: dict(entry) for name, entry in ENTRIES.items()}
