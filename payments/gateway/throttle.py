"""Keeping every Stripe account under its request rate: token buckets in Redis, and 429 back-off.

Stripe limits requests per second per account (100 in live mode, 25 in test mode) and per
endpoint (25 unless its documentation says otherwise; `POST /v1/payment_intents` and
`GET /v1/payment_intents/{id}` are two endpoints), and answers `429 Too Many Requests` past
them (docs.stripe.com/rate-limits). A night of renewals from several workers would trip that
at once, so every HTTP request the SDK sends — its own network retries included — first takes a
token from three buckets, atomically, in the project's Redis:

- the account's (`Stripe-Account`, or the platform's own account when the header is absent);
- the endpoint's on that account (method + path with object ids folded: `POST /v1/refunds`,
  `POST /v1/payment_intents/{id}/confirm`);
- the platform's as a whole (our own cap over every account, not a Stripe number).

Each bucket is a GCRA token bucket (one number per bucket: the theoretical arrival time of the
next request), so one Lua script checks all three and takes a token from each, or from none,
in one round trip, at the moment the request is sent. A caller that finds no token sleeps until
the emptiest bucket has one and tries again; after waiting `max_wait` seconds in all it gets
`Throttled`, a `StripeUnavailable`: the task keeps its pending row and retries later with the
same idempotency key.

Each bucket runs at the documented limit less `headroom` (Stripe's advice: keep background work
to a subset of the maximum, so that a client paying at the desk still gets through) and holds
`burst` tokens (1: requests evenly spaced, so no 1-second window ever sees more than the rate).

On a 429 the request is sent again — the same bytes, so the same Idempotency-Key — after an
exponential back-off with jitter, honouring `Retry-After` when an answer carries one (Stripe
documents none for rate limits) and `Stripe-Should-Retry: false`; the bucket that
`Stripe-Rate-Limited-Reason` names (`global-*` → the account's, `endpoint-*` → the endpoint's)
is drained for a moment, so every other worker on that account slows down too. A 429 with no
reason (a `lock_timeout` on one object) only backs off the caller.

If Redis cannot be reached the throttle lets requests through (logged): a Redis outage must not
stop a payment at the desk, and the 429 back-off still protects Stripe.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import stripe

from payments.gateway.errors import RateLimited

log = logging.getLogger(__name__)

#: The bucket name used for requests made on the platform's own account (no Stripe-Account).
PLATFORM_ACCOUNT = "platform"


class Throttled(RateLimited):
    """Our own throttle would have kept the caller waiting longer than its bound.

    Nothing more was sent for this attempt; like any `StripeUnavailable` the caller keeps its
    pending row and retries later with the same idempotency key.
    """

    def __init__(self, message: str = "", *, wait: float = 0.0, bucket: str = "", **kw):
        super().__init__(message, code="throttled", **kw)
        self.wait = wait
        self.bucket = bucket


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Rates in requests per second, as Stripe documents them; see settings.STRIPE_RATE_LIMITS."""

    enabled: bool = True
    account_live: float = 100.0
    account_test: float = 25.0
    endpoint: float = 25.0
    endpoints: Mapping[str, float] = field(default_factory=dict)  # "POST /v1/files": 20
    platform: float = 500.0
    headroom: float = 0.1
    burst: int = 1
    max_wait: float = 10.0
    retries_on_429: int = 3
    backoff_initial: float = 0.5
    backoff_max: float = 5.0

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Limits:
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        if "endpoints" in known:
            known["endpoints"] = dict(known["endpoints"])
        return cls(**known)

    def account_rate(self, *, live: bool) -> float:
        return self.account_live if live else self.account_test

    def endpoint_rate(self, endpoint: str) -> float:
        return self.endpoints.get(endpoint, self.endpoint)

    def usable(self, rate: float) -> float:
        """The rate a bucket runs at: the documented limit less the headroom we keep."""
        return max(rate * (1.0 - self.headroom), 0.001)


def _settings_limits() -> tuple[Limits, bool]:
    from django.conf import settings

    values = getattr(settings, "STRIPE_RATE_LIMITS", {}) or {}
    key = settings.STRIPE_SECRET_KEY or ""
    return Limits.from_settings(values), key.startswith(("sk_live_", "rk_live_"))


