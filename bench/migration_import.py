"""Benchmark: importing a 20,000-row Stripe "copy customers" mapping file (PAY-10).

    .venv/bin/python -m studio.launcher bench migration_import      (make bench ARGS=migration_import)

Builds a studio with 10,000 clients and, on the in-process Stripe sandbox, the state Stripe's
copy leaves on the new account: 10,000 customers (same ids as on the old account) with 2 cards
each under new ids. Half the clients are known on the old account (customer and both cards saved
there: their rows are re-pointed); the other half are found by their email at Stripe (their
cards are added). Then, as the web page and the worker do it (`migration_start`, the Celery task
run in-process), a dry run and an apply; a thread reads the progress from the database every
second, as the page's progress bar does. Finally the apply again, which must change nothing.

Prints wall time, rows/s, tracemalloc peak (Python allocations during the run) and the
process's maximum RSS (which also holds the sandbox's 30,000 objects). Targets (issue #5):
under 2 minutes and under 300 MB in the worker. Figures are printed, never asserted.
"""

from __future__ import annotations

import copy
import cProfile
import logging
import os
import pstats
import resource
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "10000"))
PROFILE = os.environ.get("BENCH_PROFILE")  # "dry_run" or "apply": print the top of a cProfile of that run
TRACEMALLOC = os.environ.get("BENCH_TRACEMALLOC") == "1"  # Python-level peak too (slows the runs about 2x)
METHODS_EACH = 2
KNOWN_SHARE = 2  # every 2nd client is known on the old account (re-point); the others are added


def _account(sandbox, studio, name: str, *, default: bool):
    from payments import gateway
    from payments.models import ConnectedAccount, StripeAccountDirectory

    created = gateway.account_create(
        idempotency_key=f"bench:{name}", country="CA", email=None, business_name=name, metadata={}
    )
    sandbox.complete_onboarding(created.id)
    account = ConnectedAccount.objects.create(
        studio=studio,
        display_name=name,
        stripe_account_id=created.id,
        creation_key=f"bench:{name}",
        is_default=default,
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        state=ConnectedAccount.State.READY,
    )
    StripeAccountDirectory.objects.create(stripe_account_id=created.id, studio_id=studio.pk)
    return account


def seed_sandbox(sandbox, account: str) -> None:
    """Stripe's copy on the new account, written straight into the sandbox's store (fast):
    one customer and one card made through the API serve as templates for the rest."""
    client = sandbox.client()
    options = {"stripe_account": account}
    template_customer = client.v1.customers.create({"email": "template@bench.test"}, options=options).id
    template_card = client.v1.payment_methods.create(
        {"type": "card", "card": {"token": "tok_visa"}}, options=options
    ).id
    with sandbox.lock:
        store = sandbox.store
        customer = store.objects[account].pop(template_customer)
        card = store.objects[account].pop(template_card)
        secret = store.meta.pop(template_card, {})
        for n in range(CLIENTS):
            c = copy.deepcopy(customer)
            c.update(id=customer_id(n), email=f"client{n}@bench.test", name=f"Client {n}")
            store.put(account, c)
            for k in range(METHODS_EACH):
                pm = copy.deepcopy(card)
                pm.update(id=new_pm(n, k), customer=customer_id(n))
                pm["card"]["last4"] = f"{(n * METHODS_EACH + k) % 10000:04d}"
                store.put(account, pm)
                store.meta[pm["id"]] = dict(secret)


def customer_id(n: int) -> str:
    return f"cus_Bench{n:07d}"


def old_pm(n: int, k: int) -> str:
    return f"pm_1BenchOld{n:07d}x{k}"


def new_pm(n: int, k: int) -> str:
    return f"pm_1BenchNew{n:07d}x{k}"


