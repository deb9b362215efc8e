"""Small helpers shared by the scheduling views."""

from __future__ import annotations

from datetime import datetime

from django.utils.http import url_has_allowed_host_and_scheme

from studio.inputs import clean_text, date_in_range


def text_param(value: str | None, *, max_length: int = 100) -> str:
    """Free text from a query string (a search box): no NUL or control characters, bounded."""
    return clean_text(value or "").strip()[:max_length]


def instant_param(value: str | None) -> datetime | None:
    """An ISO date-time with its offset (a slot's start), within the studio calendar, else None."""
    value = clean_text(value or "").strip()[:40]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Inside the studio calendar, converting to any zone cannot overflow.
    if moment.tzinfo is None or not date_in_range(moment):
        return None
    return moment


def safe_next(request, fallback: str) -> str:
    """The `next` form field when it points inside this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def error_text(exc) -> str:
    """A refused action's reasons (a ValidationError), as one message for the page."""
    reasons = exc.messages
    # A lone reason is kept as it is: a check's refusal may be safe HTML with a link (waivers'
    # "Sign now"), every part escaped by the check, which joining would turn back into text.
    if len(reasons) == 1:
        return reasons[0]
    return " ".join(reasons)