# --- endpoints -------------------------------------------------------------------------------

# An object id in a path: a lowercase prefix, an underscore, then letters and digits
# (`pi_3Mt…`, `acct_1Nv…`, `seti_…`, `tmr_…`). Stripe counts all ids of one operation together.
# Operation names (`payment_intents`, `present_payment_method`) are lowercase: an id's body has
# a digit or a capital.
_OBJECT_ID = re.compile(r"^[a-z]+(?:_[a-z]+)*_(?=[A-Za-z0-9]*[0-9A-Z])[A-Za-z0-9]{8,}$")


def endpoint_of(method: str, path: str) -> str:
    """Stripe's notion of an endpoint: the method and the path with object ids folded to {id}."""
    parts = [("{id}" if _OBJECT_ID.match(part) else part) for part in path.split("?", 1)[0].split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


# --- the buckets -----------------------------------------------------------------------------

# KEYS: the bucket keys. ARGV[1]: now in seconds ("" → the Redis server's clock, shared by every
# worker), then per key its emission interval and tolerance. GCRA: a bucket holds TAT, the
# theoretical arrival time of its next request, and has a token when now >= TAT − tolerance.
# The request takes a token from every bucket, or — if one has none — from none, and learns how
# long until the emptiest has one. Tokens are taken at the moment of sending, never reserved
# ahead: a reservation on a slow endpoint must not hold a place in the account's bucket.
_TAKE = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local wait = 0
local slowest = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local tolerance = tonumber(ARGV[1 + 2 * i])
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  tats[i] = tat
  if tat - tolerance - now > wait then
    wait = tat - tolerance - now
    slowest = i
  end
end
-- A tenth of a millisecond is rounding (epoch seconds in doubles), not a missing token.
if wait > 0.0001 then
  return {0, string.format('%.6f', wait), string.format('%.6f', now), slowest}
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[1 + 2 * i])
  local tat = tats[i] + interval
  local ttl = math.ceil((tat - now + tolerance) * 1000) + 1000
  redis.call('SET', key, string.format('%.6f', tat), 'PX', ttl)
