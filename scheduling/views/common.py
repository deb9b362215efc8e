"""Small helpers shared by the scheduling views."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def safe_next(request, fallback: str) -> str:
    """The `next` form field when it points inside this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def error_text(exc) -> str:
    """A refused action's reasons (a ValidationError), as one message for the page."""
    return " ".join(exc.messages)
