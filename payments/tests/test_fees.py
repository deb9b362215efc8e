"""Fees and taxes (PAY-8, PAY-9): the rounding table, the demo seed, and the settings pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import PaymentSettings, TaxRate
from payments.models.settings import ItemKind
from payments.services.fees import quote_build
from payments.services.fees_setup import seed_taxes_and_fees
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.templatetags.money import money
from tests.factories import make_studio

GST = TaxRate(name="GST", rate=Decimal("5"), item_kinds=list(ItemKind.values))
QST = TaxRate(name="QST", rate=Decimal("9.975"), item_kinds=list(ItemKind.values))
ABSORB = PaymentSettings(card_fee_mode="absorb", card_fee_percent=Decimal("2.9"), card_fee_fixed=30)
PASS_ON = PaymentSettings(card_fee_mode="pass_on", card_fee_percent=Decimal("2.9"), card_fee_fixed=30)
PLATFORM_1PCT = PaymentSettings(
    card_fee_mode="pass_on",
    card_fee_percent=Decimal("2.9"),
    card_fee_fixed=30,
    application_fee_percent=Decimal("1"),
)
FIXED_FEE_ONLY = PaymentSettings(card_fee_mode="absorb", application_fee_fixed=500)

# subtotal, settings, by card, rates → GST, QST, card fee, total, platform fee (all minor units)
ROUNDING = [
    ("1000 absorb", 1000, ABSORB, True, [GST, QST], 50, 100, 0, 1150, 0),  # QST 99.75 → 100
    ("1001 absorb", 1001, ABSORB, True, [GST, QST], 50, 100, 0, 1151, 0),  # 50.05 → 50, 99.85 → 100
    ("10 half-up", 10, ABSORB, True, [GST, QST], 1, 1, 0, 12, 0),  # 0.5 → 1, 0.9975 → 1
    ("2500 absorb", 2500, ABSORB, True, [GST, QST], 125, 249, 0, 2874, 0),  # 249.375 → 249
    ("1999 absorb", 1999, ABSORB, True, [GST, QST], 100, 199, 0, 2298, 0),  # 99.95 → 100, 199.40 → 199
    (
        "1000 pass on",
        1000,
        PASS_ON,
        True,
        [GST, QST],
        50,
        100,
        63,
        1213,
        0,
    ),  # 2.9 % of 1150 = 33.35 → 33, + 30
    ("pass on, cash", 1000, PASS_ON, False, [GST, QST], 50, 100, 0, 1150, 0),  # no card, no card fee
    ("pass on, untaxed", 2000, PASS_ON, True, [], 0, 0, 88, 2088, 0),  # 58 + 30
    ("pass on, zero", 0, PASS_ON, True, [GST, QST], 0, 0, 0, 0, 0),
    ("platform 1 %", 1000, PLATFORM_1PCT, True, [GST, QST], 50, 100, 63, 1213, 12),  # 12.13 → 12
    ("platform fixed capped", 100, FIXED_FEE_ONLY, True, [], 0, 0, 0, 100, 100),
]


@pytest.mark.parametrize(
    ("subtotal", "settings", "by_card", "rates", "gst", "qst", "card_fee", "total", "platform"),
    [row[1:] for row in ROUNDING],
    ids=[row[0] for row in ROUNDING],
)
def test_rounding_table(subtotal, settings, by_card, rates, gst, qst, card_fee, total, platform):
    quote = quote_build(
        studio=None,
        subtotal=subtotal,
        item_kind=ItemKind.MEMBERSHIP,
        by_card=by_card,
        settings=settings,
        rates=rates,
    )
    amounts = {line.name: line.amount for line in quote.tax_lines}
    assert (amounts.get("GST", 0), amounts.get("QST", 0)) == (gst, qst)
    assert quote.card_fee == card_fee
    assert quote.total == total == subtotal + gst + qst + card_fee
    assert quote.application_fee == platform


def test_money_filter_follows_the_language():
    with translation.override("en"):
        assert money(123456, "CAD") == "$1,234.56"
    with translation.override("fr"):
        assert money(123456, "CAD") == "1\u202f234,56\u00a0$"
    assert money(None, "CAD") == ""


# --- the demo seed -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_taxes_and_fees_is_idempotent(studio, other_studio):
    with scope(studio=studio):
        seed_taxes_and_fees(studio=studio)
        seed_taxes_and_fees(studio=studio)
        rates = list(TaxRate.objects.filter(studio=studio).order_by("position"))
        quote = quote_build(studio=studio, subtotal=1000, item_kind=ItemKind.PRODUCT, by_card=False)
        settings = PaymentSettings.objects.get(studio=studio)
    assert [(r.name, r.rate) for r in rates] == [("GST", Decimal("5.000")), ("QST", Decimal("9.975"))]
    assert all(set(r.item_kinds) == set(ItemKind.values) for r in rates)
    assert quote.tax_total == 150
    assert settings.card_fee_mode == PaymentSettings.FeeMode.PASS_ON
    with scopes_disabled():
        assert not TaxRate.objects.filter(studio=other_studio).exists()


@pytest.mark.django_db
def test_seed_names_taxes_in_french_for_a_french_studio():
    studio = make_studio("quebec", language="fr")
    with scope(studio=studio):
        seed_taxes_and_fees(studio=studio)
        seed_taxes_and_fees(studio=studio)
        assert list(
            TaxRate.objects.filter(studio=studio).order_by("position").values_list("name", flat=True)
        ) == ["TPS", "TVQ"]


# --- the pages ----------------------------------------------------------------------------------


def _fees_url(studio):
    return reverse("payments-fees", kwargs={"studio_slug": studio.slug})


@pytest.mark.django_db
def test_owner_sets_card_fee_pass_through(owner_client, studio):
    page = owner_client.get(_fees_url(studio)).content.decode()
    assert "Card fees" in page and "Atelier keeps no fee" in page
    response = owner_client.post(
        _fees_url(studio),
        {
            "card_fee_mode": "pass_on",
            "card_fee_percent": "3.5",
            "card_fee_fixed": "0.25",
            "application_fee_percent": "0",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        settings = PaymentSettings.objects.get(studio=studio)
        assert AuditLog.objects.filter(studio=studio, action="payments.fees_updated").exists()
    assert (settings.card_fee_mode, settings.card_fee_percent, settings.card_fee_fixed) == (
        "pass_on",
        Decimal("3.500"),
        25,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card_fee_fixed", "0.255"),
        ("card_fee_fixed", "-1"),
        ("card_fee_percent", "11"),
        ("card_fee_mode", "sometimes"),
    ],
)
def test_invalid_card_fees_are_refused(owner_client, studio, field, value):
    data = {"card_fee_mode": "pass_on", "card_fee_percent": "2.9", "card_fee_fixed": "0.30", field: value}
    response = owner_client.post(_fees_url(studio), data)
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


@pytest.mark.django_db
def test_platform_fee_is_read_only_for_the_studio(owner_client, studio):
    with scopes_disabled():
        PaymentSettings.objects.create(
            studio=studio, application_fee_percent=Decimal("1.5"), application_fee_fixed=10
        )
    page = owner_client.get(_fees_url(studio)).content.decode()
    assert "1.5%" in page and "Set by the platform" in page
    owner_client.post(
        _fees_url(studio),
        {
            "card_fee_mode": "absorb",
            "card_fee_percent": "2.9",
            "card_fee_fixed": "0.30",
            "application_fee_percent": "0",
            "application_fee_fixed": "0",
        },
    )
    with scopes_disabled():
        settings = PaymentSettings.objects.get(studio=studio)
    assert settings.application_fee_percent == Decimal("1.500") and settings.application_fee_fixed == 10


@pytest.mark.django_db
def test_tax_rates_crud(owner_client, studio):
    create = reverse("payments-tax-create", kwargs={"studio_slug": studio.slug})
    assert owner_client.get(create).status_code == 200
    response = owner_client.post(
        create, {"name": "GST", "rate": "5", "item_kinds": ["product", "membership"], "position": "0"}
    )
    assert response.status_code == 302
    duplicate = owner_client.post(create, {"name": "GST", "rate": "5", "position": "1"})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()
    with scopes_disabled():
        rate = TaxRate.objects.get(studio=studio)
    assert rate.item_kinds == ["product", "membership"]
    edit = reverse("payments-tax-edit", kwargs={"studio_slug": studio.slug, "pk": rate.pk})
    owner_client.post(edit, {"name": "GST", "rate": "5.5", "item_kinds": ["class_booking"], "position": "0"})
    with scope(studio=studio):
        assert (
            quote_build(studio=studio, subtotal=1000, item_kind="class_booking", by_card=False).tax_total
            == 55
        )
        assert quote_build(studio=studio, subtotal=1000, item_kind="product", by_card=False).tax_total == 0
    archive = reverse("payments-tax-archive", kwargs={"studio_slug": studio.slug, "pk": rate.pk})
    assert owner_client.get(archive).status_code == 405
    owner_client.post(archive)
    with scope(studio=studio):
        assert (
            quote_build(studio=studio, subtotal=1000, item_kind="class_booking", by_card=False).tax_total == 0
        )
    page = owner_client.get(_fees_url(studio)).content.decode()
    assert "archived" in page
    owner_client.post(archive, {"restore": "1"})
    with scope(studio=studio):
        assert (
            quote_build(studio=studio, subtotal=1000, item_kind="class_booking", by_card=False).tax_total
            == 55
        )
    bad = owner_client.post(create, {"name": "Huge", "rate": "150", "position": "0"})
    assert bad.status_code == 200


@pytest.mark.django_db
def test_manager_cannot_change_fees(login, studio, staff_factory):
    manager = staff_factory(RoleKind.MANAGER)
    c = login(manager.user)
    assert c.get(_fees_url(studio)).status_code == 403
    assert (
        c.post(
            reverse("payments-tax-create", kwargs={"studio_slug": studio.slug}),
            {"name": "X", "rate": "1", "position": "0"},
        ).status_code
        == 403
    )
    with scopes_disabled():
        assert not TaxRate.objects.filter(studio=studio).exists()


@pytest.mark.django_db
def test_operator_sets_the_platform_fee_in_the_admin(owner_client, studio):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()

    with scopes_disabled():
        settings = PaymentSettings.objects.create(studio=studio)
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("admin:payments_paymentsettings_change", args=[settings.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"application_fee_percent": "1.25", "application_fee_fixed": "15"})
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        settings.refresh_from_db()
    assert (settings.application_fee_percent, settings.application_fee_fixed) == (Decimal("1.250"), 15)
    assert "1.25%" in owner_client.get(_fees_url(studio)).content.decode()
    for name in (
        "payment",
        "refund",
        "creditentry",
        "escrowpayoutrequest",
        "taxrate",
        "connectedaccount",
        "stripeevent",
        "paymentsettings",
    ):
        assert client.get(reverse(f"admin:payments_{name}_changelist")).status_code == 200, name
