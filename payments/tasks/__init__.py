"""Payments' Celery tasks, one module per concern.

Celery's autodiscovery imports `payments.tasks` only, so this package imports every module that
defines a task; `import payments.tasks` therefore registers them all. Tasks import services;
services never import tasks (they enqueue by name with `studio.tasking.enqueue_by_name`).
"""

from payments.tasks import (  # noqa: F401 - registers them
    accounts,
    invoices,
    migration,
    outcomes,
    reconcile,
    refunds,
    terminal,
    webhooks,
)
