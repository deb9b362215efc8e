"""French decimals in a real browser (issue 10): what a person types into each money form is what
is stored.

Chromium's `<input type=number>` read a French "0,5" as "05" and the card-fee form saved 5 %.
Every decimal and money field is now a text input read by `studio.money.parse_decimal`; these
journeys type French and English values into the card-fee, tax, appointment price and credit
forms, then read the database, and check that hostile values are refused with nothing saved.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_french(page, studio):
    page.goto(f"/{studio.slug}/manage/")
    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()


def _submit(page):
    page.click("form[method=post] button[type=submit].primary")
    page.wait_for_load_state()


def _settings(studio):
    from payments.services.fees import payment_settings_for

    with scopes_disabled():
        return payment_settings_for(studio=studio)


def _error_text(page, field_id: str) -> str:
    return page.inner_text(f"#{field_id}_error")


def test_french_decimals_are_stored_as_typed(page, log_in_as, studio, owner, password, a_client):
    from payments.models import CreditEntry, TaxRate
    from scheduling.models import AppointmentService

    log_in_as(owner.user.email, password)
    _in_french(page, studio)

    # Card fee: "0,5" % and "0,30" $ (once saved as 5 % and refused as 30).
    page.goto(f"/{studio.slug}/manage/payments/fees/")
    assert page.get_attribute("#id_card_fee_percent", "type") == "text"
    assert page.get_attribute("#id_card_fee_percent", "inputmode") == "decimal"
    assert page.input_value("#id_card_fee_percent") == "2,9"  # not "2.900"
    page.check("input[name=card_fee_mode][value=pass_on]")
    page.fill("#id_card_fee_percent", "0,5")
    page.fill("#id_card_fee_fixed", "0,30")
    _submit(page)
    settings = _settings(studio)
    assert (settings.card_fee_percent, settings.card_fee_fixed) == (Decimal("0.5"), 30)
    assert page.input_value("#id_card_fee_percent") == "0,5"
    assert page.input_value("#id_card_fee_fixed") == "0,30"

    page.fill("#id_card_fee_fixed", "0,05")
    _submit(page)
    assert _settings(studio).card_fee_fixed == 5

    # Hostile and ambiguous values: refused beside the field, nothing saved.
    for typed, field in (
        ("1,000", "id_card_fee_fixed"),
        ("²", "id_card_fee_fixed"),
        ("55", "id_card_fee_percent"),
        ("1.000,5", "id_card_fee_percent"),
        ("0,0001", "id_card_fee_percent"),
    ):
        page.goto(f"/{studio.slug}/manage/payments/fees/")
        page.fill(f"#{field}", typed)
        _submit(page)
        assert page.locator(f".has-error #{field}").count() == 1, typed
        assert page.input_value(f"#{field}") == typed  # what was typed is kept to be corrected
    settings = _settings(studio)
    assert (settings.card_fee_percent, settings.card_fee_fixed) == (Decimal("0.5"), 5)

    # Taxes: "5,5" (once 55 %) and QST's "9,975".
    for name, typed, stored in (("TPS", "5,5", Decimal("5.5")), ("TVQ", "9,975", Decimal("9.975"))):
        page.goto(f"/{studio.slug}/manage/payments/taxes/new/")
        page.fill("#id_name", name)
        page.fill("#id_rate", typed)
        _submit(page)
        with scopes_disabled():
            assert TaxRate.objects.get(studio=studio, name=name).rate == stored
    assert "9,975\u00a0%" in page.inner_text("table")
    assert "9.975" not in page.content()
    with scopes_disabled():
        qst = TaxRate.objects.get(studio=studio, name="TVQ")
    page.goto(f"/{studio.slug}/manage/payments/taxes/{qst.pk}/edit/")
    assert page.input_value("#id_rate") == "9,975"
    page.fill("#id_rate", "150")
    _submit(page)
    assert "100\u00a0%" in _error_text(page, "id_rate")
    with scopes_disabled():
        assert TaxRate.objects.get(pk=qst.pk).rate == Decimal("9.975")

    # An appointment price in scheduling: "12,50".
    page.goto(f"/{studio.slug}/manage/appointments/services/new/")
    page.fill("#id_name", "Massage")
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_price_amount", "12,50")
    _submit(page)
    with scopes_disabled():
        service = AppointmentService.objects.get(studio=studio, name="Massage")
    assert service.price_amount == 1250
    page.goto(f"/{studio.slug}/manage/appointments/services/{service.pk}/")
    assert page.input_value("#id_price_amount") == "12,50"

    # A credit adjustment: "12,50", then a 9,999,999,999 $ one refused with the form's ceiling stated.
    credit_url = f"/{studio.slug}/manage/payments/clients/{a_client.pk}/credit/"
    page.goto(credit_url)
    page.fill("#id_amount", "12,50")
    page.fill("#id_note", "Geste commercial")
    _submit(page)
    page.goto(credit_url)
    page.fill("#id_amount", "9999999999")
    page.fill("#id_note", "Trop")
    _submit(page)
    assert re.search(r"[0-9\u202f]+,00\u00a0\$", _error_text(page, "id_amount"))  # the ceiling, in French
    for hostile in ("1,000", "12,345", "١٢", "1e3", "-5"):
        page.fill("#id_amount", hostile)
        _submit(page)
        assert page.locator(".has-error #id_amount").count() == 1, hostile
    page.fill("#id_amount", "1 000,5")  # grouped the way French pages show it
    _submit(page)
    with scopes_disabled():
        amounts = sorted(
            CreditEntry.objects.filter(studio=studio, client=a_client).values_list("amount", flat=True)
        )
    assert amounts == [1250, 100_050]


def test_english_reads_the_dot_and_refuses_a_decimal_comma(
    page, log_in_as, studio, owner, password, a_client
):
    from payments.models import CreditEntry, TaxRate
    from scheduling.models import AppointmentService

    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/payments/fees/")
    assert page.input_value("#id_card_fee_percent") == "2.9"
    page.fill("#id_card_fee_percent", "0,5")
    _submit(page)
    assert "dot" in _error_text(page, "id_card_fee_percent")
    assert _settings(studio).card_fee_percent == Decimal("2.900")
    page.fill("#id_card_fee_percent", "0.5")
    page.fill("#id_card_fee_fixed", "0.3")
    _submit(page)
    settings = _settings(studio)
    assert (settings.card_fee_percent, settings.card_fee_fixed) == (Decimal("0.5"), 30)

    credit_url = f"/{studio.slug}/manage/payments/clients/{a_client.pk}/credit/"
    page.goto(credit_url)
    page.fill("#id_amount", "1,000.50")
    page.fill("#id_note", "Goodwill")
    _submit(page)
    page.goto(credit_url)
    page.fill("#id_amount", "9999999999")
    page.fill("#id_note", "Too much")
    _submit(page)
    assert re.search(r"\$[0-9,]+\.00", _error_text(page, "id_amount"))
    with scopes_disabled():
        assert list(
            CreditEntry.objects.filter(studio=studio, client=a_client).values_list("amount", flat=True)
        ) == [100_050]

    # A tax and a price: the comma is refused, the dot read, grouping with commas accepted.
    page.goto(f"/{studio.slug}/manage/payments/taxes/new/")
    page.fill("#id_name", "GST")
    for hostile in ("5,5", "\u0665", "5.5.5", "1e1"):
        page.fill("#id_rate", hostile)
        _submit(page)
        assert page.locator(".has-error #id_rate").count() == 1, hostile
    page.fill("#id_rate", "5.5")
    _submit(page)
    page.goto(f"/{studio.slug}/manage/appointments/services/new/")
    page.fill("#id_name", "Massage")
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_price_amount", "12,50")
    _submit(page)
    assert "dot" in _error_text(page, "id_price_amount")
    page.fill("#id_price_amount", "$1,012.50")
    _submit(page)
    with scopes_disabled():
        assert TaxRate.objects.get(studio=studio, name="GST").rate == Decimal("5.5")
        assert AppointmentService.objects.get(studio=studio, name="Massage").price_amount == 101_250
