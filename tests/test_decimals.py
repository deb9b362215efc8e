"""One parser for every decimal and money input (issue 10, "French decimals").

Chromium's `<input type=number>` turned a French "0,5" into "05" and the card-fee form saved
5 %: these tests pin what the shared parser accepts and refuses in each language, the fields
built on it, and a convention test that keeps every money or decimal form field on them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures of the refund case
from studio.money import (
    DecimalInput,
    DecimalInputError,
    DecimalRateField,
    MoneyField,
    PercentField,
    format_decimal,
    format_money,
    format_rate,
    parse_decimal,
)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("fr", "0,5", Decimal("0.5")),
        ("fr", "0.5", Decimal("0.5")),
        ("fr", "5,5", Decimal("5.5")),
        ("fr", "0,30", Decimal("0.30")),
        ("fr", "0,05", Decimal("0.05")),
        ("fr", "12,50 $", Decimal("12.50")),
        ("fr", "1 000,5", Decimal("1000.5")),
        ("fr", "1\u00a0000,5", Decimal("1000.5")),
        ("fr", "1\u202f000\u202f000", Decimal("1000000")),
        ("fr", "0,500", Decimal("0.500")),
        ("fr", ",5", Decimal("0.5")),
        ("fr", "-2,5", Decimal("-2.5")),
        ("fr", "\u22122,5", Decimal("-2.5")),
        ("fr", "  7  ", Decimal("7")),
        ("en", "0.5", Decimal("0.5")),
        ("en", "1,000", Decimal("1000")),
        ("en", "1,000.50", Decimal("1000.50")),
        ("en", "1,234,567.8", Decimal("1234567.8")),
        ("en", "1 000.5", Decimal("1000.5")),
        ("en", "$12.50", Decimal("12.50")),
        ("en", "1.000", Decimal("1.000")),
        ("en", "-$12.50", Decimal("-12.50")),
        ("fr", "-12,50 $", Decimal("-12.50")),
    ],
)
def test_accepted(language, typed, expected):
    assert parse_decimal(typed, language=language, symbols=("$",)) == expected


@pytest.mark.parametrize(
    ("language", "typed", "code"),
    [
        ("fr", "1,000", "ambiguous"),  # one, or a thousand?
        ("fr", "1.000", "ambiguous"),
        ("fr", "12,500", "ambiguous"),
        ("fr", "1.000,5", "ambiguous"),  # continental grouping
        ("fr", "1,000.5", "ambiguous"),  # English grouping on a French page
        ("en", "1.000,5", "ambiguous"),
        ("fr", "1,2,3", "ambiguous"),
        ("fr", "1.000.000", "ambiguous"),
        ("en", "1.2.3", "ambiguous"),
        ("en", "0,5", "comma"),  # English reads the comma as grouping only
        ("en", "12,50", "comma"),
        ("fr", "1 00,5", "grouping"),
        ("fr", "10 00", "grouping"),
        ("fr", "5²", "non_ascii_digit"),
        ("fr", "²", "non_ascii_digit"),
        ("en", "\u0663", "non_ascii_digit"),  # Arabic-Indic three
        ("en", "\u0661\u0662.5", "non_ascii_digit"),
        ("fr", "1\x002", "control_character"),
        ("en", "\x00", "control_character"),
        ("en", "1e5", "invalid"),
        ("en", "NaN", "invalid"),
        ("en", "Infinity", "invalid"),
        ("en", "--5", "invalid"),
        ("en", ".", "invalid"),
        ("en", "12 abc", "invalid"),
        ("en", "1" * 41, "too_long"),
    ],
)
def test_refused_with_a_reason(language, typed, code):
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(typed, language=language)
    assert caught.value.code == code
    assert str(caught.value.messages[0])  # a sentence, never an empty refusal


def test_french_three_decimals_are_fine_where_a_thousand_cannot_be_meant():
    # QST is 9,975 %: a tax rate cannot be 9975 %, so there is nothing to confuse.
    assert parse_decimal("9,975", language="fr", max_value=Decimal(100)) == Decimal("9.975")
    with pytest.raises(DecimalInputError):
        parse_decimal("9,975", language="fr", max_value=Decimal(100_000))


def test_empty_is_none():
    assert parse_decimal("", language="fr") is None
    assert parse_decimal("   ", language="fr") is None


places = st.integers(min_value=0, max_value=3)


@given(
    st.decimals(
        min_value=Decimal("-99999999"),
        max_value=Decimal("99999999"),
        places=3,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from(["fr", "en"]),
    st.booleans(),
)
def test_what_is_shown_reads_back_the_same(value, language, grouping):
    shown = format_decimal(value, language=language, grouping=grouping)
    assert parse_decimal(shown, language=language, max_value=Decimal(100)) == value


@given(st.integers(min_value=0, max_value=10_000_000_000), st.sampled_from(["fr", "en"]))
def test_money_shown_reads_back_the_same(amount, language):
    shown = format_money(amount, "CAD", language=language)
    parsed = parse_decimal(shown, language=language, max_value=Decimal(0), symbols=("$",))
    assert int(parsed * 100) == amount


def test_formatting_per_language():
    assert format_decimal(Decimal("2.900"), language="fr") == "2,9"
    assert format_decimal(Decimal("2.900"), language="en") == "2.9"
    assert format_decimal(Decimal("100"), language="fr") == "100"
    assert format_decimal(Decimal("0.3"), language="fr", places=2) == "0,30"
    assert format_rate(Decimal("9.975"), language="fr") == "9,975\u00a0%"
    assert format_rate("9.975", language="en") == "9.975%"
    assert format_money(123456789, "CAD", language="fr") == "1\u202f234\u202f567,89\u00a0$"
    assert format_money(-1234, "CAD", language="en") == "-$12.34"


# --- fields --------------------------------------------------------------------------------


def clean(field, value, language="fr"):
    with translation.override(language):
        return field.clean(value)


def test_money_field_reads_french_and_refuses_above_its_ceiling():
    field = MoneyField(currency="CAD", allow_zero=True)
    assert clean(field, "0,05") == 5
    assert clean(field, "0,30") == 30
    assert clean(field, "12,50") == 1250
    assert clean(field, "1 000") == 100_000
    assert clean(field, "100 000") == 10_000_000
    with pytest.raises(forms.ValidationError) as caught:
        clean(field, "9999999999")
    assert "100\u202f000,00\u00a0$" in caught.value.messages[0]  # the ceiling is stated
    with translation.override("en"), pytest.raises(forms.ValidationError) as caught:
        field.clean("100000.01")
    assert "$100,000.00" in caught.value.messages[0]
    with pytest.raises(forms.ValidationError):
        clean(field, "0,005")  # sub-cent
    with pytest.raises(forms.ValidationError):
        clean(field, "-5")


def test_money_field_bounds_in_minor_units():
    field = MoneyField(currency="CAD", min_amount=50, max_amount=2_000)
    with pytest.raises(forms.ValidationError) as caught:
        clean(field, "0,49")
    assert "0,50" in caught.value.messages[0]
    with pytest.raises(forms.ValidationError) as caught:
        clean(field, "20.01", language="en")
    assert "$20.00" in caught.value.messages[0]
    assert clean(field, "20") == 2_000


def test_money_field_shows_minor_units_in_the_readers_language():
    field = MoneyField(currency="CAD")
    with translation.override("fr"):
        assert field.prepare_value(30) == "0,30"
        assert field.prepare_value(Decimal("12.5")) == "12,50"
    with translation.override("en"):
        assert field.prepare_value(123456) == "1234.56"


def test_money_field_knows_when_nothing_changed():
    field = MoneyField(currency="CAD", allow_zero=True)
    with translation.override("fr"):
        assert not field.has_changed(30, "0,30")
        assert not field.has_changed(Decimal("0.30"), "0,3")
        assert field.has_changed(30, "0,31")
        assert field.has_changed(30, "n'importe quoi")


def test_percent_field():
    field = PercentField(max_value=10, decimal_places=3)
    assert clean(field, "0,5") == Decimal("0.5")
    assert clean(field, "2,9 %") == Decimal("2.9")
    with pytest.raises(forms.ValidationError) as caught:
        clean(field, "55")
    assert "10\u00a0%" in caught.value.messages[0]
    with pytest.raises(forms.ValidationError):
        clean(field, "0,0001")
    with translation.override("fr"):
        assert field.prepare_value(Decimal("2.900")) == "2,9"


def test_rate_field_digits():
    field = DecimalRateField(max_digits=5, decimal_places=2, max_value=None)
    assert clean(field, "999,99") == Decimal("999.99")
    with pytest.raises(forms.ValidationError):
        clean(field, "1000")


def test_widget_is_text_with_the_decimal_keypad():
    html = MoneyField().widget.render("amount", "0,30")
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert PercentField().widget.input_type == "text"


# --- the convention, over every form of the project ------------------------------------------

PROJECT_PACKAGES = [
    "studio",
    "payments",
    "scheduling",
    "memberships",
    "pos",
    "payroll",
    "waivers",
    "checkout",
]
MONEY_WORDS = ("amount", "price", "fee", "cents", "credit", "rate", "percent", "balance", "pay")


def _project_forms():
    seen = set()
    for package_name in PROJECT_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".tests" in info.name or ".migrations" in info.name or "forms" not in info.name:
                continue
            module = importlib.import_module(info.name)
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__ and obj not in seen:
                    seen.add(obj)
                    yield obj


def test_the_convention_finds_the_money_forms():
    names = {form.__name__ for form in _project_forms()}
    assert {"CardFeeForm", "TaxRateForm", "CreditAdjustForm", "AppointmentServiceForm"} <= names


def test_no_form_reads_a_decimal_or_money_with_a_number_input():
    offenders = []
    for form in _project_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, (forms.DecimalField, forms.FloatField)):
                offenders.append(f"{form.__module__}.{form.__name__}.{name}: {type(field).__name__}")
            elif (
                isinstance(field, forms.IntegerField)
                and not isinstance(field.widget, forms.HiddenInput)
                and any(word in name for word in MONEY_WORDS)
            ):
                offenders.append(f"{form.__module__}.{form.__name__}.{name}: integer field for money")
            elif isinstance(field, (MoneyField, DecimalRateField)) and not isinstance(
                field.widget, DecimalInput
            ):
                offenders.append(f"{form.__module__}.{form.__name__}.{name}: {type(field.widget).__name__}")
    assert offenders == [], "use studio.money.MoneyField / PercentField / DecimalRateField:\n" + "\n".join(
        offenders
    )


# --- every money form, through the real views, with hostile values ----------------------------

HOSTILE = [
    "\x00",
    "1\x002",
    "5²",
    "²",
    "\u0663",
    "\u06f1\u06f2",
    "1e400",
    "9" * 41,
    "NaN",
    "Infinity",
    "--1",
    "1,2,3",
    "1.000,5",
    "1 00",
    "12 abc",
    "0x10",
    "١٢٫٥",
]


def _money_forms(studio, a_client):
    from django.urls import reverse

    def at(name, **kwargs):
        return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})

    return [
        (at("payments-fees"), {"card_fee_mode": "pass_on", "card_fee_fixed": "0,30"}, "card_fee_percent"),
        (at("payments-fees"), {"card_fee_mode": "pass_on", "card_fee_percent": "0,5"}, "card_fee_fixed"),
        (at("payments-tax-create"), {"name": "TVQ", "position": "1"}, "rate"),
        (
            at("appointment-service-create"),
            {
                "name": "Massage",
                "duration_minutes": "60",
                "buffer_before_minutes": "0",
                "buffer_after_minutes": "0",
            },
            "price_amount",
        ),
        (at("payments-client-credit", pk=a_client.pk), {"direction": "add", "note": "x"}, "amount"),
    ]


def _stored(studio, a_client):
    from django_scopes import scopes_disabled

    from payments.models import CreditEntry, PaymentSettings, TaxRate
    from scheduling.models import AppointmentService

    with scopes_disabled():
        return (
            list(
                PaymentSettings.objects.filter(studio=studio).values_list(
                    "card_fee_percent", "card_fee_fixed"
                )
            ),
            TaxRate.objects.filter(studio=studio).count(),
            AppointmentService.objects.filter(studio=studio).count(),
            CreditEntry.objects.filter(client=a_client).count(),
        )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_hostile_numbers_are_refused_by_every_money_form_and_nothing_is_saved(
    owner_client, studio, a_client, language
):
    from django.conf import settings

    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    forms_ = _money_forms(studio, a_client)
    owner_client.get(forms_[0][0])  # the fees page creates the studio's settings row with its defaults
    before = _stored(studio, a_client)
    ambiguous = ["1,000", "2,500"] if language == "fr" else ["0,5", "12,50"]
    for url, data, field in forms_:
        # "1,000" is one or a thousand only where a thousand is allowed: money, not a 0-10 % fee.
        is_rate = field in {"card_fee_percent", "rate"}
        for value in [*HOSTILE, *(ambiguous if language == "en" or not is_rate else [])]:
            response = owner_client.post(url, {**data, field: value})
            if "\x00" in value and response.status_code == 400:
                continue  # refused before any view by the hostile-input middleware: fine too
            assert response.status_code == 200, (url, field, value, response.status_code)
            assert "has-error" in response.content.decode(), (url, field, value)
    assert _stored(studio, a_client) == before


@pytest.mark.django_db
def test_french_values_through_the_views(owner_client, studio, a_client):
    from django.conf import settings

    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    forms_ = _money_forms(studio, a_client)
    for (url, data, field), value in zip(
        forms_, ["0,5", "0,05", "5,5", "12,50", "1\u202f000,50"], strict=True
    ):
        response = owner_client.post(url, {**data, field: value})
        assert response.status_code == 302, (url, value, response.content.decode()[:3000])
    (fees,), taxes, services, credits = _stored(studio, a_client)
    assert fees == (Decimal("0.5"), 5) and taxes == 1 and services == 1 and credits == 1


@pytest.mark.django_db
def test_the_operator_types_the_platform_fee_in_french_in_the_admin(client, studio):
    from django.conf import settings
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from payments.models import PaymentSettings
    from tests.factories import UserFactory

    with scopes_disabled():
        row = PaymentSettings.objects.create(studio=studio)
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    url = reverse("admin:payments_paymentsettings_change", args=[row.pk])
    assert 'inputmode="decimal"' in client.get(url).content.decode()
    response = client.post(url, {"application_fee_percent": "1,25", "application_fee_fixed": "15"})
    assert response.status_code == 302
    with scopes_disabled():
        row.refresh_from_db()
    assert row.application_fee_percent == Decimal("1.25")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_refund_amounts_typed_in_each_language(
    sandbox,  # noqa: F811 - the fixture imported above
    make_account,  # noqa: F811 - the fixture imported above
    owner_client,
    studio,
    a_client,
    location,
    language,
):
    from django.conf import settings
    from django.urls import reverse
    from django_scopes import scope, scopes_disabled

    from payments.models import Payment, Refund
    from payments.models.settings import Channel, ItemKind
    from payments.services.tenders import payment_record_tender
    from studio.services import SYSTEM

    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        cash = payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="Water",
            pos_location=location,
        )
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("payments-payment-refund", kwargs={"studio_slug": studio.slug, "pk": cash.pk})
    base = {"destination": "original", "reason": "", "seen_refunded": "0", "confirm": "1"}
    for hostile in [
        "\u00b2",
        "\u0663",
        "1e3",
        "NaN",
        "-5",
        "0",
        "25,01" if language == "fr" else "25.01",
        "0,5" if language == "en" else "1.000,5",
    ]:
        response = owner_client.post(url, {**base, "amount": hostile})
        assert response.status_code == 200 and "has-error" in response.content.decode(), hostile
    with scopes_disabled():
        assert not Refund.objects.filter(payment=cash).exists()
    typed = "12,50" if language == "fr" else "12.50"
    assert owner_client.post(url, {**base, "amount": typed}).status_code == 302
    with scopes_disabled():
        assert list(Refund.objects.filter(payment=cash).values_list("amount", flat=True)) == [1250]
