"""Celery tasks that belong to one studio.

DESIGN.md: tasks take `studio_id` and object ids, re-enter the studio's scope, and are
enqueued only after the transaction commits. `studio_task` and `enqueue` make that the only
easy way to write one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from celery import shared_task
from django.db import transaction
from django_scopes import scope


def studio_task(*task_args, **task_options) -> Callable:
    """Decorate `fn(studio_id, ...)`: the body runs inside `scope(studio=studio_id)`."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def run_in_scope(studio_id: int, *args, **kwargs):
            with scope(studio=studio_id):
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
