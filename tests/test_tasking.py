"""Studio tasks (bound or not), enqueueing by name after commit, and beat entries registered by apps."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio import beat
from studio.celery import app as celery_app
from studio.models import Client
from studio.tasking import enqueue_by_name, studio_task, task_by_name
from tests.factories import ClientFactory

ROOT = Path(__file__).resolve().parent.parent

SEEN: list = []  # what `record` saw, in order


@studio_task(name="tests.tasking.count_clients_bound", bind=True)
def count_clients_bound(task, studio_id: int, label: str) -> tuple:
    # Proves the order Celery passes: the bound task, then the studio id, then the rest.
    return task.name, studio_id, label, Client.objects.count()


@studio_task(name="tests.tasking.record")
def record(studio_id: int, value: str) -> None:
    SEEN.append((studio_id, value, Client.objects.count()))


def test_a_bound_studio_task_gets_itself_then_the_studio_id_inside_the_scope(studio, other_studio):
    ClientFactory(studio=studio)
    ClientFactory(studio=studio)
    result = count_clients_bound.apply(args=(studio.pk, "x")).get()
    assert result == ("tests.tasking.count_clients_bound", studio.pk, "x", 2)
    assert count_clients_bound.apply(args=(other_studio.pk, "y")).get()[3] == 1


@pytest.fixture
def eager():
    # Eager here (the suite keeps a real broker otherwise): only the after-commit timing matters.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_enqueue_by_name_sends_after_commit_inside_the_studio_scope(
    studio, other_studio, eager, django_capture_on_commit_callbacks
):
    SEEN.clear()
    ClientFactory(studio=studio)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_by_name("tests.tasking.record", studio.pk, value="hello")
        assert not SEEN  # nothing runs before the commit
    assert len(callbacks) == 1
    assert SEEN.pop() == (studio.pk, "hello", 1)
    assert not SEEN


def test_enqueue_by_name_imports_the_module_that_defines_the_task():
    # "payments.reconcile_studio" lives in payments/tasks: resolving it must not need a prior import.
    assert task_by_name("payments.reconcile_studio").name == "payments.reconcile_studio"
    assert task_by_name("scheduling.extend_series").name == "scheduling.extend_series"


def test_a_misspelt_task_name_fails_when_enqueued_not_silently_after_commit():
    with pytest.raises(LookupError):
        enqueue_by_name("payments.no_such_task", 1)


WORKER_VIEW = """
import json, django
django.setup()
from celery.beat import Scheduler
from studio.celery import app
app.loader.import_default_modules()  # what a worker or beat process imports at start
scheduler = Scheduler(app=app, lazy=True)
scheduler.setup_schedule()
print(json.dumps({"tasks": sorted(app.tasks),
                  "beat": {name: entry.task for name, entry in scheduler.schedule.items()}}))
"""


@pytest.fixture(scope="module")
def worker_view() -> dict:
    """The tasks and beat schedule a freshly started worker/beat sees (a new process: this test
    process has imported far more modules than a worker would)."""
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "studio.settings.test"),
    }
    out = subprocess.run(
        [sys.executable, "-c", WORKER_VIEW], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_beat_sees_every_apps_entries_and_each_names_a_registered_task(worker_view):
    beat_seen = worker_view["beat"]
    assert {
        "payments-reconcile",
        "payments-refund-reconcile",
        "scheduling-extend-series",
        "scheduling-mark-no-shows",
    } <= set(beat_seen)
    assert set(beat_seen) >= set(beat.entries())  # every app's registrations, none lost on the way
    unknown = {
        name: task
        for name, task in beat_seen.items()
        if not name.startswith("celery.") and task not in worker_view["tasks"]
    }
    assert not unknown, f"beat entries naming no task a worker knows: {unknown}"


def test_registering_a_name_for_another_task_is_refused():
    beat.register(
        "payments-reconcile", task="payments.reconcile_all", schedule=300.0
    )  # same entry again: fine
    with pytest.raises(ValueError):
        beat.register("payments-reconcile", task="payments.something_else", schedule=300.0)


def _declared_task_names() -> set[str]:
    """Every `@shared_task(name=...)`/`@studio_task(name=...)` in the apps' code (tests excluded)."""
    import ast

    root = ROOT
    names = set()
    for package in (
        "studio",
        "payments",
        "scheduling",
        "waivers",
        "memberships",
        "pos",
        "payroll",
        "checkout",
    ):
        for path in (root / package).rglob("*.py") if (root / package).is_dir() else ():
            if "tests" in path.relative_to(root).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "shared_task",
                    "studio_task",
                ):
                    for keyword in node.keywords:
                        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                            names.add(keyword.value.value)
    return names


def test_the_worker_knows_every_task_the_code_declares(worker_view):
    # A worker registers what autodiscovery imports (`<installed app>.tasks`); a task module it
    # never imports makes every message sent to that task "unregistered" on the worker.
    declared = _declared_task_names()
    assert len(declared) > 5
    unknown = sorted(declared - set(worker_view["tasks"]))
    assert not unknown, f"tasks a worker would not know (import their module from <app>/tasks): {unknown}"


def test_every_sweep_and_fan_out_task_has_a_beat_entry(worker_view):
    # A sweep nobody schedules sweeps nothing: tasks named as sweeps or fan-outs must be in beat.
    scheduled = set(worker_view["beat"].values())
    sweeps = {
        name
        for name in _declared_task_names()
        if not name.startswith(("celery.", "tests."))
        and ("sweep" in name or name.endswith("_all") or name.endswith("_all_studios"))
    }
    assert sweeps, "no sweep task found: is the naming convention gone?"
    assert not sorted(sweeps - scheduled), f"sweep tasks without a beat entry: {sorted(sweeps - scheduled)}"
