"""One place that decides what outside input the product accepts (SPEC Q-2: no input reaches a 500).

Every query parameter, path token and form value that ends up in `int()`, a date computation or
the database goes through a helper here:

* text never carries NUL (PostgreSQL refuses it) or other C0 control characters;
* integers are ASCII digits only — `str.isdigit()` accepts "²" and "٣", which `int()` then
  refuses or silently reads;
* every date lies within a studio's sensible calendar (`MIN_DATE`..`MAX_DATE`), so that adding a
  week or converting to UTC can never overflow `datetime`.

The helpers that read query strings never raise: a bad value falls back to the caller's default,
the way a page falls back to "this week" when the week is nonsense. Form fields refuse instead,
with a message that says what is accepted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# A studio's calendar: nothing it schedules, sells or reports on lies outside this range, and
# a margin of years on each side keeps every `± timedelta` and zone conversion far from
# `date.min`/`date.max`.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

# RFC 5321 limits a forward path to 254 characters; django-axes stores the username it is given
# in a 255-character column, so nothing longer may ever reach it.
EMAIL_MAX_LENGTH = 254

# A default bound for free text that has no natural one (search boxes, short labels).
TEXT_MAX_LENGTH = 255

# C0 controls other than tab, line feed and carriage return.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ASCII_INT = re.compile(r"[0-9]{1,18}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def has_nul(value: str) -> bool:
    """True when `value` holds a NUL character (which PostgreSQL text columns refuse)."""
    return "\x00" in value


def clean_text(value: str) -> str:
    """`value` without NUL and the other C0 control characters (tab, LF and CR are kept)."""
    if not value:
        return "" if value is None else value
    return _CONTROL_CHARS.sub("", str(value))


def parse_int_param(value: Any, default: int | None = None) -> int | None:
    """A non-negative integer written in ASCII digits, else `default`. Never raises.

    Accepts `int` values as they are (when not negative) and strings of 1 to 18 ASCII digits,
    surrounding spaces ignored — small enough that no PostgreSQL bigint overflows.
    """
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if 0 <= value < 10**18 else default
    if not isinstance(value, str):
        return default
    value = value.strip()
    if not _ASCII_INT.fullmatch(value):
        return default
    return int(value)


def date_in_range(value: dt.date) -> bool:
    """True when `value` lies within the studio calendar."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return MIN_DATE <= value <= MAX_DATE


def parse_date_param(value: Any, default: dt.date | None = None) -> dt.date | None:
    """An ISO date (YYYY-MM-DD, ASCII) within [MIN_DATE, MAX_DATE], else `default`. Never raises."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value if date_in_range(value) else default
    if not isinstance(value, str):
        return default
    value = value.strip()
    if not _ISO_DATE.fullmatch(value):
        return default
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        return default
    return parsed if date_in_range(parsed) else default


def _range_error() -> ValidationError:
    return ValidationError(
        _("Enter a date between %(min)s and %(max)s."),
        code="date_out_of_range",
        params={
            "min": date_format(MIN_DATE, "SHORT_DATE_FORMAT"),
            "max": date_format(MAX_DATE, "SHORT_DATE_FORMAT"),
        },
    )


def validate_date_in_range(value: dt.date | dt.datetime | None) -> None:
    """A validator for any date or datetime the product stores."""
    if value is not None and not date_in_range(value):
        raise _range_error()


class BoundedDateField(forms.DateField):
    """A DateField that refuses dates outside the studio calendar, with a clear message."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "date" in (getattr(widget, "input_type", None), widget.attrs.get("type")):
            attrs.setdefault("min", MIN_DATE.isoformat())
            attrs.setdefault("max", MAX_DATE.isoformat())
        return attrs


class BoundedDateTimeField(forms.DateTimeField):
    """A DateTimeField whose date part lies within the studio calendar.

    The check runs on the local wall time, before any conversion to UTC: 9999-12-31 23:59 in
    Toronto is already past `datetime.max` in UTC.
    """

    def to_python(self, value):
        # Check the naive value the person typed before Django attaches the zone.
        if isinstance(value, str):
            value = clean_text(value).strip()
        result = super().to_python(value)
        validate_date_in_range(result)
        return result


