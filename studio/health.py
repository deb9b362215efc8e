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


def check_worker(timeout: float = 3.0) -> dict:
    """Round-trip a ping task through the broker to a live worker."""
    from studio.tasks import ping

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
