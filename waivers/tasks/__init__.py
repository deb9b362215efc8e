"""Waivers' Celery tasks; Celery's autodiscovery imports this package, which imports each module."""

from . import records  # noqa: F401