def seed_database(studio, location, old_account) -> None:
    from payments.models import SavedPaymentMethod, StripeCustomer
    from studio.models import Client

    clients = Client.objects.bulk_create(
        [
            Client(
                studio=studio,
                first_name=f"Client{n}",
                last_name="Bench",
                email=f"client{n}@bench.test",
                home_location=location,
            )
            for n in range(CLIENTS)
        ],
        batch_size=2000,
    )
    known = [(n, c) for n, c in enumerate(clients) if n % KNOWN_SHARE == 0]
    customers = StripeCustomer.objects.bulk_create(
        [
            StripeCustomer(
                studio=studio,
                client=c,
                account=old_account,
                stripe_customer_id=customer_id(n),
                idempotency_key=f"bench:{c.pk}",
            )
            for n, c in known
        ],
        batch_size=2000,
    )
    SavedPaymentMethod.objects.bulk_create(
        [
            SavedPaymentMethod(
                studio=studio,
                client=c,
                account=old_account,
                customer=customer,
                stripe_payment_method_id=old_pm(n, k),
                kind="card",
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=2031,
                is_default=k == 0,
                source="staff",
            )
            for (n, c), customer in zip(known, customers, strict=True)
            for k in range(METHODS_EACH)
        ],
        batch_size=2000,
    )


def mapping_file() -> bytes:
    lines = ["customer_id_old,customer_id_new,source_id_old,source_id_new"]
    lines += [
        f"{customer_id(n)},{customer_id(n)},{old_pm(n, k)},{new_pm(n, k)}"
        for n in range(CLIENTS)
        for k in range(METHODS_EACH)
    ]
    return ("\n".join(lines) + "\n").encode()


def rss_mib() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class ProgressWatcher(threading.Thread):
    """Reads the import's progress once a second on its own connection, like the page's poll, and
    samples the process's resident memory meanwhile."""

    def __init__(self, migration_id: int):
        super().__init__(daemon=True)
        self.migration_id = migration_id
        self.samples: list[tuple[float, int, str]] = []
        self.stop = threading.Event()
        self.started_at = time.perf_counter()
        self.rss_start = self.rss_peak = rss_mib()

    def run(self) -> None:
        from django.db import connection
        from django_scopes import scopes_disabled

        from payments.models import MigrationImport

        try:
            with scopes_disabled():
                while not self.stop.wait(1.0):
                    self.rss_peak = max(self.rss_peak, rss_mib())
                    done, status = MigrationImport.objects.values_list("progress_done", "status").get(
                        pk=self.migration_id
                    )
                    self.samples.append((time.perf_counter() - self.started_at, done, status))
        finally:
            connection.close()


