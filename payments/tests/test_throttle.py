"""The rate-limit throttle (payments/gateway/throttle.py): token buckets in the real Redis the test
launcher starts, and 429 back-off through the real SDK against the sandbox.

The bucket maths run on an injected clock; the one test with real threads and the Redis
server's clock asserts counts over the buckets' own timestamps, never how long anything took.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from bisect import bisect_left

import pytest
import redis
from django.conf import settings as django_settings
from django_scopes import scope

from payments import gateway
from payments.gateway.throttle import Limits, Throttle, Throttled, ThrottledHTTPClient, endpoint_of
from payments.models import Payment

PI_CREATE = "POST /v1/payment_intents"


class FakeTime:
    """A clock that only moves when someone sleeps (or the test moves it)."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.slept: list[float] = []
        self.frozen = False

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.frozen:
            self.now += seconds


@pytest.fixture
def redis_conn():
    conn = redis.Redis.from_url(django_settings.REDIS_URL)
    yield conn
    conn.close()


@pytest.fixture
def make_throttle(redis_conn):
    """A throttle on its own keys, with a fake clock unless `real_clock=True`."""

    def make(*, real_clock: bool = False, live: bool = False, **limits) -> tuple[Throttle, FakeTime]:
        fake = FakeTime()
        values = {"headroom": 0.0, "burst": 1, "max_wait": 30.0, **limits}
        throttle = Throttle(
            redis=redis_conn,
            limits=Limits(**values),
            live=live,
            prefix=f"test-throttle:{uuid.uuid4().hex}",
            clock=None if real_clock else fake.clock,
            sleep=time.sleep if real_clock else fake.sleep,
        )
        return throttle, fake

    return make


