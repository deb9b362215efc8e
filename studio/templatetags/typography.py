"""Dates and ordinals written the way the reader's language writes them.

Registered as a template builtin (settings.TEMPLATES): its `date` filter replaces Django's in
every template, so `{{ day|date:"l j F" }}` reads "mardi 1er décembre" in French and
"Tuesday 1 December" in English without any template having to remember it.
`{{ day.day|day_ordinal }}` writes a day of the month alone ("1er").
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date as django_date
from django.utils import formats as django_formats
from django.utils.translation import get_language

from studio import formats

register = template.Library()

# Format characters by what they read of the value (django.utils.dateformat). A pattern that
# reads only the calendar day writes the same text for every time of that day, one that reads
# only the clock the same text on every day: a list of classes or payments repeats both.
_DAY_CHARS = frozenset("dDjlNwzSWmMnFbEyYLot")
_CLOCK_CHARS = frozenset("aAfgGhHisuP")
_ESCAPED = re.compile(r"\\.")


@functools.lru_cache(maxsize=256)
def _pattern(name: str, language: str) -> tuple[str, str]:
    """The pattern a format name stands for in `language`, and what it reads of a value:
    "day", "clock" or "" (anything else: a zone, both, or the whole timestamp)."""
    pattern = django_formats.get_format(name, lang=language or None) if name.endswith("_FORMAT") else name
    chars = set(_ESCAPED.sub("", pattern)) & (_DAY_CHARS | _CLOCK_CHARS | set("ceIOrTUZ"))
    if chars <= _DAY_CHARS:
        return pattern, "day"
    return pattern, ("clock" if chars <= _CLOCK_CHARS else "")


@functools.lru_cache(maxsize=4096)
def _written(part: dt.date | dt.time, pattern: str, language: str) -> str:
    return formats.date_format(part, pattern)


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    """A test overriding a format or the languages must not read a text written before."""
    _pattern.cache_clear()
    _written.cache_clear()


def _format(value: dt.date, arg) -> str:
    """`formats.date_format`, remembered per day or per clock time when the pattern reads only that.

    A profile writes a date or a time on each row (~60 calls, a tenth of its render), and each
    call resolved the format and translated the names again. The text is keyed by the resolved
    pattern and the language, so neither a format nor the reader's language can mix."""
    language = get_language() or ""
    pattern, reads = _pattern(arg or "DATE_FORMAT", language)
    if isinstance(value, dt.datetime):
        if reads == "day":
            return _written(value.date(), pattern, language)
        if reads == "clock":
            return _written(value.time(), pattern, language)
    elif reads == "day":
        return _written(value, pattern, language)
    return formats.date_format(value, arg)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, with French weekdays and months in lower case and "1er"."""
    if value in (None, "") or not isinstance(value, dt.date):
        return django_date(value, arg)
    try:
        return _format(value, arg)
    except AttributeError:
        return ""


@register.filter(is_safe=True)
def day_ordinal(day) -> str:
    """1 → "1er" in French, "1" in English; any other day unchanged."""
    try:
        return formats.day_ordinal(int(day))
    except (TypeError, ValueError):
        return ""
