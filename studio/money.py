"""The one place money is converted, rounded, typed in and shown.

Amounts are integers of minor units (cents). Rates are Decimal percentages. A percentage of
an amount is rounded half-up to the cent (ROUND_HALF_UP), computed per line then summed —
the way Canadian receipts show GST and QST separately.

Typing numbers in (`parse_decimal`): one parser for every decimal and money input, read in the
active language. Chromium's `<input type=number>` silently turns a French "0,5" into "05", so
every such field is a text input with `inputmode="decimal"` (`DecimalInput`) and the server
decides what was meant:

* the dot is always a decimal separator; in French the comma is one too, in English the comma
  only groups thousands ("1,000.50");
* spaces (ordinary, no-break, narrow no-break — what French pages show) group thousands in both
  languages when every group after the first has three digits ("1 000,5"); any other spacing is
  refused, since "1 00,5" has no single reading;
* a value that reads as two different numbers which the field would both accept is refused with
  a message saying how to write it: in French "1,000" or "1.000" (one, or a thousand?) when a
  thousand is allowed, and "1.000,5" / "1,000.5" (continental vs English grouping) always;
* only ASCII digits: "²" or Arabic-Indic digits are refused, never read; NUL and other control
  characters are refused with their own message.

Values are shown back (`format_decimal`) with the language's decimal separator and without
grouping in inputs, so that what a page shows can be typed back unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "XOF", "XAF"})
CURRENCY_SYMBOLS = {"CAD": "$", "USD": "$", "AUD": "$", "EUR": "€", "GBP": "£"}

# What a person may reasonably type into one box; anything longer is not a number we accept.
INPUT_MAX_LENGTH = 40
# The default ceiling of a typed amount when the form sets none: 100,000.00 in a two-decimal
# currency (a credit adjustment of 9,999,999,999 $ was once accepted). Forms lower it when they
# know better (a refund: what is left to refund).
DEFAULT_MAX_MINOR = 10_000_000

_GROUP_SPACES = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_MINUS_SIGNS = "-\u2212"  # hyphen-minus and the typographic minus sign


def percent_of(amount: int, rate_percent: Decimal) -> int:
    """`rate_percent` % of `amount` minor units, rounded half-up to a whole minor unit."""
    if not isinstance(amount, int):
        raise TypeError("amounts are integers of minor units")
    value = (Decimal(amount) * Decimal(rate_percent) / Decimal(100)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(value)


def currency_places(currency: str) -> int:
    """How many decimals `currency`'s major unit has (2 for CAD, 0 for JPY)."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def to_minor(value: Decimal | str, currency: str) -> int:
    """'12.34' CAD → 1234. Refuses sub-cent precision instead of silently rounding it away."""
    quantized = Decimal(value).scaleb(currency_places(currency))
    if quantized != quantized.to_integral_value():
        raise ValueError(f"{value} has more precision than {currency} allows")
    return int(quantized)


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-currency_places(currency))


def _is_french(language: str | None) -> bool:
    return (language or get_language() or "en").lower().startswith("fr")


def format_decimal(
    value: Decimal | int | str,
    *,
    language: str | None = None,
    places: int | None = None,
    grouping: bool = False,
) -> str:
    """Decimal('2.900') → '2,9' in French, '2.9' in English; `places` fixes the decimals ('0,30').

    `grouping` separates thousands (narrow no-break space in French, comma in English); inputs
    leave it off so a shown value can be edited and typed back as it is.
    """
    number = Decimal(str(value))
    if places is None:
        number = number.normalize()
        if number == number.to_integral_value():
            number = number.quantize(Decimal(1))  # normalize() writes 100 as 1E+2
        text = f"{abs(number):{',' if grouping else ''}f}"
    else:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{abs(number):{',' if grouping else ''}.{places}f}"
    sign = "-" if number < 0 else ""
    if _is_french(language):
        text = text.replace(",", "\u202f").replace(".", ",")
    return sign + text


