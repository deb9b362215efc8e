from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_redis() -> dict:
    try:
        key = "healthz:ping"
        cache.set(key, "1", 10)
        return {"ok": cache.get(key) == "1"}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_worker(timeout: float | None = None) -> dict:
    """Round-trip a ping task through the broker to a live worker, within `HEALTH_WORKER_TIMEOUT`
    seconds (3 by default; the test settings allow a worker thread sharing two busy cores more)."""
    from django.conf import settings

    from studio.tasks import ping

    if timeout is None:
        timeout = float(getattr(settings, "HEALTH_WORKER_TIMEOUT", 3.0))

    started = time.monotonic()
    try:
        result = ping.apply_async(expires=timeout)
        value = result.get(timeout=timeout)
        return {"ok": value == "pong", "latency_ms": round((time.monotonic() - started) * 1000)}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_all() -> dict:
    checks = {"database": check_database(), "redis": check_redis(), "worker": check_worker()}
    return {"ok": all(c["ok"] for c in checks.values()), **checks}
