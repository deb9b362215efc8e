"""View guards for staff pages and client pages.

Denials for a signed-in person are 403 with a friendly page; anonymous visitors are sent to
log in. Objects of another studio are never found (the scope sees to it): 404.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from functools import wraps

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from studio.inputs import EMAIL_MAX_LENGTH, clean_text


def staff_required(perm: str | None = None, *, owner_or_admin: bool = False):
    """Require an active staff membership in the current studio, and `perm` when given.

    `owner_or_admin`: also require the Owner or Admin role (decisions the seeds reserve to them,
    such as accepting the saved-payment-methods terms).
    """

    def decorator(view):
        view.required_permission = perm

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            staff = request.staff
            if staff is None:
                raise PermissionDenied("not_staff")
            if perm is not None and not staff.has_perm(perm):
                raise PermissionDenied(perm)
            if owner_or_admin and not staff.role.is_all_powerful:
                raise PermissionDenied("owner_or_admin")
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm
        wrapped.owner_or_admin = owner_or_admin
        wrapped.staff_view = True
        return wrapped

    return decorator


def client_required(view):
    """A signed-in client of the current studio (hosted pages)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.client_profile is None:
            login_url = reverse("account-login", kwargs={"studio_slug": request.studio.slug})
            return redirect(f"{login_url}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    wrapped.client_view = True
    return wrapped


# --- Sign-in throttling (django-axes) --------------------------------------------------------
# The pair (account, address) is locked hard by axes (AXES_LOCKOUT_PARAMETERS); the account alone,
# over every address, is slowed by a growing delay here, so that a stranger who knows an email
# can make its owner wait a little but never lock them out. docs/decisions.md, "Sign-in throttling".


def client_ip_address(request) -> str | None:
    """The visitor's address: from the trusted proxy header when one is configured, else REMOTE_ADDR.

    `CLIENT_IP_HEADER` names the header the proxy in front of us sets (e.g. "X-Forwarded-For");
    with a list, the entry appended by the outermost of our `CLIENT_IP_PROXY_COUNT` proxies is
    the one a visitor cannot forge. A missing or malformed header falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if not header:
        return remote
    meta_key = "HTTP_" + header.upper().replace("-", "_")
    entries = [entry.strip() for entry in request.META.get(meta_key, "").split(",") if entry.strip()]
    count = max(1, getattr(settings, "CLIENT_IP_PROXY_COUNT", 1))
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def signin_username(request, credentials: dict | None) -> str | None:
    """The account name axes records: lower-cased, without control characters, at most 254 characters.

    Bounding it here keeps any sign-in form — however it is written — from handing axes a value
    its 255-character column refuses (a 500), and lower-casing stops "Victim@" and "victim@"
    from being throttled as two accounts.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field) or credentials.get("email")
    else:
        data = getattr(request, "POST", {}) if request is not None else {}
        value = data.get(field) or data.get("email")
    if not isinstance(value, str) or not value:
        return None
    return clean_text(value).strip().lower()[:EMAIL_MAX_LENGTH]


def signin_wait(*, username: str | None, ip_address: str | None, now=None):
    """How long before the next sign-in attempt may be checked (a `timedelta`, zero when none).

    The soft throttles, over every pair: an account's failures from all addresses, and an
    address's failures for all accounts (credential stuffing). Past its limit, each further
    attempt waits twice as long as the previous one (1 s, 2 s, 4 s…), capped at
    `SIGNIN_ACCOUNT_MAX_DELAY`, counted from the latest failure — a stranger can slow an account
    down, never lock it.
    """
    now = now or timezone.now()
    waits = [
        _soft_wait({"username": username}, settings.SIGNIN_ACCOUNT_SOFT_LIMIT, now) if username else None,
        _soft_wait({"ip_address": ip_address}, settings.SIGNIN_ADDRESS_SOFT_LIMIT, now)
        if ip_address
        else None,
    ]
    return max((w for w in waits if w is not None), default=dt.timedelta(0))


def _soft_wait(filters: dict, limit: int, now) -> dt.timedelta:
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt  # models: imported once apps are ready

    window = get_cool_off() or dt.timedelta(minutes=15)
    totals = AccessAttempt.objects.filter(attempt_time__gte=now - window, **filters).aggregate(
        failures=Sum("failures_since_start"), latest=Max("attempt_time")
    )
    excess = (totals["failures"] or 0) - limit
    if excess < 0:
        return dt.timedelta(0)
    delay = dt.timedelta(seconds=min(2 ** min(excess, 20), settings.SIGNIN_ACCOUNT_MAX_DELAY))
    return max(totals["latest"] + delay - now, dt.timedelta(0))


def pair_signin_wait(request, credentials: dict | None):
    """How long the (account, address) pair stays locked by axes, from its latest counted failure."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request) or dt.timedelta(0)
    latest = AccessAttempt.objects.filter(
        username=signin_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:
        return cool_off
    return max(latest + cool_off - timezone.now(), dt.timedelta(0))


class SignInThrottleBackend(AxesStandaloneBackend):
    """First authentication backend: refuses before any password is checked.

    Axes' own check (the pair) runs first; then the account's soft delay. A refused attempt is not
    counted as a failure (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so that
    waiting is always enough.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        super().authenticate(request, username=username, password=password, **kwargs)
        if request is None or not settings.AXES_ENABLED:
            return None
        wait = signin_wait(
            username=signin_username(request, {"username": username}),
            ip_address=getattr(request, "axes_ip_address", None) or client_ip_address(request),
        )
        if wait.total_seconds() > 0:
            request.axes_locked_out = True
            request.signin_wait = wait
            raise AxesBackendPermissionDenied("account_slowed_down")
        return None


def signin_refused_response(request, original_response=None, credentials=None):
    """The page shown while sign-in is paused, saying how long to wait (AXES_LOCKOUT_CALLABLE)."""
    wait = getattr(request, "signin_wait", None)
    if wait is None:
        wait = pair_signin_wait(request, credentials)
    seconds = max(1, math.ceil(wait.total_seconds()))
    response = render(
        request,
        "registration/locked_out.html",
        {
            "wait_seconds": seconds,
            "wait_minutes": math.ceil(seconds / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
