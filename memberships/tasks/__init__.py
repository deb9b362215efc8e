"""Memberships' Celery tasks; Celery's autodiscovery imports this package, which imports each module."""

from . import credits, methods, renewals, sales  # noqa: F401