end
return {1, '0', string.format('%.6f', now), 0}
"""

# KEYS[1]: a bucket. ARGV[1]: now ("" → the server's clock), ARGV[2]: seconds without a token.
_DRAIN = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local pause = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now + pause then
  tat = now + pause
  redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil(pause * 1000) + 1000)
end
return string.format('%.6f', tat)
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second it refills at (the usable rate)
    burst: int


@dataclass(frozen=True)
class Attempt:
    """One try at the buckets: `granted`, or the `wait` until the emptiest one has a token.

    `at` is the buckets' "now" for this try (the Redis server's clock unless a test set one),
    `bucket` the key of the bucket that had no token.
    """

    granted: bool
    wait: float
    at: float
    bucket: str = ""


class Throttle:
    """Token buckets in Redis for Stripe requests. Thread- and process-safe (one Lua script).

    `clock` (epoch seconds) is given only by tests that drive the bucket maths; by default the
    Redis server's clock is used, so that every worker on every machine agrees on "now".
    `sleep` is what waiting calls (tests pass a fake).
    """

    def __init__(
        self,
        *,
        redis: Any,
        limits: Limits,
        live: bool = False,
        prefix: str = "stripe-throttle",
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.redis = redis
        self.limits = limits
        self.live = live
        self.prefix = prefix
        self.clock = clock
        self.sleep = sleep
        self._take = redis.register_script(_TAKE)
        self._drain = redis.register_script(_DRAIN)

    # buckets -------------------------------------------------------------------------------
    def buckets(self, *, account: str, endpoint: str) -> list[Bucket]:
        limits = self.limits
        burst = max(int(limits.burst), 1)
        return [
            Bucket(f"{self.prefix}:platform", limits.usable(limits.platform), burst),
            Bucket(
                f"{self.prefix}:acct:{account}", limits.usable(limits.account_rate(live=self.live)), burst
            ),
            Bucket(
                f"{self.prefix}:ep:{account}:{endpoint}", limits.usable(limits.endpoint_rate(endpoint)), burst
            ),
        ]

    def _now_arg(self) -> str:
        return "" if self.clock is None else f"{self.clock():.6f}"

    # taking a token ------------------------------------------------------------------------
    def try_take(self, *, account: str, endpoint: str) -> Attempt:
        """Take a token from the platform's, the account's and the endpoint's bucket at once, or none."""
        buckets = self.buckets(account=account, endpoint=endpoint)
        args: list[str] = [self._now_arg()]
        for bucket in buckets:
            interval = 1.0 / bucket.rate
            args += [f"{interval:.6f}", f"{(bucket.burst - 1) * interval:.6f}"]
        granted, wait, now, slowest = self._take(keys=[b.key for b in buckets], args=args)
        return Attempt(
            granted=bool(int(granted)),
            wait=max(float(wait), 0.0),
            at=float(now),
            bucket=buckets[int(slowest) - 1].key if int(slowest) else "",
        )

    def acquire(self, *, account: str, endpoint: str, max_wait: float | None = None) -> Attempt:
        """Take a token, sleeping until there is one — at most `max_wait` seconds in all, after
        which `Throttled` is raised without waiting in vain (the task retries later)."""
        bound = self.limits.max_wait if max_wait is None else max_wait
        waited = 0.0
        while True:
            attempt = self.try_take(account=account, endpoint=endpoint)
            if attempt.granted:
                return attempt
            if waited + attempt.wait > bound:
                raise Throttled(
                    f"Stripe requests for {account} on {endpoint} waited {waited:.1f} s for a token "
                    f"(bound {bound:.1f} s)",
                    wait=waited + attempt.wait,
                    bucket=attempt.bucket,
                )
            # Workers woken for the same token race for it; the losers learn the next wait.
            pause = max(attempt.wait, 0.001)
            self.sleep(pause)
            waited += pause

    # slowing down --------------------------------------------------------------------------
    def drain(self, *, account: str, endpoint: str, scope: str, seconds: float) -> None:
        """No token from that bucket for `seconds`: everyone on it backs off, not only the caller.

        `scope` is "account" or "endpoint" (which bucket Stripe said was over its limit).
        """
        key = (
            f"{self.prefix}:ep:{account}:{endpoint}"
            if scope == "endpoint"
            else f"{self.prefix}:acct:{account}"
        )
        self._drain(keys=[key], args=[self._now_arg(), f"{max(seconds, 0.0):.6f}"])

    def pause_after_429(self, *, scope: str, endpoint: str, retry_after: float | None) -> float:
        """How long the bucket is drained: Stripe's Retry-After when given, else one interval of
        that bucket (it is left empty: nobody on it sends before the next token)."""
        if retry_after is not None:
            return min(retry_after, self.limits.backoff_max)
        limits = self.limits
        rate = limits.endpoint_rate(endpoint) if scope == "endpoint" else limits.account_rate(live=self.live)
        return 1.0 / limits.usable(rate)


# --- the process's throttle ------------------------------------------------------------------

_lock = threading.Lock()
_cached: dict[str, Any] = {}
_max_wait: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "stripe_throttle_max_wait", default=None
)


def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def current_throttle() -> Throttle | None:
    """The throttle the settings describe (None when disabled); rebuilt when the settings change."""
    from django.conf import settings

    limits, live = _settings_limits()
    if not limits.enabled:
        return None
    url = settings.REDIS_URL
    key = (url, limits, live)
    with _lock:
        if _cached.get("key") != key:
            redis_client = _cached.get("redis") if _cached.get("url") == url else None
            redis_client = redis_client or _redis_client(url)
            _cached.update(
                key=key,
                url=url,
                redis=redis_client,
                throttle=Throttle(redis=redis_client, limits=limits, live=live),
            )
        return _cached["throttle"]


@contextlib.contextmanager
def wait_bound(seconds: float) -> Iterator[None]:
    """Let the Stripe calls inside wait up to `seconds` for a token (a night's batch: longer;
    a page the client is looking at: shorter) instead of the settings' `max_wait`."""
    token = _max_wait.set(seconds)
    try:
        yield
    finally:
        _max_wait.reset(token)


# --- the HTTP client every SDK request goes through -------------------------------------------


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    try:
        value = headers.get(name)
    except AttributeError:
        value = None
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    raw = _header(headers, "Retry-After")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        return None  # an HTTP date: Stripe never sends one; fall back to our own back-off