class BoundedSplitDateTimeField(forms.SplitDateTimeField):
    """A date + time pair (two inputs) whose date lies within the studio calendar."""

    def compress(self, data_list):
        if data_list and data_list[0] is not None:
            validate_date_in_range(data_list[0])
        return super().compress(data_list)


class SafeCharField(forms.CharField):
    """A CharField that always has a maximum length and refuses NUL.

    Django's CharField already refuses NUL through a validator; this field also drops the other
    invisible control characters a paste can carry, and gives every field a bound.
    """

    default_error_messages = {
        "null_characters_not_allowed": _("This text contains a character that is not allowed."),
    }

    def __init__(self, *, max_length: int | None = TEXT_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and has_nul(value):
            raise ValidationError(
                self.error_messages["null_characters_not_allowed"], code="null_characters_not_allowed"
            )
        value = super().to_python(value)
        return clean_text(value) if isinstance(value, str) else value


class WholeNumberInput(forms.TextInput):
    """The input of every whole-number field: text with the numeric keypad (as `DecimalInput` is
    for decimals), so the browser never rewrites what was typed and the server reads it."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", "maxlength": "12", **(attrs or {})})


class WholeNumberField(forms.IntegerField):
    """A whole number typed with ASCII digits only: Python's `int()` would read "²" or "٣" as a
    number, so anything not ASCII is refused as invalid before it gets there."""

    widget = WholeNumberInput

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def widget_attrs(self, widget):
        # Django adds min/max/step for a NumberInput; a text input keeps only its own attributes.
        return {} if isinstance(widget, WholeNumberInput) else super().widget_attrs(widget)


class BoundedEmailField(forms.EmailField):
    """An email field bounded at 254 characters (RFC 5321), checked before anything stores it."""

    def __init__(self, *, max_length: int = EMAIL_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and has_nul(value):
            raise ValidationError(_("Enter a valid email address."), code="invalid")
        return super().to_python(value)


# Free text that has no natural bound (notes, descriptions) still has one.
LONG_TEXT_MAX_LENGTH = 5000


def bound_form_fields(form: forms.BaseForm, *, skip: tuple[str, ...] = ()) -> None:
    """Give every field of `form` the product's input rules, whatever declared it.

    Text fields without a maximum get `LONG_TEXT_MAX_LENGTH`; date and date-time fields refuse
    dates outside the studio calendar (fields named in `skip` keep their own range, e.g. a
    birthday). NUL is refused by Django's CharField already, and by `HostileInputMiddleware`
    before any form sees it.
    """
    from django.core.validators import MaxLengthValidator

    for name, field in form.fields.items():
        if name in skip:
            continue
        if (
            isinstance(field, forms.CharField)
            and not isinstance(field, forms.EmailField)
            and field.max_length is None
        ):
            field.max_length = LONG_TEXT_MAX_LENGTH
            field.validators.append(MaxLengthValidator(LONG_TEXT_MAX_LENGTH))
            field.widget.attrs.setdefault("maxlength", str(LONG_TEXT_MAX_LENGTH))
        elif isinstance(field, forms.EmailField) and (
            field.max_length is None or field.max_length > EMAIL_MAX_LENGTH
        ):
            field.max_length = EMAIL_MAX_LENGTH
            field.validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
            field.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)
        elif isinstance(field, (forms.DateField, forms.DateTimeField)):
            if validate_date_in_range not in field.validators:
                field.validators.append(validate_date_in_range)
        elif isinstance(field, forms.SplitDateTimeField):
            field.validators.append(validate_date_in_range)


class BoundedInputsMixin:
    """Mix into a Form or ModelForm (first base) to apply `bound_form_fields` to all its fields."""

    bound_inputs_skip: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_form_fields(self, skip=self.bound_inputs_skip)
