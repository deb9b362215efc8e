"""Asking before an action that cannot be taken back, the same way on every page.

The first POST shows a page stating the consequences; its button posts the same fields again
with `confirmed=1`, so a button that posts straight to the URL still gets the question.
"""

from __future__ import annotations

from django.shortcuts import render

from studio.inputs import clean_text

# The field a confirmation page adds when it posts the same form again.
CONFIRMED = "confirmed"


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
        "studio/confirm.html",
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
