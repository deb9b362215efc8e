"""Health endpoint with a real worker, tasks re-entering the scope, and checks a machine can make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from studio.celery import app as celery_app
from studio.models import Client
from studio.tasking import studio_task
from tests.factories import ClientFactory

ROOT = Path(__file__).resolve().parent.parent


@studio_task(name="tests.count_clients")
def count_clients(studio_id: int) -> int:
    return Client.objects.count()


@pytest.fixture(scope="module")
def celery_worker_thread(django_db_blocker):
    """A real Celery worker (threads pool) on the embedded Redis broker."""
    with django_db_blocker.unblock(), start_worker(celery_app, pool="threads", concurrency=1, perform_ping_check=False,
                                                   loglevel="WARNING", shutdown_timeout=10):
        yield


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_redis_and_worker(client, celery_worker_thread):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["database"]["ok"] and body["redis"]["ok"] and body["worker"]["ok"]


@pytest.mark.django_db(transaction=True)
def test_studio_task_runs_in_its_studio_scope_on_the_worker(studio, other_studio, celery_worker_thread):
    ClientFactory(studio=studio)
    ClientFactory(studio=studio)
    result = count_clients.delay(studio.pk)
    assert result.get(timeout=10) == 2
    assert count_clients.delay(other_studio.pk).get(timeout=10) == 1


def test_query_outside_a_scope_raises(db):
    with pytest.raises(ScopeError):
        Client.objects.count()
    with scope(studio=None):
        pass


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_are_complete(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "studio.settings.production", "DJANGO_SECRET_KEY": "x" * 60 + "-Prod-Key-123",
        "DATABASE_URL": "postgresql://u:p@db/atelier", "REDIS_URL": "redis://redis:6379/0",
        "DJANGO_ALLOWED_HOSTS": "atelier.example.com", "SITE_URL": "https://atelier.example.com",
        "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x", "PATH": "/usr/bin:/bin",
        "STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_y",
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets():
    env = {"DJANGO_SETTINGS_MODULE": "studio.settings.production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
