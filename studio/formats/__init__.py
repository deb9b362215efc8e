"""Locale formats (settings.FORMAT_MODULE_PATH) and dates written the way each language writes them.

Django's French date output capitalises what French writes in lower case ("6 Déc", because
`M` title-cases its abbreviation; "Mardi" when a catalogue translates "Tuesday" for a
weekday choice) and has no format character for "1er", the ordinal French uses for the first
of the month. `date_format` takes Django's format strings and names unchanged and, in French,
rewrites the weekday, month and day-of-month characters into escaped literals before Django
formats the rest. Templates get it through the `date` filter of `studio.templatetags.typography`,
registered as a template builtin, so every `|date:"…"` in every template follows it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, formats
from django.utils.translation import get_language

from studio.formats.fr import formats as fr

_NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
    "TIME_FORMAT",
}


def _literal(text: str) -> str:
    return "".join("\\" + char for char in text)


def day_ordinal(day: int, *, language: str | None = None) -> str:
    """1 → "1er" in French ("1" in English); other days as they are."""
    french = (language or get_language() or "en").startswith("fr")
    return "1er" if french and day == 1 else str(day)


def _french(value: dt.date, format_string: str) -> str:
    weekday, month = value.weekday(), value.month - 1
    replacements = {
        "l": fr.WEEKDAYS[weekday],
        "D": fr.WEEKDAYS_ABBR[weekday],
        "F": fr.MONTHS[month],
        "M": fr.MONTHS_ABBR[month],
        "N": fr.MONTHS_ABBR[month],
        "b": fr.MONTHS_ABBR[month].rstrip("."),
        "E": fr.MONTHS[month],
        "j": day_ordinal(value.day, language="fr"),
        "S": "",  # Django's English suffix ("st", "nd"): French writes "1er" and nothing after 2
    }
    out: list[str] = []
    chars = iter(format_string)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif char in replacements:
            out.append(_literal(replacements[char]))
        else:
            out.append(char)
    return "".join(out)


def date_format(value: dt.date | dt.datetime, format_string: str | None = None) -> str:
    """`value` formatted like `django.utils.formats.date_format`, with French typography in French.

    `format_string` is a Django format ("D j M") or a setting name ("DATE_FORMAT", the default).
    Aware datetimes are formatted as they are: convert them to the reader's zone first (the
    template filter does, as Django's own does).
    """
    name = format_string or "DATE_FORMAT"
    pattern = formats.get_format(name) if name in _NAMED else name
    if (get_language() or "en").startswith("fr") and isinstance(value, dt.date):
        pattern = _french(value, pattern)
    return dateformat.format(value, pattern)
