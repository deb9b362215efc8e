"""The staff pages of waiver templates and versions (WAI-1, WAI-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from studio.models import AuditLog
from studio.permissions import RoleKind
from tests.factories import owner_of
from waivers.models import Waiver, WaiverSettings, WaiverVersion
from waivers.standard_texts import standard_text
from waivers.tests.factories import WaiverFactory, WaiverVersionFactory, published_waiver
from waivers.tests.test_templates import _many_waivers, save

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def edit_post(**overrides):
    data = {
        "name": "Client waiver",
        "title_fr": "Décharge",
        "title_en": "Waiver",
        "body_fr": "<p>Texte</p>",
        "body_en": "<p>Text</p>",
    }
    data.update(overrides)
    return data


def waivers_of(studio):
    with scopes_disabled():
        return list(Waiver.objects.filter(studio=studio).order_by("id"))


def versions_of(waiver):
    with scopes_disabled():
        return list(WaiverVersion.objects.filter(waiver=waiver).order_by("number"))


def counts(studio):
    with scopes_disabled():
        return (
            Waiver.objects.filter(studio=studio).count(),
            WaiverVersion.objects.filter(studio=studio).count(),
            AuditLog.objects.filter(studio=studio).count(),
        )


# --- list and navigation -----------------------------------------------------------------------


def test_list_shows_each_status_and_the_new_waiver_link(owner_client, studio, other_studio):
    draft = WaiverFactory(studio=studio, name="Only a draft")
    WaiverVersionFactory(waiver=draft, number=1)
    published_waiver(studio, name="Live one")
    pending = published_waiver(studio, name="Being revised")
    save(studio, pending, body_fr="<p>v2</p>")
    published_waiver(other_studio, name="Bravo secret waiver")
    with translation.override("en"):
        page = owner_client.get(url(studio, "waiver-list")).content.decode()
    assert "New waiver" in page and url(studio, "waiver-create") in page
    assert "Only a draft" in page and "Draft" in page
    assert "Published, version 1" in page
    assert "Draft pending" in page
    assert "Bravo secret waiver" not in page
    # The back office menu has the entry.
    assert f'href="{url(studio, "waiver-list")}"' in page and ">Waivers<" in page


def test_archived_waivers_show_only_with_the_archived_tab(owner_client, studio):
    archived = published_waiver(studio, name="Old waiver")
    owner_client.post(url(studio, "waiver-archive", pk=archived.pk), {"confirmed": "1"})
    with translation.override("en"):
        assert "Old waiver" not in owner_client.get(url(studio, "waiver-list")).content.decode()
        page = owner_client.get(url(studio, "waiver-list") + "?archived=1").content.decode()
    assert "Old waiver" in page and "Archived" in page


def test_list_page_has_the_same_query_count_at_1_and_200_waivers(owner_client, studio):
    _many_waivers(studio, 1)
    owner_client.get(url(studio, "waiver-list"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert owner_client.get(url(studio, "waiver-list")).status_code == 200
    _many_waivers(studio, 199)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url(studio, "waiver-list"))
    assert response.content.decode().count("data-waiver=") == 200
    assert len(one) == len(many), [q["sql"] for q in many.captured_queries]


def test_a_role_without_manage_waivers_is_refused(login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    client = login(teacher.user)
    assert client.get(url(studio, "waiver-list")).status_code == 403
    assert client.post(url(studio, "waiver-create"), {"kind": "client", "name": "X"}).status_code == 403
    assert waivers_of(studio) == []


def test_managers_hold_manage_waivers(login, studio, staff_factory):
    manager = staff_factory(RoleKind.MANAGER)
    assert login(manager.user).get(url(studio, "waiver-list")).status_code == 200


# --- create ------------------------------------------------------------------------------------


def test_create_makes_a_draft_prefilled_with_the_standard_text(owner_client, studio):
    with translation.override("en"):
        page = owner_client.get(url(studio, "waiver-create")).content.decode()
    for label in ("Membership waiver", "Client waiver", "Child waiver", "Custom waiver"):
        assert label in page
    response = owner_client.post(url(studio, "waiver-create"), {"kind": "child", "name": "Kids"})
    (waiver,) = waivers_of(studio)
    assert response.status_code == 302 and response["Location"] == url(studio, "waiver-edit", pk=waiver.pk)
    assert waiver.kind == "child" and waiver.name == "Kids"
    edit = owner_client.get(response["Location"]).content.decode()
    title_en, _body_en = standard_text(kind="child", language="en")
    assert title_en in edit
    assert "parent or legal guardian" in edit  # the body, escaped inside its textarea
    assert standard_text(kind="child", language="fr")[0] in edit


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "client", "name": "x" * 300},
        {"kind": "client", "name": ""},
        {"kind": "nope", "name": "Fine"},
        {"kind": "²", "name": "Fine"},
        {"kind": "client", "name": "Zoé\u202eevil"},
        {"kind": "client", "name": "Zoé\u2066evil"},
    ],
)
def test_create_refuses_hostile_input_cleanly_and_saves_nothing(owner_client, studio, data):
    before = counts(studio)
    response = owner_client.post(url(studio, "waiver-create"), data)
    assert response.status_code == 200 and b"errorlist" in response.content
    assert counts(studio) == before


def test_nul_anywhere_is_a_clean_400_and_saves_nothing(owner_client, studio):
    waiver = published_waiver(studio)
    before = counts(studio)
    assert (
        owner_client.post(url(studio, "waiver-create"), {"kind": "client", "name": "a\x00b"}).status_code
        == 400
    )
    response = owner_client.post(url(studio, "waiver-edit", pk=waiver.pk), edit_post(body_fr="<p>a\x00b</p>"))
    assert response.status_code == 400
    assert counts(studio) == before


def test_a_taken_name_is_refused_beside_the_field(owner_client, studio):
    published_waiver(studio, name="Taken")
    before = counts(studio)
    with translation.override("en"):
        response = owner_client.post(url(studio, "waiver-create"), {"kind": "client", "name": "Taken"})
    assert "Another waiver already has this name." in response.content.decode()
    assert counts(studio) == before


# --- edit --------------------------------------------------------------------------------------


def test_edit_page_uses_trix_and_still_works_as_plain_textareas(owner_client, studio):
    waiver = published_waiver(studio)
    page = owner_client.get(url(studio, "waiver-edit", pk=waiver.pk)).content.decode()
    assert "/static/vendor/trix/trix.umd.min.js" in page
    assert "/static/vendor/trix/trix.css" in page
    assert "/static/waivers/editor.js" in page
    # The form posts real textareas (Trix only upgrades them), each with a bound.
    for name in ("body_fr", "body_en"):
        assert f'<textarea name="{name}"' in page
    assert page.count('maxlength="50000"') == 2
    assert 'data-trix-button-group="file-tools"' in page  # the attach button is hidden


def test_editor_script_blocks_attachments():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[1] / "static" / "waivers" / "editor.js").read_text()
    assert "trix-file-accept" in script and "preventDefault" in script


def test_saving_sanitises_and_editing_a_published_waiver_opens_a_new_draft(owner_client, studio):
    waiver = published_waiver(studio, name="Client waiver", body_fr="<p>V1</p>", body_en="<p>V1 en</p>")
    response = owner_client.post(
        url(studio, "waiver-edit", pk=waiver.pk),
        edit_post(
            body_fr='<p onclick="steal()">V2<script>alert(1)</script></p><img src=x onerror=alert(1)>',
            body_en='<a href="javascript:alert(1)">x</a><svg onload=alert(1)>',
        ),
    )
    assert response.status_code == 302
    v1, v2 = versions_of(waiver)
    assert (v1.body_fr, v1.published_at is not None) == ("<p>V1</p>", True)
    assert v2.number == 2 and v2.published_at is None
    assert v2.body_fr == "<p>V2</p>"
    assert v2.body_en == '<a rel="noopener noreferrer">x</a>'
    for page_url in (
        url(studio, "waiver-edit", pk=waiver.pk),
        url(studio, "waiver-version", pk=waiver.pk, number=2),
    ):
        page = owner_client.get(page_url).content.decode()
        assert "<script>alert" not in page and "onerror=" not in page and "javascript:" not in page
    # The old text stays readable.
    old = owner_client.get(url(studio, "waiver-version", pk=waiver.pk, number=1)).content.decode()
    assert "<p>V1</p>" in old and "<p>V1 en</p>" in old


def test_a_tampered_row_is_still_sanitised_on_the_version_page(owner_client, studio):
    waiver = WaiverFactory(studio=studio)
    WaiverVersionFactory(waiver=waiver, number=1, body_fr="<p>ok</p><script>alert('raw')</script>")
    page = owner_client.get(url(studio, "waiver-version", pk=waiver.pk, number=1)).content.decode()
    assert "alert('raw')" not in page and "<p>ok</p>" in page


def test_edit_refuses_empty_bodies_long_titles_and_direction_controls(owner_client, studio):
    waiver = published_waiver(studio)
    before = counts(studio)
    for data in (
        edit_post(body_fr="", body_en=""),
        edit_post(body_fr="<div><br></div>", body_en="<script>x</script>"),
        edit_post(title_fr="x" * 300),
        edit_post(name="x" * 300),
        edit_post(title_en="Title\u202e"),
        edit_post(name="Na\u202eme"),
        edit_post(body_fr="x" * 60_000),
    ):
        response = owner_client.post(url(studio, "waiver-edit", pk=waiver.pk), data)
        assert response.status_code == 200 and b"errorlist" in response.content, data
    assert counts(studio) == before


def test_renaming_and_saving_are_one_save(owner_client, studio):
    waiver = published_waiver(studio, name="First")
    published_waiver(studio, name="Second")
    before = counts(studio)
    response = owner_client.post(
        url(studio, "waiver-edit", pk=waiver.pk), edit_post(name="Second", body_fr="<p>n</p>")
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    assert counts(studio) == before  # neither the text nor the name
    owner_client.post(url(studio, "waiver-edit", pk=waiver.pk), edit_post(name="Renamed", body_fr="<p>n</p>"))
    waiver.refresh_from_db()
    assert waiver.name == "Renamed" and len(versions_of(waiver)) == 2


# --- publish -----------------------------------------------------------------------------------


def test_publish_asks_first_then_publishes_without_resign_by_default(owner_client, studio):
    waiver = published_waiver(studio)
    save(studio, waiver, body_fr="<p>v2</p>")
    with translation.override("en"):
        question = owner_client.post(url(studio, "waiver-publish", pk=waiver.pk), {})
    page = question.content.decode()
    assert question.status_code == 200
    assert "Ask everyone who signed an earlier version to sign again?" in page
    assert 'name="resign_required"' in page and "checked" not in page.split('name="resign_required"')[1][:40]
    assert 'name="confirmed" value="1"' in page
    assert versions_of(waiver)[1].published_at is None  # nothing published by the question
    response = owner_client.post(url(studio, "waiver-publish", pk=waiver.pk), {"confirmed": "1"})
    assert response.status_code == 302
    v2 = versions_of(waiver)[1]
    waiver.refresh_from_db()
    assert v2.published_at is not None and v2.resign_required is False
    assert waiver.current_version_id == v2.pk


def test_publish_with_resign_asked(owner_client, studio):
    waiver = published_waiver(studio)
    save(studio, waiver, body_fr="<p>v2</p>")
    owner_client.post(
        url(studio, "waiver-publish", pk=waiver.pk), {"confirmed": "1", "resign_required": "on"}
    )
    assert versions_of(waiver)[1].resign_required is True


def test_publish_of_version_1_does_not_ask_about_earlier_signers(owner_client, studio):
    owner_client.post(url(studio, "waiver-create"), {"kind": "client", "name": "New"})
    (waiver,) = waivers_of(studio)
    with translation.override("en"):
        page = owner_client.get(url(studio, "waiver-publish", pk=waiver.pk)).content.decode()
    assert "first version" in page and 'name="resign_required"' not in page
    owner_client.post(
        url(studio, "waiver-publish", pk=waiver.pk), {"confirmed": "1", "resign_required": "on"}
    )
    (v1,) = versions_of(waiver)
    assert v1.published_at is not None and v1.resign_required is False


def test_publish_with_nothing_to_publish_says_so_and_changes_nothing(owner_client, studio):
    waiver = published_waiver(studio)
    before = counts(studio)
    with translation.override("en"):
        response = owner_client.post(url(studio, "waiver-publish", pk=waiver.pk), {"confirmed": "1"})
    assert response.status_code == 200
    assert "There is no draft to publish" in response.content.decode()
    assert counts(studio) == before


# --- version, archive, settings ----------------------------------------------------------------


def test_version_page_shows_both_languages_and_the_publication_date_in_french(client, login, studio):
    owner = login(owner_of(studio).user)
    waiver = WaiverFactory(studio=studio, name="Décharge")
    when = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)
    WaiverVersionFactory(
        waiver=waiver,
        number=1,
        title_fr="Titre français",
        title_en="English title",
        body_fr="<p>Corps français</p>",
        body_en="",
        published_at=when,
    )
    owner.cookies["django_language"] = "fr"
    with translation.override("fr"):
        page = owner.get(url(studio, "waiver-version", pk=waiver.pk, number=1), HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Titre français" in html and "<p>Corps français</p>" in html
    assert "1er mars 2026" in html  # French date, lower-case month
    assert '<html lang="fr"' in html


def test_unknown_version_is_404(owner_client, studio):
    waiver = published_waiver(studio)
    assert owner_client.get(url(studio, "waiver-version", pk=waiver.pk, number=2)).status_code == 404
    assert owner_client.get(url(studio, "waiver-version", pk=waiver.pk, number=0)).status_code == 404


def test_archive_asks_first_then_archives_and_restores(owner_client, studio):
    waiver = published_waiver(studio)
    assert owner_client.get(url(studio, "waiver-archive", pk=waiver.pk)).status_code == 405
    with translation.override("en"):
        question = owner_client.post(url(studio, "waiver-archive", pk=waiver.pk), {})
    assert "Archive this waiver?" in question.content.decode()
    waiver.refresh_from_db()
    assert waiver.archived_at is None
    owner_client.post(url(studio, "waiver-archive", pk=waiver.pk), {"confirmed": "1"})
    waiver.refresh_from_db()
    assert waiver.archived_at is not None
    # Archived: the edit page saves nothing.
    before = counts(studio)
    owner_client.post(url(studio, "waiver-edit", pk=waiver.pk), edit_post(body_fr="<p>new</p>"))
    assert counts(studio) == before
    owner_client.post(url(studio, "waiver-archive", pk=waiver.pk), {"confirmed": "1", "restore": "1"})
    waiver.refresh_from_db()
    assert waiver.archived_at is None


def test_settings_page_saves_the_link_validity_and_refuses_bad_values(owner_client, studio):
    assert owner_client.get(url(studio, "waiver-settings")).status_code == 200
    assert owner_client.post(url(studio, "waiver-settings"), {"link_valid_days": "14"}).status_code == 302
    with scopes_disabled():
        assert WaiverSettings.objects.get(studio=studio).link_valid_days == 14
    before = counts(studio)
    for bad in ("0", "91", "-1", "²", "٣", "abc", "", "99999999999999999999", "7.5"):
        response = owner_client.post(url(studio, "waiver-settings"), {"link_valid_days": bad})
        assert response.status_code == 200 and b"errorlist" in response.content, bad
    assert counts(studio) == before
    with scopes_disabled():
        assert WaiverSettings.objects.get(studio=studio).link_valid_days == 14


def test_another_studios_waiver_answers_404(owner_client, studio, other_studio):
    theirs = published_waiver(other_studio)
    save(other_studio, theirs, body_fr="<p>v2</p>")
    for name, kwargs in (
        ("waiver-edit", {"pk": theirs.pk}),
        ("waiver-publish", {"pk": theirs.pk}),
        ("waiver-archive", {"pk": theirs.pk}),
        ("waiver-version", {"pk": theirs.pk, "number": 1}),
    ):
        assert owner_client.get(url(studio, name, **kwargs)).status_code == 404, name
        assert owner_client.post(url(studio, name, **kwargs), {"confirmed": "1"}).status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.archived_at is None and versions_of(theirs)[1].published_at is None
