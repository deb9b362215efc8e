"""Fixtures of the scheduling tests. Browser fixtures come from tests/browser.py (root conftest)."""

from __future__ import annotations

import pytest

from studio.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks enqueued after commit run in-process: emails land in mail.outbox, no broker needed."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