def format_money(amount: int, currency: str, *, language: str = "en") -> str:
    """1234, CAD → '12,34 $' in French, '$12.34' in English (the symbol is the currency's)."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper())
    digits = format_decimal(
        abs(to_major(amount, currency)), language=language, places=currency_places(currency), grouping=True
    )
    sign = "-" if amount < 0 else ""
    if _is_french(language):
        return f"{sign}{digits}\u00a0{symbol}"
    return f"{sign}{symbol}{digits}"


def format_rate(rate: Decimal | str, *, language: str | None = None) -> str:
    """Decimal('9.975') → '9,975 %' in French (no-break space, OQLF), '9.975%' in English."""
    try:
        digits = format_decimal(rate, language=language)
    except (InvalidOperation, ValueError):
        return str(rate)
    return f"{digits}\u00a0%" if _is_french(language) else f"{digits}%"


class DecimalInputError(ValidationError):
    """A typed number refused by `parse_decimal`; the message says how to write it instead."""


def _example(language: str | None) -> str:
    return "12,50" if _is_french(language) else "12.50"


def _refuse_characters(text: str) -> None:
    for char in text:
        if char == "\x00" or unicodedata.category(char) == "Cc":
            raise DecimalInputError(
                _("This value contains a control character; type the number again."), code="control_character"
            )
    for char in text:
        if not char.isascii() and (char.isdigit() or char.isnumeric()):
            raise DecimalInputError(_("Use the digits 0 to 9 only."), code="non_ascii_digit")


def _without_symbol(text: str, symbols: tuple[str, ...]) -> str:
    """'12,50 $' → '12,50': one symbol, before or after the number."""
    for symbol in symbols:
        if text.endswith(symbol):
            return text[: -len(symbol)].rstrip(_GROUP_SPACES)
        if text.startswith(symbol):
            return text[len(symbol) :].lstrip(_GROUP_SPACES)
    return text


def _grouped(integer: str, separator: str) -> str | None:
    """'1 000 000' → '1000000' when every group after the first has three digits, else None."""
    groups = integer.split(separator)
    if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    return "".join(groups)


def parse_decimal(
    text: str, *, language: str | None = None, max_value: Decimal | None = None, symbols: tuple[str, ...] = ()
) -> Decimal | None:
    """A typed number read in `language` (the active one by default); None for an empty box.

    `max_value` lets the parser tell a real ambiguity ("1,000" in French when a thousand is also
    allowed) from a harmless one ("9,975" as a tax rate, which cannot be 9975 %). `symbols` may
    stand once before or after the number ("12,50 $", "5 %"). Raises `DecimalInputError`.
    """
    if text is None:
        return None
    text = str(text)
    french = _is_french(language)
    if len(text) > INPUT_MAX_LENGTH:
        raise DecimalInputError(_("This number is too long."), code="too_long")
    _refuse_characters(text)
    text = _without_symbol(text.strip(_GROUP_SPACES), symbols)
    if not text:
        return None
    invalid = DecimalInputError(
        _("Enter a number, for example %(example)s.") % {"example": _example(language)}, code="invalid"
    )
    sign = ""
    if text[0] in _MINUS_SIGNS + "+":
        sign = "-" if text[0] in _MINUS_SIGNS else ""
        text = _without_symbol(text[1:].lstrip(_GROUP_SPACES), symbols)  # "-$12.50"
    # Every kind of space groups thousands the same way.
    spaced = re.sub(f"[{_GROUP_SPACES}]", " ", text)
    if not re.fullmatch(r"[0-9 ,.]+", spaced) or not re.search(r"[0-9]", spaced):
        raise invalid
    if "," in spaced and "." in spaced:
        if french or not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+\.[0-9]*", spaced.replace(" ", "")):
            raise DecimalInputError(
                _("“%(value)s” mixes a comma and a dot: use one decimal separator, e.g. %(example)s.")
                % {"value": text, "example": _example(language)},
                code="ambiguous",
            )
        spaced = spaced.replace(",", "")
    if french:
        separators = spaced.count(",") + spaced.count(".")
        if separators > 1:
            raise DecimalInputError(
                _("Use one decimal separator, e.g. %(example)s.") % {"example": _example(language)},
                code="ambiguous",
            )
        spaced = spaced.replace(",", ".")
    elif "," in spaced:
        integer, _dot, _fraction = spaced.partition(".")
        if " " in integer or _grouped(integer, ",") is None:
            raise DecimalInputError(
                _("Use a dot for decimals, e.g. %(example)s.") % {"example": _example(language)}, code="comma"
            )
        spaced = spaced.replace(",", "")
    if spaced.count(".") > 1:
        raise DecimalInputError(
            _("Use one decimal separator, e.g. %(example)s.") % {"example": _example(language)},
            code="ambiguous",
        )
    integer, dot, fraction = spaced.partition(".")
    if " " in fraction:
        raise invalid
    if " " in integer:
        joined = _grouped(integer, " ")
        if joined is None:
            raise DecimalInputError(
                _("Group thousands by three digits (1 000 000), or not at all."), code="grouping"
            )
        integer = joined
    if not integer and not fraction:
        raise invalid
    if french and dot and re.fullmatch(r"[1-9][0-9]{0,2}", integer) and len(fraction) == 3:
        # "1,000" or "1.000": one, or a thousand written the English or German way?
        thousands = Decimal(integer + fraction)
        if max_value is None or thousands <= max_value:
            raise DecimalInputError(
                _(
                    "“%(value)s” could be read two ways: write %(plain)s for the whole number, or drop the "
                    "trailing zeros of the decimals."
                )
                % {"value": text, "plain": integer + fraction},
                code="ambiguous",
            )
    try:
        return Decimal(f"{sign}{integer or '0'}.{fraction or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only digits
        raise invalid from exc


class DecimalInput(forms.TextInput):
    """The one input of every decimal and money field: text, so the browser never rewrites it,
    with the decimal keypad on phones and tablets."""

    def __init__(self, attrs=None):
        # maxlength: no amount or rate needs more characters (DESIGN.md: every text field is bounded).
        super().__init__(
            {
                "inputmode": "decimal",
                "autocomplete": "off",
                "spellcheck": "false",
                "maxlength": "24",
                **(attrs or {}),
            }
        )


class _TypedNumberField(forms.Field):
    widget = DecimalInput
    symbols: tuple[str, ...] = ()

    def _parse(self, value, *, max_value: Decimal | None) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        return parse_decimal(str(value), max_value=max_value, symbols=self.symbols)


class DecimalRateField(_TypedNumberField):
    """A rate (hourly pay, a percentage…) typed in the active language; cleaned to a Decimal.

    `decimal_places` refuses more precision than the column stores instead of rounding it away;
    `min_value`/`max_value` are stated, formatted for the reader, in the refusal.
    """

    def __init__(
        self,
        *,
        max_digits: int = 9,
        decimal_places: int = 3,
        min_value: Decimal | int = 0,
        max_value: Decimal | int | None = None,
        **kwargs,
    ):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.min_value = Decimal(min_value) if min_value is not None else None
        self.max_value = Decimal(max_value) if max_value is not None else None
        super().__init__(**kwargs)

    def _shown(self, value: Decimal) -> str:
        return format_decimal(value)

    def prepare_value(self, value):
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return format_decimal(value)
        return value

    def to_python(self, value):
        number = self._parse(value, max_value=self.max_value)
        if number is None:
            return None
        exponent = number.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > self.decimal_places:
            raise ValidationError(
                _("At most %(places)d decimals.") % {"places": self.decimal_places}, code="max_decimal_places"
            )
        whole = len(str(abs(int(number))).lstrip("0"))
        if whole > self.max_digits - self.decimal_places:
            raise ValidationError(_("This number is too large."), code="max_digits")
        return number

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        low, high = self.min_value, self.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                message = _("Enter a value between %(min)s and %(max)s.")
            elif high is not None:
                message = _("Enter a value of at most %(max)s.")
            else:
                message = _("Enter a value of at least %(min)s.")
            raise ValidationError(
                message
                % {
                    "min": self._shown(low) if low is not None else "",
                    "max": self._shown(high) if high is not None else "",
                },
                code="out_of_range",
            )


class PercentField(DecimalRateField):
    """A percentage (tax, card fee): between 0 and 100 unless told, "%" may be typed after it."""

    symbols = ("%",)

    def __init__(
        self, *, max_value: Decimal | int = 100, max_digits: int = 6, decimal_places: int = 3, **kwargs
    ):
        super().__init__(max_value=max_value, max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def _shown(self, value: Decimal) -> str:
        return format_rate(value)


class MoneyField(_TypedNumberField):
    """A major-units amount typed in the active language, cleaned to an int of minor units.

    Bounds are in minor units (`min_amount`, `max_amount`, default ceiling `DEFAULT_MAX_MINOR`)
    and refusals state them as money ("at most 100 000,00 $"). Initial values are minor units
    and are shown in major units for the reader's language ("0,30").
    """

    def __init__(
        self,
        *,
        currency: str = "CAD",
        allow_zero: bool = False,
        allow_negative: bool = False,
        min_amount: int | None = None,
        max_amount: int | None = DEFAULT_MAX_MINOR,
        **kwargs,
    ):
        self.currency = currency.upper()
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        self.min_amount = min_amount
        self.max_amount = max_amount
        self.symbols = tuple({CURRENCY_SYMBOLS.get(self.currency, "$"), self.currency})
        super().__init__(**kwargs)

    def _money(self, amount: int) -> str:
        return format_money(amount, self.currency, language=get_language() or "en")

    def prepare_value(self, value):
        # Initial values come from our models in minor units; show them in major units.
        if isinstance(value, int) and not isinstance(value, bool):
            value = to_major(value, self.currency)
        if isinstance(value, Decimal):
            return format_decimal(value, places=currency_places(self.currency))
        return value

    def has_changed(self, initial, data) -> bool:
        # Initial values are minor units (from a model) or major units (Decimal); data is typed text.
        if isinstance(initial, Decimal):
            initial = to_minor(initial, self.currency)
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True

    def to_python(self, value):
        ceiling = to_major(self.max_amount, self.currency) if self.max_amount is not None else None
        number = self._parse(value, max_value=ceiling)
        if number is None:
            return None
        try:
            return to_minor(number, self.currency)
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(_("Too many decimals for this currency."), code="precision") from exc

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < 0 and not self.allow_negative:
            raise ValidationError(_("Enter a positive amount."), code="negative")
        if value == 0 and not self.allow_zero:
            raise ValidationError(_("Enter an amount greater than zero."), code="zero")
        if self.max_amount is not None and value > self.max_amount:
            raise ValidationError(
                _("Enter at most %(amount)s.") % {"amount": self._money(self.max_amount)}, code="max_amount"
            )
        if self.min_amount is not None and value < self.min_amount:
            raise ValidationError(
                _("Enter at least %(amount)s.") % {"amount": self._money(self.min_amount)}, code="min_amount"
            )
