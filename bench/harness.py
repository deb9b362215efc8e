"""Shared set-up for the benchmarks in bench/: services, a throw-away database, timing, tables.

A benchmark script calls `start()` first: it starts the embedded PostgreSQL and Redis when
DATABASE_URL / REDIS_URL are unset (as `studio.launcher` does), sets Django up with the
test settings, and creates a throw-away test database that `stop()` drops again.
Figures are printed, never asserted (DESIGN.md: tests never assert wall-clock times).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_state: dict = {}


def start() -> None:
    """Services (embedded unless given), Django, and a fresh test database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.test")
    from studio import embedded

    tmp = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
    handles = []
    if not os.environ.get("DATABASE_URL"):
        pg = embedded.start_postgres(tmp / "postgres", persistent=False)
        embedded.ensure_database(pg.url("postgres"), "atelier")
        os.environ["DATABASE_URL"] = pg.url("atelier")
        handles.append(pg)
    if not os.environ.get("REDIS_URL"):
        redis = embedded.start_redis(tmp / "redis")
        os.environ["REDIS_URL"] = embedded.redis_socket_url_for_django(redis.url)
        os.environ["CELERY_BROKER_URL"] = redis.url
        handles.append(redis)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # ... but templates render as in production: the test environment's instrumented renderer
    # sends a signal per template, and the test client keeps a copy of the context each time
    # (response.context), work no real request does, and more of it on a page of many templates
    # than on a bench's one-template bare page.
    from django.template import Template
    from django.test.utils import _TestState

    Template._render = _TestState.saved_data.template_render
    _state.update(handles=handles, old_name=connection.settings_dict["NAME"])
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def stop() -> None:
    from django.db import connection
    from django.test.utils import teardown_test_environment

    connection.creation.destroy_test_db(_state["old_name"], verbosity=0)
    teardown_test_environment()
    from studio import embedded

    for handle in reversed(_state.get("handles", [])):
        if isinstance(handle, embedded.EmbeddedRedis):
            handle.stop()


@dataclass
class Measure:
    label: str
    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float
    queries: int
    size_kb: float
    rows: str = ""


def measure(
    cases: list[tuple[str, Callable[[], object], str]], *, runs: int = 60, warmup: int = 5
) -> list[Measure]:
    """Time each case's `request()` (a Django test-client call: the whole server side, in-process).

    Cases are timed in turns (one request of each, `runs` times), so that a busy machine slows
    them alike and the ratios between them hold. Wall-clock p50/p95 are the server time; the
    median CPU time of this process (the database works in its own) is printed too, as it moves
    less when other work shares the machine."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries, sizes = [], []
    for label, request, _rows in cases:
        for _ in range(warmup):
            request()
        with CaptureQueriesContext(connection) as ctx:
            response = request()
        assert response.status_code in (200, 302), (label, response.status_code)
        queries.append(len(ctx.captured_queries))  # now: the next request resets the log
        sizes.append(len(getattr(response, "content", b"")) / 1024)
    wall: list[list[float]] = [[] for _ in cases]
    cpu: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for i, (_label, request, _rows) in enumerate(cases):
            started, cpu_started = time.perf_counter(), time.process_time()
            request()
            wall[i].append((time.perf_counter() - started) * 1000)
            cpu[i].append((time.process_time() - cpu_started) * 1000)
    out = []
    for i, (label, _request, rows) in enumerate(cases):
        timings = sorted(wall[i])
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        out.append(
            Measure(
                label, statistics.median(timings), p95, statistics.median(cpu[i]), queries[i], sizes[i], rows
            )
        )
    return out


def print_table(title: str, rows: list[Measure], *, baseline: Measure | None = None) -> None:
    print(f"\n{title}")
    header = f"{'page':<44}{'rows':>8}{'p50 ms':>9}{'p95 ms':>9}{'cpu p50':>9}{'queries':>9}{'KiB':>8}"
    if baseline:
        header += f"{'p95 / bare':>12}"
    print(header)
    print("-" * len(header))
    for m in rows:
        line = (
            f"{m.label:<44}{m.rows:>8}{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}{m.cpu_p50_ms:>9.1f}{m.queries:>9}"
            f"{m.size_kb:>8.0f}"
        )
        if baseline:
            line += f"{m.p95_ms / baseline.p95_ms:>11.2f}×"
        print(line)