def most_in_any_second(times: list[float]) -> int:
    """The largest number of timestamps inside any half-open window [t, t + 1)."""
    ordered = sorted(times)
    return max((bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


# --- the buckets -----------------------------------------------------------------------------


def test_endpoints_fold_object_ids_as_stripe_counts_them():
    assert endpoint_of("post", "/v1/payment_intents") == PI_CREATE
    assert endpoint_of("POST", "/v1/payment_intents/pi_3MtwBwLkdIwHu7ix/confirm") == (
        "POST /v1/payment_intents/{id}/confirm"
    )
    assert endpoint_of("GET", "/v1/payment_intents/pi_1AbcDefGhijkl") == endpoint_of(
        "GET", "/v1/payment_intents/pi_1ZyxWvuTsrqpo"
    )
    assert endpoint_of("POST", "/v1/test_helpers/terminal/readers/tmr_1abcdefgh/present_payment_method") == (
        "POST /v1/test_helpers/terminal/readers/{id}/present_payment_method"
    )
    assert endpoint_of("POST", "/v1/account_links") == "POST /v1/account_links"


def test_a_bucket_at_25_per_second_grants_25_a_second_evenly(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25)
    start = fake.now
    granted = [throttle.acquire(account="acct_A", endpoint=PI_CREATE).at for _ in range(100)]
    assert most_in_any_second(granted) == 25
    assert granted[-1] - start == pytest.approx(99 / 25, abs=1e-3)  # not slower than the rate either
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert min(gaps) == pytest.approx(1 / 25, abs=1e-3)


def test_headroom_and_burst_are_honoured(make_throttle):
    throttle, _ = make_throttle(account_test=25, endpoint=25, headroom=0.2, burst=3)
    granted = [throttle.acquire(account="acct_A", endpoint=PI_CREATE).at for _ in range(80)]
    assert granted[:3] == [granted[0]] * 3  # a burst of three at once
    # 20/s after the 20 % headroom, plus the burst: never the documented 25 in a second.
    assert most_in_any_second(granted) <= 20 + 3 - 1
    assert granted[-1] - granted[0] == pytest.approx((80 - 3) / 20, abs=1e-3)


def test_threads_never_exceed_the_rate_in_any_second(make_throttle):
    """Several workers on one account and endpoint, at once, on the Redis server's clock."""
    throttle, _ = make_throttle(real_clock=True, account_test=25, endpoint=25)
    times: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(10):
                at = throttle.acquire(account="acct_A", endpoint=PI_CREATE).at
                with lock:
                    times.append(at)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(times) == 60
    assert most_in_any_second(times) <= 25


def test_endpoint_bucket_limits_one_endpoint_and_account_bucket_all(make_throttle):
    """Live mode: 100/s per account, 25/s per endpoint (so POST /v1/payment_intents is 25/s)."""
    throttle, fake = make_throttle(live=True, account_live=100, account_test=25, endpoint=25)
    endpoints = [
        PI_CREATE,
        "POST /v1/refunds",
        "GET /v1/customers/{id}",
        "POST /v1/customers",
        "GET /v1/payment_intents/{id}",
        "POST /v1/setup_intents",
    ]
    granted: dict[str, list[float]] = {name: [] for name in endpoints}
    for _ in range(1000):  # two seconds in steps of 2 ms, every endpoint asking every step
        for name in endpoints:
            attempt = throttle.try_take(account="acct_A", endpoint=name)
            if attempt.granted:
                granted[name].append(attempt.at)
        fake.now += 0.002
    for name in endpoints:
        assert most_in_any_second(granted[name]) <= 25
    everything = [t for times in granted.values() for t in times]
    assert most_in_any_second(everything) <= 100
    assert len(everything) >= 190  # six endpoints asking for 150/s: the account's 100/s is what binds


def test_platform_bucket_caps_all_accounts_together(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25, platform=30)
    per_account: dict[str, list[float]] = {"acct_A": [], "acct_B": []}
    for _ in range(500):
        for account, times in per_account.items():
            attempt = throttle.try_take(account=account, endpoint=PI_CREATE)
            if attempt.granted:
                times.append(attempt.at)
        fake.now += 0.004
    assert most_in_any_second(per_account["acct_A"] + per_account["acct_B"]) <= 30
    assert all(most_in_any_second(times) <= 25 for times in per_account.values())
    assert min(len(times) for times in per_account.values()) > 10  # both get a share


def test_wait_bound_raises_our_unavailable_error(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25, max_wait=0.1)
    throttle.drain(account="acct_A", endpoint=PI_CREATE, scope="account", seconds=5)
    fake.frozen = True  # nobody's clock moves: waiting never helps
    with pytest.raises(Throttled) as refused:
        throttle.acquire(account="acct_A", endpoint=PI_CREATE)
    assert isinstance(refused.value, gateway.StripeUnavailable) and refused.value.ambiguous
    assert refused.value.bucket.endswith(":acct:acct_A")
    assert sum(fake.slept) <= 0.1  # it gave up at the bound, not after
    assert throttle.try_take(account="acct_B", endpoint=PI_CREATE).granted  # other accounts go on


# --- 429s: the HTTP client under the SDK -------------------------------------------------------


class ScriptedHTTP:
    """An inner HTTP client answering from a script of (status, headers); records every request."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests: list[tuple[str, str, dict, object]] = []

    def request(self, method, url, headers, post_data=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        status, headers_out = self.answers.pop(0)
        return '{"id": "cus_1", "object": "customer"}' if status == 200 else "{}", status, headers_out

    def close(self):
        pass


def _send(client, headers=None):
    return client.request(
        "POST",
        "https://api.stripe.com/v1/payment_intents",
        {"Stripe-Account": "acct_A", "Idempotency-Key": "renewal:7:2026-12-01", **(headers or {})},
        "amount=1000&currency=cad",
    )


def test_a_429_is_resent_unchanged_after_a_jittered_back_off(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25, retries_on_429=3)
    inner = ScriptedHTTP([(429, {"Stripe-Rate-Limited-Reason": "global-rate"}), (200, {})])
    _, status, _ = _send(ThrottledHTTPClient(inner, throttle=throttle))
    assert status == 200
    assert [r[2]["Idempotency-Key"] for r in inner.requests] == ["renewal:7:2026-12-01"] * 2
    assert inner.requests[0][3] == inner.requests[1][3]  # the same bytes: the same request at Stripe
    assert len(fake.slept) == 1 and 0.25 <= fake.slept[0] <= 0.5  # 0.5 s, jittered in its upper half


@pytest.mark.parametrize(
    ("reason", "same_endpoint", "other_endpoint", "other_account"),
    [
        ("endpoint-rate", False, True, True),
        ("global-rate", False, False, True),
        ("", True, True, True),  # no reason (a lock on one object): only the caller backs off
    ],
)
def test_a_429_drains_the_bucket_its_reason_names(
    make_throttle, reason, same_endpoint, other_endpoint, other_account
):
    throttle, fake = make_throttle(account_test=25, endpoint=25, retries_on_429=0)
    headers = {"Retry-After": "2"} | ({"Stripe-Rate-Limited-Reason": reason} if reason else {})
    _, status, _ = _send(ThrottledHTTPClient(ScriptedHTTP([(429, headers)]), throttle=throttle))
    assert status == 429
    fake.now += 0.5  # well past the normal spacing, well before Retry-After's 2 s
    assert throttle.try_take(account="acct_B", endpoint=PI_CREATE).granted is other_account
    fake.now += 0.01  # (the platform's own bucket spaces any two requests by 2 ms)
    assert throttle.try_take(account="acct_A", endpoint="POST /v1/refunds").granted is other_endpoint
    fake.now += 0.05  # one interval on: the account's bucket has its token again unless drained
    assert throttle.try_take(account="acct_A", endpoint=PI_CREATE).granted is same_endpoint
    fake.now += 2.0
    assert throttle.try_take(account="acct_A", endpoint=PI_CREATE).granted  # and then it recovers


def test_retry_after_is_honoured_for_the_caller(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25, retries_on_429=1)
    inner = ScriptedHTTP(
        [(429, {"Stripe-Rate-Limited-Reason": "endpoint-rate", "Retry-After": "2"}), (200, {})]
    )
    _, status, _ = _send(ThrottledHTTPClient(inner, throttle=throttle))
    assert status == 200
    assert 2.0 <= fake.slept[0] <= 2.25


def test_should_retry_false_and_exhausted_retries_stop_the_sdk_too(make_throttle):
    throttle, fake = make_throttle(account_test=25, endpoint=25, retries_on_429=2)
    inner = ScriptedHTTP([(429, {"Stripe-Should-Retry": "false"})])
    _, status, headers = _send(ThrottledHTTPClient(inner, throttle=throttle))
    assert status == 429 and len(inner.requests) == 1 and fake.slept == []
    inner = ScriptedHTTP([(429, {"Stripe-Rate-Limited-Reason": "global-rate"})] * 3)
    _, status, headers = _send(ThrottledHTTPClient(inner, throttle=throttle))
    assert status == 429 and len(inner.requests) == 3
    assert headers["stripe-should-retry"] == "false"  # the SDK's own loop must not resend it again


# --- through the gateway, the real SDK and the sandbox ------------------------------------------


@pytest.fixture
def fast_backoff(settings):
    settings.STRIPE_RATE_LIMITS = {
        **settings.STRIPE_RATE_LIMITS,
        "retries_on_429": 3,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }


@pytest.fixture
def request_log(sandbox):
    """Every API request the sandbox answers: (method, path, idempotency key, status)."""
    seen: list[tuple[str, str, str | None, int]] = []
    original = sandbox.handle

    def handle(method, path, query="", headers=None, body=b""):
        response = original(method, path, query, headers, body)
        if path.startswith("/v1/"):
            seen.append((method, path, (headers or {}).get("Idempotency-Key"), response.status))
        return response

    sandbox.handle = handle
    return seen


@pytest.fixture
def account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


@pytest.fixture
def customer(sandbox, account):
    return gateway.customer_create(
        account=account.stripe_account_id,
        idempotency_key="cus:throttle",
        email=None,
        name="Camille",
        metadata={},
    )


def _payment(studio, a_client, customer, key):
    from payments.models.settings import Channel, ItemKind
    from payments.services.charges import ChargeTarget, payment_create
    from studio.services import SYSTEM

    with scope(studio=studio):
        return payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Monthly",
            idempotency_key=key,
            target=ChargeTarget(customer_id=customer.id, payment_method_id="pm_card_visa", off_session=True),
        )


@pytest.mark.django_db
def test_a_429_from_the_sandbox_is_retried_with_the_same_key_and_charges_once(
    sandbox, fast_backoff, request_log, studio, a_client, customer, account
):
    from payments.services.charges import payment_submit

    payment = _payment(studio, a_client, customer, "renewal:41:2026-12-01")
    sandbox.faults.next("rate_limit", "/v1/payment_intents", count=2)
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.SUCCEEDED
    sent = [r for r in request_log if r[1] == "/v1/payment_intents"]
    assert [r[3] for r in sent] == [429, 429, 200]
    assert {r[2] for r in sent} == {"renewal:41:2026-12-01"}
    intents = sandbox.objects("payment_intent", account=account.stripe_account_id)
    charges = sandbox.objects("charge", account=account.stripe_account_id)
    assert len(intents) == 1 and [c["status"] for c in charges] == ["succeeded"]


@pytest.mark.django_db
def test_429s_past_the_retries_leave_the_payment_pending_then_it_charges_once(
    sandbox, fast_backoff, request_log, studio, a_client, customer, account
):
    from payments.services.charges import payment_submit

    payment = _payment(studio, a_client, customer, "renewal:42:2026-12-01")
    sandbox.faults.next("rate_limit", "/v1/payment_intents", count=4)
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
        assert payment.status == Payment.Status.PENDING and payment.outcome_unknown
        payment = payment_submit(payment=payment)  # the task's retry, later: same key
    assert payment.status == Payment.Status.SUCCEEDED
    assert len([r for r in request_log if r[1] == "/v1/payment_intents"]) == 5
    assert len(sandbox.objects("charge", account=account.stripe_account_id)) == 1


@pytest.mark.django_db
def test_the_wait_bound_refuses_before_sending_and_the_payment_stays_pending(
    sandbox, settings, request_log, studio, a_client, customer, account
):
    from payments.gateway.throttle import current_throttle
    from payments.services.charges import payment_submit

    settings.STRIPE_RATE_LIMITS = {**settings.STRIPE_RATE_LIMITS, "max_wait": 0.05}
    payment = _payment(studio, a_client, customer, "renewal:43:2026-12-01")
    before = len(request_log)
    current_throttle().drain(
        account=account.stripe_account_id, endpoint=PI_CREATE, scope="account", seconds=3
    )
    with pytest.raises(gateway.Throttled):
        gateway.customer_retrieve(account=account.stripe_account_id, customer_id=customer.id)
    current_throttle().drain(  # again: however slow the machine, the account is still drained below
        account=account.stripe_account_id, endpoint=PI_CREATE, scope="account", seconds=3
    )
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.PENDING and payment.outcome_unknown
    assert len(request_log) == before  # nothing reached Stripe
    with gateway.wait_bound(5):  # a batch that may wait longer gets through once the drain ends
        assert gateway.customer_retrieve(account=account.stripe_account_id, customer_id=customer.id).id


def test_the_sandbox_answers_429_at_a_rate_with_stripes_header():
    import stripe

    from stripe_sandbox import Sandbox

    sandbox = Sandbox(seed=3)
    sandbox.faults.rate("rate_limit", 0.25, "/v1/customers", seed=11)
    client = sandbox.client()
    limited = 0
    for _ in range(200):
        try:
            client.v1.customers.list()
        except stripe.RateLimitError as exc:
            limited += 1
            assert exc.http_status == 429
            assert exc.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    assert 30 <= limited <= 70  # a quarter of 200, give or take the draw
    assert client.v1.accounts.list().object == "list"  # other paths untouched
    sandbox.faults.clear()
    assert sandbox.faults.rates == []
    client.v1.customers.list()
    with pytest.raises(ValueError):
        sandbox.faults.rate("rate_limit", 1.5)
