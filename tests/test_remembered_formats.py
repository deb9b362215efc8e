"""The `date` and `money` template filters remember what they wrote (issue #11: a profile writes a
date, a time and an amount on every row). What they remember must never show through: each call
reads exactly as the uncached formatting would, in the reader's language and the current formats."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from studio import formats
from studio.money import format_money
from studio.templatetags import typography
from studio.templatetags.money import money

MONTREAL = zoneinfo.ZoneInfo("America/Montreal")
PATTERNS = (
    "D j M",  # the day only
    "SHORT_DATE_FORMAT",
    "DATE_FORMAT",
    "l j F Y",
    "TIME_FORMAT",  # the clock only
    "H\\hi",  # an escaped letter is not a format character
    "DATETIME_FORMAT",  # both: never remembered
    "c",  # the zone: never remembered
    None,
)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_pattern_reads_as_the_uncached_formatting(language):
    first = dt.datetime(2026, 12, 1, 9, 30, tzinfo=MONTREAL)
    # The same day at another time, the same time on another day, then the first again.
    moments = [first, first + dt.timedelta(hours=3), first + dt.timedelta(days=1), first]
    days = [first.date(), dt.date(2027, 1, 1), first.date()]
    with translation.override(language):
        for pattern in PATTERNS:
            for value in moments:
                assert typography.date(value, pattern) == formats.date_format(value, pattern), (
                    pattern,
                    value,
                )
        for pattern in ("D j M", "SHORT_DATE_FORMAT", "DATE_FORMAT", "l j F Y", None):
            for value in days:
                assert typography.date(value, pattern) == formats.date_format(value, pattern), (
                    pattern,
                    value,
                )


def test_what_a_pattern_reads_decides_the_key():
    assert typography._pattern("D j M", "en")[1] == "day"
    assert typography._pattern("H\\hi", "fr")[1] == "clock"  # "\h" is a literal h
    assert typography._pattern("DATETIME_FORMAT", "en")[1] == ""
    assert typography._pattern("j F Y, e", "en")[1] == ""  # the zone's name depends on the instant


def test_the_same_day_and_time_read_in_each_language():
    moment = dt.datetime(2026, 12, 1, 9, 30, tzinfo=MONTREAL)
    template = Template(
        '{% load tz %}{% localtime off %}{{ v|date:"l j F" }} {{ v|date:"TIME_FORMAT" }}{% endlocaltime %}'
    )
    with translation.override("en"):
        english = template.render(Context({"v": moment}))
    with translation.override("fr"):
        french = template.render(Context({"v": moment}))
    with translation.override("en"):
        again = template.render(Context({"v": moment}))
    assert english == again == "Tuesday 1 December 9:30 a.m."
    assert french == "mardi 1er décembre 09:30"


def test_a_changed_setting_forgets_what_was_written():
    with translation.override("en"):
        typography.date(dt.date(2026, 12, 1), "SHORT_DATE_FORMAT")
        assert typography._pattern.cache_info().currsize and typography._written.cache_info().currsize
        with override_settings(SHORT_DATE_FORMAT="Y~m~d"):
            # A format or the languages may have changed: nothing written before is read again.
            assert typography._pattern.cache_info().currsize == typography._written.cache_info().currsize == 0


def test_money_reads_in_the_reader_language_each_time():
    with translation.override("en"):
        assert money(123456, "CAD") == format_money(123456, "CAD", language="en") == "$1,234.56"
    with translation.override("fr"):
        assert money(123456, "CAD") == format_money(123456, "CAD", language="fr")
        assert money("123456", "EUR") == format_money(123456, "EUR", language="fr")
    with translation.override("en"):
        assert money(123456, "CAD") == "$1,234.56" and money(None) == "" and money(-50, "") == "-$0.50"
