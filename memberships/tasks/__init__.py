"""Memberships' Celery tasks; Celery's autodiscovery imports this package, which imports each module."""

from . import cancel_policy, credits, methods, penalties, renewals, sales  # noqa: F401
