"""Small helpers shared by the scheduling views."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from studio.inputs import clean_text, date_in_range, parse_int_param

# The field a confirmation page adds when it posts the same form again.
CONFIRMED = "confirmed"


def int_param(value: str | None) -> int | None:
    """An id from a query string or form (ASCII digits only), else None: "²" is not an id."""
    return parse_int_param(value)


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
    return " ".join(exc.messages)


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def confirm_page(
    request,
    *,
    base: str,
    title: str,
    lines: list[str],
    confirm_label: str,
    back_url: str,
    back_label: str,
    danger: bool = False,
    status: int = 200,
):
    """Ask before an action that cannot be taken back: the same POST again, with `confirmed=1`.

    `base` is the page layout to extend ("manage_base.html" or the hosted pages' base). The
    fields of the first POST are carried as hidden inputs, cleaned of control characters.
    """
    fields = [
        (key, clean_text(value)[:2000])
        for key, values in request.POST.lists()
        if key not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    return render(
        request,
        "scheduling/confirm.html",
        {
            "base": base,
            "title": title,
            "lines": lines,
            "confirm_label": confirm_label,
            "back_url": back_url,
            "back_label": back_label,
            "danger": danger,
            "fields": fields,
            "action": request.path,
        },
        status=status,
    )
