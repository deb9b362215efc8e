"""Dates and ordinals written the way the reader's language writes them.

Registered as a template builtin (settings.TEMPLATES): its `date` filter replaces Django's in
every template, so `{{ day|date:"l j F" }}` reads "mardi 1er décembre" in French and
"Tuesday 1 December" in English without any template having to remember it.
`{{ day.day|day_ordinal }}` writes a day of the month alone ("1er").
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.defaultfilters import date as django_date

from studio import formats

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, with French weekdays and months in lower case and "1er"."""
    if value in (None, "") or not isinstance(value, dt.date):
        return django_date(value, arg)
    try:
        return formats.date_format(value, arg)
    except AttributeError:
        return ""


@register.filter(is_safe=True)
def day_ordinal(day) -> str:
    """1 → "1er" in French, "1" in English; any other day unchanged."""
    try:
        return formats.day_ordinal(int(day))
    except (TypeError, ValueError):
        return ""
