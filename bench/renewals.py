"""Benchmark: a night of renewals through the throttle, against the sandbox served over HTTP.

    make bench ARGS=renewals                       # 10,000 memberships (the issue's figure)
    RENEWALS_N=300 make bench ARGS=renewals        # a quick run
    .venv/bin/python -m studio.launcher bench renewals   (same thing)

10,000 due monthly memberships in one studio, over 3 home locations, each with its own connected
account (routing rule 3 sends each renewal to its client's home account). The Stripe sandbox
runs as a server in its own process — the SDK really speaks HTTP to it — answering 10 % of API
requests with a 429 (`Stripe-Rate-Limited-Reason: global-rate`) and losing 1 % of responses
after doing the work; the throttle runs at 25 requests/s per account (Stripe's test-mode limit)
with its default headroom. The renewal engine drives it: `renewals_run_due` (the beat's run, its
enqueued attempts collected instead of sent to Celery) then `renewal_attempt` for each renewal,
from several worker processes with a few threads each (the machine has 2 cores); then whatever
is still unsettled (an answer lost twice) is reconciled and its outcome delivered, as the
reconcile task and the outcome sweep would.

Printed: wall times, renewals/s overall and per account, the highest per-account request rate
over any 1-second window from the sandbox's own request log (every request it received, 429s
included; and the admitted ones), duplicate charges (succeeded intents per idempotency key, and
per renewal), unsettled renewals, the ratio of the achieved rate to the limit, the sandbox's own
ceiling measured in the same run with the throttle off, and the workers' peak memory.
The last line is for scripts (see `LAST_LINE`). Figures are printed, never asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import resource
import sys
import threading
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

N = int(os.environ.get("RENEWALS_N", "10000"))
ACCOUNTS = 3
LIMIT = 25.0  # requests/s per account: Stripe's test mode
RATE_429 = float(os.environ.get("RENEWALS_429", "0.10"))
RATE_LOST = float(os.environ.get("RENEWALS_LOST", "0.01"))
PROCESSES = int(os.environ.get("RENEWALS_PROCESSES", "4"))
THREADS = int(os.environ.get("RENEWALS_THREADS", "4"))
PRESSURE_THREADS = 8  # the throttle alone: more callers per account, to keep its buckets busy
CEILING_SECONDS = 4.0
PRESSURE_SECONDS = 8.0
LAST_LINE = "renewals: {n} renewed, {d} duplicate charges, {u} unsettled, peak {p}/s per account (limit {l}), ratio {x}"


# --- the sandbox, in its own process ---------------------------------------------------------------


def sandbox_process(conn) -> None:
    """Serve the sandbox on a free port; answer the bench's commands over `conn`."""
    from stripe_sandbox import Sandbox
    from stripe_sandbox.server import SandboxServer

    log: list[tuple] = []

    class LoggedSandbox(Sandbox):
        """Records every API request as it arrives: the sandbox's own request log."""

        def handle(self, method, path, query="", headers=None, body=b""):
            arrived = time.time()
            response = super().handle(method, path, query, headers, body)
            if path.startswith("/v1/"):
                hdrs = headers or {}
                intent = None
                if method.upper() == "POST" and path == "/v1/payment_intents" and response.status == 200:
                    data = json.loads(response.body)
                    intent = (data.get("id"), data.get("status"))
                log.append(
                    (
                        arrived,
                        hdrs.get("Stripe-Account") or "",
                        method.upper(),
                        path,
                        response.status,
                        hdrs.get("Idempotency-Key"),
                        response.drop_connection,
                        intent,
                    )
                )
            return response

    sandbox = LoggedSandbox(seed=2026, delivery="queued")
    server = SandboxServer(sandbox, host="127.0.0.1", port=0).start()
    conn.send(server.url)
    while True:
        command, arg = conn.recv()
        if command == "setup":
            conn.send(_sandbox_setup(sandbox, arg))
        elif command == "faults":
            sandbox.faults.clear()
            for kind, fraction in arg.items():
                sandbox.faults.rate(kind, fraction, seed=7)
            conn.send(True)
        elif command == "log":
            conn.send(list(log))
        elif command == "clear_log":
            log.clear()
            conn.send(True)
        elif command == "stop":
            server.stop()
            conn.send(True)
            return


