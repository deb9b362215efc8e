"""French that reads right (issue 10): dates, ordinals, rates, plurals, the kiosk's language, and
the language our pages hand to Stripe.js."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from studio.formats import date_format

TUESDAY_FIRST = dt.date(2026, 12, 1)
SUNDAY_SIXTH = dt.date(2026, 12, 6)


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("fmt", "day", "french", "english"),
    [
        ("l j F", TUESDAY_FIRST, "mardi 1er décembre", "Tuesday 1 December"),
        ("D j M", SUNDAY_SIXTH, "dim. 6 déc.", "Sun 6 Dec"),
        ("j M", SUNDAY_SIXTH, "6 déc.", "6 Dec"),
        ("j F Y", TUESDAY_FIRST, "1er décembre 2026", "1 December 2026"),
        ("DATE_FORMAT", TUESDAY_FIRST, "1er décembre 2026", "Dec. 1, 2026"),
        ("SHORT_DATE_FORMAT", TUESDAY_FIRST, "01/12/2026", "12/01/2026"),
        (r"l \l\e j", TUESDAY_FIRST, "mardi le 1er", "Tuesday le 1"),  # escaped characters stay literal
        ("jS F", dt.date(2026, 12, 2), "2 décembre", "2nd December"),
    ],
)
def test_every_date_filter_writes_french_typography(fmt, day, french, english):
    # The builtin `date` filter is ours: no template has to load anything.
    source = '{{ day|date:"' + fmt + '" }}'
    assert render(source, "fr", day=day) == french
    assert render(source, "en", day=day) == english


def test_months_and_weekdays_are_lower_case_even_when_a_catalogue_capitalises_them():
    # The project's catalogue translates the weekday choice "Tuesday" as "Mardi"; dates must not.
    with translation.override("fr"):
        assert str(translation.gettext("Tuesday")) in {"Mardi", "mardi"}
        assert date_format(TUESDAY_FIRST, "l") == "mardi"
        assert date_format(dt.date(2026, 7, 1), "M") == "juill."


def test_aware_datetimes_are_shown_in_the_active_zone():
    moment = dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC)  # 23:30 on 30 November in Toronto
    source = '{% load tz %}{% timezone "America/Toronto" %}{{ moment|date:"l j F H:i" }}{% endtimezone %}'
    assert render(source, "fr", moment=moment) == "lundi 30 novembre 23:30"


def test_day_ordinal_filter():
    assert render("{{ d|day_ordinal }} {{ e|day_ordinal }}", "fr", d=1, e=21) == "1er 21"
    assert render("{{ d|day_ordinal }}", "en", d=1) == "1"
    assert render("{{ d|day_ordinal }}", "fr", d="x") == ""


def test_rates_read_the_same_in_every_place():
    source = "{% load money %}{{ rate|percent }} {{ text|percent }}"
    assert render(source, "fr", rate=Decimal("9.975"), text="9.975") == "9,975\u00a0% 9,975\u00a0%"
    assert render(source, "en", rate=Decimal("5.000"), text="5") == "5% 5%"


def test_tax_rate_str_is_localised(studio):
    from payments.models import TaxRate

    with scopes_disabled():
        qst = TaxRate(studio=studio, name="TVQ", rate=Decimal("9.975"))
    with translation.override("fr"):
        assert str(qst) == "TVQ (9,975\u00a0%)"


def test_french_thousands_are_grouped_with_a_narrow_no_break_space():
    from django.utils.formats import number_format

    with translation.override("fr"):
        assert number_format(Decimal("1234567.5"), force_grouping=True) == "1\u202f234\u202f567,5"


@pytest.mark.parametrize(
    ("template_name", "words"),
    [
        ("studio/dashboard.html", "of %(total)s done"),
        ("scheduling/public/session.html", "booked of %(cap)s"),
    ],
)
def test_counts_are_plural_forms_not_parentheses(template_name, words):
    # "4 sur 8 terminé(s)": a count in a sentence is an ngettext (blocktranslate count), so
    # French can agree the participle with it.
    from django.template.loader import get_template
    from django.templatetags.i18n import BlockTranslateNode

    nodes = get_template(template_name).template.nodelist.get_nodes_by_type(BlockTranslateNode)
    counted = [node for node in nodes if words in node.render_token_list(node.singular)[0]]
    assert counted and all(node.countervar and node.plural for node in counted)


# --- kiosk ------------------------------------------------------------------------------------


@pytest.fixture
def kiosk_in_french(client, login, studio, staff_factory, location):
    """A front-desk member whose language is French opens the kiosk and leaves the tablet."""
    from studio.permissions import RoleKind

    clerk = staff_factory(RoleKind.FRONT_DESK)
    clerk.user.language = "fr"
    clerk.user.save(update_fields=["language"])
    web = login(clerk.user)
    response = web.post(reverse("kiosk-open", kwargs={"studio_slug": studio.slug}), {"location": location.pk})
    assert response.status_code == 302
    return web


def test_the_kiosk_keeps_the_language_it_was_opened_in(kiosk_in_french, studio):
    kiosk_url = reverse("kiosk", kwargs={"studio_slug": studio.slug})
    cookie = kiosk_in_french.cookies["atelier_kiosk_language"]
    assert cookie.value == "fr" and cookie["path"] == kiosk_url
    # Nobody is signed in any more and the browser asks for English: the kiosk stays French.
    home = kiosk_in_french.get(kiosk_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Plein écran" in home and 'lang="fr"' in home
    exit_page = kiosk_in_french.get(
        reverse("kiosk-exit", kwargs={"studio_slug": studio.slug})
    ).content.decode()
    assert "Plein écran" in exit_page


def test_the_kiosk_language_switch(kiosk_in_french, studio):
    kiosk_url = reverse("kiosk", kwargs={"studio_slug": studio.slug})
    switch = reverse("kiosk-language", kwargs={"studio_slug": studio.slug})
    home = kiosk_in_french.get(kiosk_url).content.decode()
    assert f'action="{switch}"' in home and 'value="en"' in home and "English" in home
    response = kiosk_in_french.post(switch, {"language": "en", "next": kiosk_url})
    assert response.status_code == 302 and response["Location"] == kiosk_url
    assert "Full screen" in kiosk_in_french.get(kiosk_url).content.decode()
    # Nowhere but the kiosk, and nothing but our languages.
    for target in ("https://evil.test/", f"/{studio.slug}/manage/", "//evil.test/x"):
        assert kiosk_in_french.post(switch, {"language": "fr", "next": target})["Location"] == kiosk_url
    kiosk_in_french.post(switch, {"language": "xx\x00"})
    assert kiosk_in_french.cookies["atelier_kiosk_language"].value == "fr"
    assert kiosk_in_french.get(switch).status_code == 405


def test_the_switch_needs_an_open_kiosk(client, studio):
    kiosk_url = reverse("kiosk", kwargs={"studio_slug": studio.slug})
    response = client.post(reverse("kiosk-language", kwargs={"studio_slug": studio.slug}), {"language": "fr"})
    assert response.status_code == 302 and response["Location"] == kiosk_url
    assert "atelier_kiosk_language" not in response.cookies


def test_closing_the_kiosk_forgets_its_language(kiosk_in_french, studio, staff_factory):
    from studio.permissions import RoleKind
    from tests.factories import PASSWORD

    closer = staff_factory(RoleKind.FRONT_DESK)
    response = kiosk_in_french.post(
        reverse("kiosk-exit", kwargs={"studio_slug": studio.slug}),
        {"email": closer.user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.cookies["atelier_kiosk_language"].value == ""


# --- the French catalogue ---------------------------------------------------------------------


def test_french_never_puts_de_or_que_before_a_name():
    # "auprès de Atelier", "de Outremont", "en tant que Administrateur": French elides before a
    # vowel ("d'Atelier"), which a sentence with a name filled in cannot know; the wording avoids it.
    import re
    from pathlib import Path

    from django.conf import settings

    catalogue = (Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()
    msgstrs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', catalogue, flags=re.M)
    texts = ["".join(re.findall(r'"(.*)"', block)) for block in msgstrs]
    hazard = re.compile(r"\b(de|que|le|la) %\((studio|location|who|role|email|name|client|account)\)s")
    assert [t for t in texts if hazard.search(t)] == []


def test_python_code_formats_dates_through_studio_formats():
    # Django's own `date_format` writes "1 décembre" and capitalised months in French; only
    # numeric formats (studio/inputs.py: SHORT_DATE_FORMAT) may call it directly.
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR)
    allowed = {root / "studio" / "formats" / "__init__.py", root / "studio" / "inputs.py"}
    pattern = re.compile(r"formats\.date_format\(|from django\.utils\.formats import [^\n]*\bdate_format\b")
    offenders = []
    for package in (
        "studio",
        "payments",
        "scheduling",
        "memberships",
        "pos",
        "payroll",
        "waivers",
        "checkout",
    ):
        for path in (root / package).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts or path in allowed:
                continue
            text = path.read_text()
            if pattern.search(text) and "from studio import formats" not in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