def backoff_seconds(attempt: int, *, limits: Limits, retry_after: float | None, rng: random.Random) -> float:
    """Exponential back-off with jitter (the SDK's own shape: 0.5 s doubling, at most 5 s,
    then a random point in its upper half), or Stripe's Retry-After when it sends one."""
    if retry_after is not None:
        return min(retry_after, limits.backoff_max) + rng.uniform(0, limits.backoff_initial / 2)
    delay = min(limits.backoff_initial * (2 ** (attempt - 1)), limits.backoff_max)
    return delay * rng.uniform(0.5, 1.0)


class _NoRetryHeaders(Mapping[str, str]):
    """The last 429's headers with `Stripe-Should-Retry: false`, so the SDK's own retry loop
    does not resend what we already retried (case-insensitive, as the SDK expects)."""

    def __init__(self, headers: Mapping[str, str] | None):
        self._data = {k.lower(): (k, v) for k, v in (headers or {}).items()}
        self._data["stripe-should-retry"] = ("Stripe-Should-Retry", "false")

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self):
        return (k for k, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)


class ThrottledHTTPClient(stripe.HTTPClient):
    """Wraps the SDK's HTTP client: a token before every request, and 429s retried.

    Sits under the SDK's own retry loop (`max_network_retries`), so a retry after a lost
    connection takes a token too, and above the transport (requests, or the sandbox in tests).
    """

    name = "atelier-throttled"

    def __init__(
        self, inner: stripe.HTTPClient, *, throttle: Throttle | None = None, rng: random.Random | None = None
    ):
        super().__init__()
        self.inner = inner
        self.fixed_throttle = throttle  # tests; otherwise the settings' (current_throttle)
        self.rng = rng or random.Random()

    def _throttle(self) -> Throttle | None:
        if self.fixed_throttle is not None:
            return self.fixed_throttle
        try:
            return current_throttle()
        except Exception:  # settings half set up (a management command): run unthrottled
            log.exception("stripe throttle unavailable; sending unthrottled")
            return None

    def _acquire(self, throttle: Throttle, account: str, endpoint: str) -> None:
        try:
            throttle.acquire(account=account, endpoint=endpoint, max_wait=_max_wait.get())
        except Throttled:
            raise
        except Exception as exc:  # Redis down: let it through; Stripe's 429s still slow us down
            log.warning("stripe throttle: Redis unavailable (%s); request sent unthrottled", exc)

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kw):
        return self._send(self.inner.request, method, url, headers, post_data)

    def request_stream(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **kw
    ):
        return self._send(self.inner.request_stream, method, url, headers, post_data)

    def _send(self, send: Callable, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any):
        throttle = self._throttle()
        if throttle is None:
            return send(method, url, headers, post_data)
        account = _header(headers, "Stripe-Account") or PLATFORM_ACCOUNT
        endpoint = endpoint_of(method, urlsplit(url).path)
        attempt = 0
        while True:
            self._acquire(throttle, account, endpoint)
            # The same headers every time: the Idempotency-Key the SDK set is never changed.
            content, status, rheaders = send(method, url, headers, post_data)
            if status != 429:
                return content, status, rheaders
            retry_after = _retry_after(rheaders)
            reason = (_header(rheaders, "Stripe-Rate-Limited-Reason") or "").lower()
            if reason:
                scope = "endpoint" if reason.startswith("endpoint") else "account"
                with contextlib.suppress(Exception):  # Redis down: the caller still backs off
                    throttle.drain(
                        account=account,
                        endpoint=endpoint,
                        scope=scope,
                        seconds=throttle.pause_after_429(
                            scope=scope, endpoint=endpoint, retry_after=retry_after
                        ),
                    )
            refused = (_header(rheaders, "Stripe-Should-Retry") or "").lower() == "false"
            if refused or attempt >= throttle.limits.retries_on_429:
                log.warning(
                    "stripe: 429 on %s for %s after %d retries (%s)", endpoint, account, attempt, reason
                )
                return content, status, _NoRetryHeaders(rheaders)
            attempt += 1
            throttle.sleep(
                backoff_seconds(attempt, limits=throttle.limits, retry_after=retry_after, rng=self.rng)
            )

    def close(self) -> None:
        self.inner.close()