def _sandbox_setup(sandbox, per_account: list[int]) -> list[dict]:
    """Accounts onboarded, one customer each, and one saved card per client (without HTTP: fast)."""
    out = []
    for i, count in enumerate(per_account):
        status, account = sandbox.call("POST", "/v1/accounts", {"type": "express", "country": "CA"})
        assert status == 200, account
        sandbox.complete_onboarding(account["id"], business_name=f"Bench {i}")
        status, customer = sandbox.call(
            "POST", "/v1/customers", {"name": f"Bench {i}"}, account=account["id"]
        )
        assert status == 200, customer
        methods = []
        for _ in range(count):
            status, pm = sandbox.call(
                "POST",
                "/v1/payment_methods",
                {"type": "card", "card": {"token": "tok_visa"}},
                account=account["id"],
            )
            assert status == 200, pm
            status, pm = sandbox.call(
                "POST",
                f"/v1/payment_methods/{pm['id']}/attach",
                {"customer": customer["id"]},
                account=account["id"],
            )
            assert status == 200, pm
            methods.append(pm["id"])
        out.append({"account": account["id"], "customer": customer["id"], "methods": methods})
    return out


# --- the studio and its memberships ----------------------------------------------------------------


def build(accounts: list[dict], today: dt.date):
    """One studio, 3 home locations with an account each, N due monthly memberships with a card."""
    from django_scopes import scopes_disabled

    from memberships.models import Membership, MembershipStatus
    from memberships.tests.factories import PlanFactory
    from payments.models import (
        ConnectedAccount,
        ConnectedAccountLocation,
        SavedPaymentMethod,
        StripeAccountDirectory,
        StripeCustomer,
    )
    from payments.services.saved_methods import saved_methods_enable
    from studio.models import Client
    from studio.services import Actor
    from tests.factories import LocationFactory, make_studio, owner_of

    studio = make_studio("bench-renewals", language="en")
    owner = owner_of(studio)
    started = today - dt.timedelta(days=40)  # a month and more ago: the renewal fell due days ago
    next_on = started.replace(month=started.month % 12 + 1, year=started.year + (started.month == 12))
    with scopes_disabled():
        saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
        plan = PlanFactory(studio=studio, name="Unlimited monthly", price_amount=2000)
        homes = []
        for i, remote in enumerate(accounts):
            location = LocationFactory(studio=studio, name=f"Site {i}")
            account = ConnectedAccount.objects.create(
                studio=studio,
                display_name=f"Site {i}",
                stripe_account_id=remote["account"],
                creation_key=f"bench:{i}",
                is_default=i == 0,
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                state=ConnectedAccount.State.READY,
            )
            ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
            StripeAccountDirectory.objects.create(stripe_account_id=remote["account"], studio_id=studio.pk)
            homes.append((location, account, remote))
        clients, customers, methods, memberships = [], [], [], []
        for i in range(N):
            location, _account, _remote = homes[i % ACCOUNTS]
            clients.append(
                Client(
                    studio=studio,
                    first_name=f"Member{i}",
                    last_name="Bench",
                    email=f"member{i}@bench.test",
                    language="en",
                    home_location=location,
                )
            )
        Client.objects.bulk_create(clients, batch_size=1000)
        for i, client in enumerate(clients):
            _location, account, remote = homes[i % ACCOUNTS]
            customers.append(
                StripeCustomer(
                    studio=studio,
                    client=client,
                    account=account,
                    stripe_customer_id=remote["customer"],
                    idempotency_key=f"customer:{client.pk}:{account.pk}",
                )
            )
        StripeCustomer.objects.bulk_create(customers, batch_size=1000)
        for i, (client, customer) in enumerate(zip(clients, customers, strict=True)):
            _location, account, remote = homes[i % ACCOUNTS]
            methods.append(
                SavedPaymentMethod(
                    studio=studio,
                    client=client,
                    account=account,
                    customer=customer,
                    stripe_payment_method_id=remote["methods"][i // ACCOUNTS],
                    kind=SavedPaymentMethod.Kind.CARD,
                    brand="visa",
                    last4="4242",
                    exp_month=12,
                    exp_year=today.year + 5,
                    is_default=True,
                    source=SavedPaymentMethod.Source.STAFF,
                )
            )
            memberships.append(
                Membership(
                    studio=studio,
                    client=client,
                    plan=plan,
                    status=MembershipStatus.ACTIVE,
                    price_amount=plan.price_amount,
                    currency=plan.currency,
                    started_on=started,
                    anchor_day=started.day,
                    current_period_start=started,
                    current_period_end=next_on,
                    next_renewal_on=next_on,
                    credits_remaining=None,
                    periods_paid=1,
                )
            )
        SavedPaymentMethod.objects.bulk_create(methods, batch_size=1000)
        Membership.objects.bulk_create(memberships, batch_size=1000)
    return studio, {remote["account"]: f"Site {i}" for i, remote in enumerate(accounts)}


# --- workers ----------------------------------------------------------------------------------------


def worker_process(
    studio_id: int, now: dt.datetime, jobs, results, mode: str, deadline: float, extra
) -> None:
    """Threads taking renewal ids from `jobs` and running the engine's attempt on each."""
    from django.db import connections
    from django_scopes import scope

    from memberships.services.renewals import renewal_attempt
    from studio.models import Studio

    connections.close_all()  # never share the parent's connection
    statuses: Counter = Counter()
    errors: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def run_renewals() -> None:
        from django.db import connection

        studio = Studio.objects.get(pk=studio_id)
        with scope(studio=studio):
            while True:
                try:
                    renewal_id = jobs.get(timeout=0.5)
                except queue.Empty:
                    break
                if renewal_id is None:
                    break
                began = time.perf_counter()
                try:
                    renewal = renewal_attempt(renewal_id=renewal_id, now=now)
                    with lock:
                        statuses[renewal.status] += 1
                        latencies.append(time.perf_counter() - began)
                except Exception as exc:  # counted and shown: a bench must finish to report
                    with lock:
                        errors[type(exc).__name__] += 1
        connection.close()

    thread_numbers = iter(range(1000))

    def run_gateway_only() -> None:
        """Confirmed payment intents as fast as the gateway lets them go: no database at all.

        "ceiling" (throttle off, faults off, one account): what the sandbox can serve.
        "pressure" (throttle and faults on, threads spread over the accounts): what the throttle
        alone achieves against its limit, with nothing else slowing the workers down.
        """
        from payments import gateway

        with lock:
            number = next(thread_numbers)
        account, customer, method = extra[(os.getpid() + number) % len(extra)]
        n = 0
        while time.time() < deadline:
            key = f"{mode}:{os.getpid()}:{number}:{n}"
            try:
                gateway.payment_intent_create(
                    account=account,
                    idempotency_key=key,
                    amount=1000,
                    currency="cad",
                    metadata={},
                    customer_id=customer,
                    payment_method_id=method,
                    confirm=True,
                    off_session=True,
                )
                with lock:
                    statuses[account] += 1
            except Exception as exc:
                with lock:
                    errors[type(exc).__name__] += 1
            n += 1

    target = run_renewals if mode == "renewals" else run_gateway_only
    count = PRESSURE_THREADS if mode == "pressure" else THREADS
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put(
        {"statuses": dict(statuses), "errors": dict(errors), "peak_kib": peak_kib, "latencies": latencies}
    )


def run_workers(
    studio_id, now, job_ids, *, mode="renewals", deadline=0.0, extra=None
) -> tuple[float, list[dict]]:
    from django.db import connections

    ctx = mp.get_context("fork")
    jobs, results = ctx.Queue(), ctx.Queue()
    for job in job_ids:
        jobs.put(job)
    connections.close_all()
    started = time.perf_counter()
    procs = [
        ctx.Process(target=worker_process, args=(studio_id, now, jobs, results, mode, deadline, extra))
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    out = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    return time.perf_counter() - started, out


# --- figures ----------------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def most_in_any_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def settle_leftovers(studio, now) -> int:
    """What the reconcile task and each payment outcome's own delivery task do for the renewals
    whose answer never came back (lost twice, or 429s past the retries); returns the passes."""
    from django_scopes import scope

    from memberships.models import Renewal, RenewalStatus
    from memberships.services.renewals import renewal_attempt
    from payments.models import Payment
    from payments.models.ledger import PaymentOutcome
    from payments.services.charges import payment_reconcile
    from payments.services.outcomes import outcome_deliver

    passes = 0
    with scope(studio=studio):
        for passes in range(1, 6):
            open_rows = list(
                Renewal.objects.filter(studio=studio)
                .exclude(status=RenewalStatus.SUCCEEDED)
                .select_related("payment")
            )
            if not open_rows:
                return passes - 1
            payments = []
            for renewal in open_rows:
                if renewal.payment and renewal.payment.status == Payment.Status.PENDING:
                    payments.append(payment_reconcile(payment=renewal.payment, now=now).pk)
                elif renewal.status == RenewalStatus.DUE:
                    renewal_attempt(renewal_id=renewal.pk, now=now)
            # The outcome's task runs the renewal's hook (the worker would, right after commit).
            for outcome_id in PaymentOutcome.objects.filter(
                payment_id__in=payments, delivered_at__isnull=True
            ).values_list("pk", flat=True):
                outcome_deliver(outcome_id=outcome_id)
            time.sleep(1.0)  # a pass, then the next: like the reconcile task's schedule, compressed
    return passes


def main() -> None:
    harness.start()
    from django.conf import settings
    from django.utils import timezone

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=sandbox_process, args=(child,), daemon=True)
    server.start()
    url = parent.recv()

    def sandbox(command, arg=None):
        parent.send((command, arg))
        return parent.recv()

    settings.STRIPE_API_BASE = url
    settings.STRIPE_MAX_NETWORK_RETRIES = 2  # production's: a lost answer is resent with the same key
    base_limits = {
        **settings.STRIPE_RATE_LIMITS,
        "enabled": True,
        "account_test": LIMIT,
        "endpoint": LIMIT,
        "retries_on_429": 3,
        "backoff_initial": 0.5,
        "backoff_max": 5.0,
        "max_wait": 60.0,  # a night's batch may queue; pages keep the short default
    }
    settings.STRIPE_RATE_LIMITS = base_limits
    limits_shown = {k: base_limits[k] for k in ("account_test", "endpoint", "platform", "headroom", "burst")}

    now = timezone.now()
    today = timezone.localdate(now)
    per_account = [len(range(i, N, ACCOUNTS)) for i in range(ACCOUNTS)]
    progress(f"setting up {N} memberships")
    t0 = time.perf_counter()
    remote = sandbox("setup", per_account)
    t_sandbox_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    studio, account_names = build(remote, today)
    t_build = time.perf_counter() - t0

    # The beat's run: the due renewals, their rows, one attempt each (collected, not sent to Celery).
    from django_scopes import scope

    import memberships.services.renewals as engine

    progress("the beat's run (renewals_run_due)")
    collected: list[int] = []
    real_enqueue = engine.enqueue_by_name
    engine.enqueue_by_name = lambda name, studio_id, renewal_id: collected.append(renewal_id)
    t0 = time.perf_counter()
    with scope(studio=studio):
        enqueued = engine.renewals_run_due(studio=studio, now=now)
    t_run_due = time.perf_counter() - t0
    engine.enqueue_by_name = real_enqueue

    if os.environ.get("RENEWALS_PROFILE"):
        import cProfile
        import pstats

        with scope(studio=studio):
            profile = cProfile.Profile()
            profile.enable()
            for renewal_id in collected[:10]:
                engine.renewal_attempt(renewal_id=renewal_id, now=now)
            profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        collected = collected[10:]

    sandbox("faults", {"rate_limit": RATE_429, "lost_response": RATE_LOST})
    sandbox("clear_log")
    progress(f"charging {len(collected)} renewals")
    wall, results = run_workers(studio.pk, now, collected)
    progress(
        f"charged in {wall:.0f} s; settling leftovers, then the sandbox's ceiling and the throttle alone"
    )
    log = sandbox("log")
    t0 = time.perf_counter()
    passes = settle_leftovers(studio, now)
    t_settle = time.perf_counter() - t0
    settle_log = sandbox("log")[len(log) :]

    # The sandbox's ceiling: the same charge, faults off, throttle off, as fast as it answers.
    sandbox("faults", {})
    sandbox("clear_log")
    settings.STRIPE_RATE_LIMITS = {**base_limits, "enabled": False}
    first = remote[0]
    ceiling_wall, ceiling_results = run_workers(
        studio.pk,
        now,
        [],
        mode="ceiling",
        deadline=time.time() + CEILING_SECONDS,
        extra=[(first["account"], first["customer"], first["methods"][0])],
    )
    ceiling_ok = sum(sum(r["statuses"].values()) for r in ceiling_results)
    settings.STRIPE_RATE_LIMITS = base_limits

    # The throttle alone under pressure: the same charges from every worker over the 3 accounts,
    # faults on, no database work between them.
    sandbox("faults", {"rate_limit": RATE_429, "lost_response": RATE_LOST})
    sandbox("clear_log")
    _, pressure_results = run_workers(
        studio.pk,
        now,
        [],
        mode="pressure",
        deadline=time.time() + PRESSURE_SECONDS,
        extra=[(r["account"], r["customer"], r["methods"][0]) for r in remote],
    )
    pressure_log = sandbox("log")
    pressure_ok: Counter = Counter()
    for r in pressure_results:
        pressure_ok.update(r["statuses"])
    pressure_peak = {}
    for acct in account_names:
        pressure_peak[acct] = most_in_any_second([row[0] for row in pressure_log if row[1] == acct])
    pressure_ratio = (
        sum(pressure_ok[a] for a in account_names) / len(account_names) / PRESSURE_SECONDS / LIMIT
    )

    # --- figures from our rows and from the sandbox's log ---
    from django_scopes import scopes_disabled

    from memberships.models import Renewal, RenewalStatus

    with scopes_disabled():
        renewals = list(Renewal.objects.filter(studio=studio).select_related("payment"))
        renewed = sum(1 for r in renewals if r.status == RenewalStatus.SUCCEEDED)
        unsettled = len(renewals) - renewed + (N - len(renewals))
        account_of_renewal = {r.pk: (r.payment.stripe_account_id if r.payment else "") for r in renewals}

    all_log = log + settle_log
    by_account: dict[str, list[float]] = defaultdict(list)
    admitted: dict[str, list[float]] = defaultdict(list)
    intents_per_key: dict[str, set] = defaultdict(set)
    statuses = Counter()
    for arrived, account, _method, _path, status, key, dropped, intent in all_log:
        by_account[account].append(arrived)
        statuses["lost" if dropped else status] += 1
        if status != 429:
            admitted[account].append(arrived)
        if intent and intent[1] == "succeeded" and key:
            intents_per_key[key].add(intent[0])
    duplicates_by_key = sum(len(ids) - 1 for ids in intents_per_key.values() if len(ids) > 1)
    # Per renewal too (another key charging the same period would be a duplicate as well).
    per_renewal: Counter = Counter()
    for key, ids in intents_per_key.items():
        parts = key.split(":")
        if parts[0] == "renewal":
            per_renewal[(parts[1], parts[2])] += len(ids)
    duplicates_by_period = sum(count - 1 for count in per_renewal.values() if count > 1)
    duplicates = max(duplicates_by_key, duplicates_by_period)

    peak = {acct: most_in_any_second(times) for acct, times in by_account.items() if acct}
    peak_admitted = {acct: most_in_any_second(times) for acct, times in admitted.items() if acct}
    per_account_renewed = Counter(
        account_of_renewal[r.pk] for r in renewals if r.status == RenewalStatus.SUCCEEDED
    )
    rates = {acct: per_account_renewed[acct] / wall for acct in account_names}
    mean_rate = sum(rates.values()) / len(rates)
    ratio = mean_rate / LIMIT
    worker_statuses = Counter()
    worker_errors = Counter()
    for r in results:
        worker_statuses.update(r["statuses"])
        worker_errors.update(r["errors"])
    peak_mib = max(r["peak_kib"] for r in results) / 1024
    latencies = sorted(x for r in results for x in r["latencies"])
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else 0.0
    requests_main = len(log)

    print(f"\nRenewals through the throttle: {N} due memberships over {ACCOUNTS} accounts")
    print(f"  sandbox: {url} (own process), faults: {RATE_429:.0%} 429s, {RATE_LOST:.0%} lost responses")
    print(f"  throttle: {limits_shown}, SDK network retries {settings.STRIPE_MAX_NETWORK_RETRIES}")
    print(f"  workers: {PROCESSES} processes × {THREADS} threads, {os.cpu_count()} CPUs")
    print(f"  set-up: sandbox objects {t_sandbox_setup:.1f} s, database rows {t_build:.1f} s")
    print(f"  beat run (renewals_run_due): {t_run_due:.1f} s, {enqueued} attempts enqueued")
    print(f"  charging (renewal_attempt × {len(collected)}): wall {wall:.1f} s")
    print(
        f"  leftovers settled (reconcile + outcomes): {t_settle:.1f} s in {passes} pass(es), "
        f"{len(settle_log)} more requests"
    )
    print(f"  renewals/s overall: {renewed / wall:.1f}")
    for acct, name in account_names.items():
        print(
            f"    {name} ({acct}): {per_account_renewed[acct]} renewed, {rates[acct]:.1f}/s; peak "
            f"{peak.get(acct, 0)} requests in a second ({peak_admitted.get(acct, 0)} admitted), limit {LIMIT:.0f}"
        )
    print(
        f"  requests at the sandbox while charging: {requests_main} "
        f"({requests_main / max(wall, 1e-9):.1f}/s), by answer: {dict(sorted(statuses.items(), key=str))}"
    )
    print(
        f"  renewal outcomes in the workers: {dict(worker_statuses)}; errors: {dict(worker_errors) or 'none'}"
    )
    print(
        f"  duplicate charges: {duplicates} (per idempotency key {duplicates_by_key}, per period "
        f"{duplicates_by_period}); unsettled: {unsettled}"
    )
    print(
        f"  ratio of the achieved rate to the limit: {ratio:.2f} (goal ≥ 0.8; renewals/s per account ÷ {LIMIT:.0f})"
    )
    print(
        f"  sandbox ceiling, unthrottled, same run: {ceiling_ok / CEILING_SECONDS:.1f} confirmed intents/s "
        f"({PROCESSES}×{THREADS} clients, {CEILING_SECONDS:.0f} s; wall {ceiling_wall:.1f} s)"
    )
    print(
        f"  the throttle alone ({PROCESSES}×{PRESSURE_THREADS} callers, gateway calls, no database, faults on, "
        f"{PRESSURE_SECONDS:.0f} s): "
        + ", ".join(
            f"{account_names[a]} {pressure_ok[a] / PRESSURE_SECONDS:.1f}/s (peak {pressure_peak[a]})"
            for a in account_names
        )
        + f"; ratio {pressure_ratio:.2f}"
    )
    print(f"  one renewal_attempt (token waits included): p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"  worker peak memory (max RSS): {peak_mib:.0f} MiB")
    worst = max(peak.values(), default=0)
    print(
        LAST_LINE.format(n=renewed, d=duplicates, u=unsettled, p=worst, l=int(LIMIT), x=f"{ratio:.2f}"),
        flush=True,
    )
    sandbox("stop")
    harness.stop()


if __name__ == "__main__":
    main()
