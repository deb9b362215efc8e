"""Celery tasks that belong to one studio.

DESIGN.md: tasks take `studio_id` and object ids, re-enter the studio's scope, and are
enqueued only after the transaction commits. `studio_task` and `enqueue` make that the only
easy way to write one; `enqueue_by_name` lets a service enqueue a task without importing the
module that defines it (tasks import services, never the other way round: no import loop).
"""

from __future__ import annotations

import importlib
import zoneinfo
from collections.abc import Callable
from functools import wraps

from celery import current_app, shared_task
from django.db import transaction
from django_scopes import scope


def studio_zone(studio_id: int):
    """The studio's time zone, active while its task runs: times in emails read as on its pages."""
    from django.utils import timezone

    from studio.models import Studio

    name = Studio.objects.filter(pk=studio_id).values_list("time_zone", flat=True).first() or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")  # an unknown zone name must not stop the task
    return timezone.override(zone)


def studio_task(*task_args, **task_options) -> Callable:
    """Decorate `fn(studio_id, ...)`: the body runs inside `scope(studio=studio_id)`.

    With `bind=True` the body is `fn(task, studio_id, ...)`, the task first as Celery passes it
    (for `task.retry(...)` or `task.request`).
    """

    def decorator(fn: Callable) -> Callable:
        if task_options.get("bind"):

            @wraps(fn)
            def run_bound_in_scope(task, studio_id: int, *args, **kwargs):
                with scope(studio=studio_id), studio_zone(studio_id):
                    return fn(task, studio_id, *args, **kwargs)

            return shared_task(**task_options)(run_bound_in_scope)

        @wraps(fn)
        def run_in_scope(studio_id: int, *args, **kwargs):
            with scope(studio=studio_id), studio_zone(studio_id):
                return fn(studio_id, *args, **kwargs)

        return shared_task(**task_options)(run_in_scope)

    if task_args and callable(task_args[0]):
        return decorator(task_args[0])
    return decorator


def enqueue(task, *args, **kwargs) -> None:
    """Send `task` once the current transaction commits (at once outside a transaction).

    `robust`: if the broker is down when the transaction commits, the error is logged instead of
    turning an already-committed request into a 500; the work is picked up by the periodic
    tasks that sweep unfinished rows (reconcile, series extension…).
    """
    transaction.on_commit(lambda: task.delay(*args, **kwargs), robust=True)


def task_by_name(name: str):
    """The registered Celery task called `name` ("payments.reconcile_studio").

    A name is dotted like a module path but need not be one. The registry is tried first; then
    the module that defines the task is imported — the name's leading parts, longest first
    (`payments.tasks.refunds.x` → `payments.tasks.refunds`), then `<app>.tasks`, where tasks
    named after their app live — and the registry tried again.
    """
    tasks = current_app.tasks
    if name in tasks:
        return tasks[name]
    parts = name.split(".")
    candidates = [".".join(parts[:end]) for end in range(len(parts) - 1, 0, -1)] + [f"{parts[0]}.tasks"]
    for module in candidates:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            # Only "this candidate does not exist" moves on; a missing import *inside* an
            # existing module is a real bug and must surface.
            if error.name is None or not (module == error.name or module.startswith(error.name + ".")):
                raise
            continue
        if name in tasks:
            return tasks[name]
    raise LookupError(f"no Celery task is registered as {name!r}")


def enqueue_by_name(name: str, *args, **kwargs) -> None:
    """Send the task registered as `name` once the current transaction commits.

    The service-side twin of `enqueue`: a service names the task instead of importing its
    module, so no task ↔ service import loop exists. The name is resolved now, so a misspelt
    one fails the test that made it; the send is robust like `enqueue` (a broker outage after
    commit is logged, never raised into a request whose data is already committed).
    """
    task = task_by_name(name)
    transaction.on_commit(lambda: task.delay(*args, **kwargs), robust=True)