def measured(label: str, migration, mode: str, actor) -> dict:
    """Start a run as the page does and let the (eager) worker do it; time, memory, progress."""
    from django_scopes import scope

    from payments.models import MigrationImport
    from payments.services import migration_import as svc

    watcher = ProgressWatcher(migration.pk)
    watcher.start()
    profiler = cProfile.Profile() if mode == PROFILE else None
    if profiler is not None:
        profiler.enable()
    elif TRACEMALLOC:
        tracemalloc.start()
    started = time.perf_counter()
    with scope(studio=migration.studio):
        svc.migration_start(migration=migration, actor=actor, mode=mode)
    seconds = time.perf_counter() - started
    peak = 0
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    elif TRACEMALLOC:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    watcher.stop.set()
    watcher.join()
    rss_peak = max(watcher.rss_peak, rss_mib())
    with scope(studio=migration.studio):
        row = MigrationImport.objects.get(pk=migration.pk)
    counts = {k: v for k, v in row.summary.get("counts", {}).items() if v}
    rows = row.progress_total
    traced = f", tracemalloc peak {peak / 2**20:.1f} MiB" if peak else ""
    print(
        f"\n{label}: {row.status} in {seconds:.1f} s, {rows / seconds:,.0f} rows/s; RSS {watcher.rss_start:.0f} → "
        f"peak {rss_peak:.0f} MiB (+{rss_peak - watcher.rss_start:.0f}){traced}"
    )
    print(
        f"  outcomes: {counts}; clients {row.summary.get('clients')}, defaults {row.summary.get('defaults')}"
    )
    moving = [s for s in watcher.samples if s[2] in ("checking", "applying")]
    shown = ", ".join(f"{t:.0f}s:{done}" for t, done, _status in moving[:: max(1, len(moving) // 12)])
    print(f"  progress seen by a second connection ({len(moving)} samples while running): {shown}")
    if row.error:
        print(f"  error: {row.error}")
    return {
        "seconds": seconds,
        "peak": peak,
        "status": row.status,
        "samples": moving,
        "rss_peak": rss_peak,
        "rss_start": watcher.rss_start,
    }


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run() -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_scopes import scope, scopes_disabled

    from payments import gateway
    from payments.models import SavedPaymentMethod
    from payments.services import migration_import as svc
    from payments.services.saved_methods import saved_methods_enable
    from stripe_sandbox import Sandbox
    from stripe_sandbox.transport import SandboxHTTPClient
    from studio import services
    from studio.celery import app
    from studio.models import Location, User
    from studio.services import Actor

    logging.getLogger("stripe").setLevel(logging.WARNING)
    app.conf.task_always_eager = True  # the worker's task, run in this process
    app.conf.task_eager_propagates = True
    sandbox = Sandbox(seed=7, delivery="queued")
    with gateway.use_http_client(SandboxHTTPClient(sandbox)):
        started = time.perf_counter()
        owner = User.objects.create_user(email="owner@bench-migration.test", password="bench-password-123")
        with scopes_disabled():
            studio = services.studio_create(
                name="Bench migration", slug="bench-migration", owner=owner, language="en"
            )
        with scope(studio=studio):
            location = Location.objects.create(studio=studio, name="Plateau", time_zone="America/Toronto")
            old = _account(sandbox, studio, "Old account", default=False)
            new = _account(sandbox, studio, "New account", default=True)
            new.served_locations.create(studio=studio, location=location)
            saved_methods_enable(studio=studio, actor=Actor(user=owner), accept_terms=True)
            seed_database(studio, location, old)
        seed_sandbox(sandbox, new.stripe_account_id)
        data = mapping_file()
        print(
            f"Set-up: {CLIENTS:,} clients, {CLIENTS * METHODS_EACH:,} copied cards on the sandbox, "
            f"{CLIENTS // KNOWN_SHARE * METHODS_EACH:,} known on the old account; mapping file "
            f"{len(data) / 2**20:.1f} MiB; {time.perf_counter() - started:.1f} s; maxrss {maxrss_mib():.0f} MiB"
        )

        actor = Actor(user=owner)
        upload_started = time.perf_counter()
        with scope(studio=studio):
            migration = svc.migration_upload(
                studio=studio, actor=actor, target_account=new, file=SimpleUploadedFile("copy.csv", data)
            )
        del data
        print(
            f"Upload (checks, {migration.progress_total:,} rows counted, stored): "
            f"{time.perf_counter() - upload_started:.2f} s"
        )

        rss_before = rss_mib()
        dry = measured("Dry run", migration, svc.DRY_RUN, actor)
        applied = measured("Apply", migration, svc.APPLY, actor)
        again_started = time.perf_counter()
        with scope(studio=studio):
            again = svc.migration_apply(migration=migration, actor=actor)
        print(
            f"\nApply again (idempotent): {again.status} in {time.perf_counter() - again_started:.1f} s; "
            f"outcomes { ({k: v for k, v in again.summary['counts'].items() if v}) }"
        )

        with scope(studio=studio):
            on_new = SavedPaymentMethod.objects.filter(account=new).count()
            defaults = SavedPaymentMethod.objects.filter(account=new, is_default=True).count()
        print(
            f"\nSaved methods on the new account: {on_new:,}; defaults there: {defaults:,} "
            f"(one per client: {defaults == CLIENTS})"
        )
        total = dry["seconds"] + applied["seconds"]
        growth = max(dry["rss_peak"], applied["rss_peak"]) - rss_before
        print(
            f"Dry run + apply: {total:.1f} s (target < 120 s). Memory: RSS before the runs {rss_before:.0f} MiB "
            f"(Django, this studio's data and the sandbox's {CLIENTS * (1 + METHODS_EACH):,} Stripe objects, "
            f"which a real worker does not hold); the runs added at most {growth:.0f} MiB; process maxrss "
            f"{maxrss_mib():.0f} MiB (target < 300 MB in the worker)"
        )
        ok = (dry["status"], applied["status"], again.status) == ("checked", "applied", "applied")
        ok = ok and not again.summary["counts"]["add"] and not again.summary["counts"]["repoint"]
        return 0 if ok and on_new == CLIENTS * METHODS_EACH else 1


def main() -> int:
    harness.start()
    try:
        return run()
    finally:
        harness.stop()


if __name__ == "__main__":
    raise SystemExit(main())
