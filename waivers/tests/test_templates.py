"""Waiver templates and versions (WAI-1, WAI-2): the services, the selectors, the standard texts."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from studio.models import AuditLog
from studio.services import SYSTEM, Actor
from tests.factories import ClientFactory, owner_of
from waivers.hashing import text_sha256
from waivers.models import Waiver, WaiverKind, WaiverSignature, WaiverVersion
from waivers.sanitize import waiver_html_clean
from waivers.selectors.templates import (
    ShownText,
    waiver_list,
    waiver_published_exists,
    waiver_settings_for,
    waiver_text_for,
)
from waivers.services.templates import (
    waiver_archive,
    waiver_create,
    waiver_draft_save,
    waiver_publish,
    waiver_settings_save,
)
from waivers.standard_texts import standard_text
from waivers.tests.factories import WaiverFactory, WaiverVersionFactory, published_waiver

pytestmark = pytest.mark.django_db


def save(studio, waiver, **texts):
    values = {"title_fr": "Titre", "title_en": "Title", "body_fr": "<p>Texte</p>", "body_en": "<p>Text</p>"}
    values.update(texts)
    with scope(studio=studio):
        return waiver_draft_save(studio=studio, actor=SYSTEM, waiver=waiver, **values)


def publish(studio, waiver, resign=False):
    with scope(studio=studio):
        return waiver_publish(studio=studio, actor=SYSTEM, waiver=waiver, resign_required=resign)


def versions_of(waiver):
    with scopes_disabled():
        return list(WaiverVersion.objects.filter(waiver=waiver).order_by("number"))


def sign(studio, waiver, version, language="fr"):
    """A signature row written directly (the signing service is another helper's)."""
    client = ClientFactory(studio=studio)
    with scopes_disabled():
        return WaiverSignature.objects.create(
            studio=studio,
            waiver=waiver,
            version=version,
            client=client,
            signer=client,
            signer_name=client.first_name,
            method="checkbox",
            language=language,
            text_sha256=text_sha256(getattr(version, f"body_{language}")),
            signed_at=timezone.now(),
            time_zone="America/Toronto",
        )


# --- standard texts ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", WaiverKind.values)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_kind_has_a_standard_text_of_150_to_300_words_in_safe_html(kind, language):
    title, body = standard_text(kind=kind, language=language)
    words = re.sub(r"<[^>]+>", " ", body).split()
    assert 150 <= len(words) <= 300, len(words)
    assert title
    assert waiver_html_clean(body) == body


def test_standard_texts_differ_by_kind_and_language_and_follow_french_typography():
    texts = {
        (k, lang): standard_text(kind=k, language=lang) for k in WaiverKind.values for lang in ("fr", "en")
    }
    assert len({body for _title, body in texts.values()}) == 8
    for kind in WaiverKind.values:
        french = texts[(kind, "fr")][1]
        # A non-breaking space before every colon.
        assert all(before.endswith("&nbsp;") for before in re.findall(r"(.{0,6}):", french))
        assert "'" not in french  # the typographic apostrophe
    assert "tuteur" in texts[("child", "fr")][1] and "guardian" in texts[("child", "en")][1]
    assert "photo" in texts[("custom", "en")][1]


def test_an_unknown_kind_has_no_standard_text():
    with pytest.raises(ValueError):
        standard_text(kind="nope", language="fr")


# --- create ------------------------------------------------------------------------------------


def test_create_makes_draft_v1_from_the_standard_texts_in_both_languages(studio, other_studio):
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="child", name="  Enfants  ")
    assert waiver.name == "Enfants" and waiver.current_version_id is None
    (v1,) = versions_of(waiver)
    assert v1.number == 1 and v1.published_at is None
    assert (v1.title_fr, v1.body_fr) == standard_text(kind="child", language="fr")
    assert (v1.title_en, v1.body_en) == standard_text(kind="child", language="en")
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action="waiver.created").count() == 1
        assert not Waiver.objects.filter(studio=other_studio).exists()


@pytest.mark.parametrize(
    "kind,name",
    [
        ("nope", "Name"),
        ("client", ""),
        ("client", "   "),
        ("client", "x" * 121),
        ("client", "x" * 300),
        ("client", "Zoé\u202eevil"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(studio, kind, name):
    with scope(studio=studio), pytest.raises(ValidationError):
        waiver_create(studio=studio, actor=SYSTEM, kind=kind, name=name)
    with scopes_disabled():
        assert not Waiver.objects.filter(studio=studio).exists()
        assert not WaiverVersion.objects.filter(studio=studio).exists()


def test_create_strips_nul_and_refuses_a_taken_name_but_another_studio_may_use_it(studio, other_studio):
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="client", name="Dé\x00charge")
        assert waiver.name == "Décharge"
        with pytest.raises(ValidationError) as refused:
            waiver_create(studio=studio, actor=SYSTEM, kind="membership", name="Décharge")
    assert "name" in refused.value.error_dict
    with scope(studio=other_studio):
        waiver_create(studio=other_studio, actor=SYSTEM, kind="client", name="Décharge")


# --- drafts and versions -----------------------------------------------------------------------


def test_saving_a_draft_edits_it_in_place_and_sanitises(studio):
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="client", name="W")
    version = save(
        studio,
        waiver,
        title_fr="Titre\x00 ",
        body_fr='<p onclick="x()">Bonjour<script>alert(1)</script></p><img src=x onerror=alert(1)>',
        body_en='<a href="javascript:alert(1)">link</a>',
    )
    assert version.number == 1 and len(versions_of(waiver)) == 1
    version.refresh_from_db()
    assert version.title_fr == "Titre"
    assert version.body_fr == "<p>Bonjour</p>"
    assert version.body_en == '<a rel="noopener noreferrer">link</a>'


def test_saving_a_sanitised_text_twice_is_stable(studio):
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="client", name="W")
    first = save(studio, waiver, body_fr="<h1>T</h1><div>un <b>deux</b><br>trois &amp; « quatre »</div>")
    stored = first.body_fr
    with scopes_disabled():
        entries = AuditLog.objects.filter(studio=studio).count()
    again = save(studio, waiver, body_fr=stored)
    again.refresh_from_db()
    assert again.pk == first.pk and again.body_fr == stored
    assert text_sha256(again.body_fr) == text_sha256(stored)
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio).count() == entries  # nothing changed, nothing logged


def test_french_spacing_is_put_back_where_the_editor_dropped_it(studio):
    """Trix turns non-breaking spaces into plain ones: the French body gets them back on save, so
    a standard text saved unchanged from the editor is the same string (no version for nothing)."""
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="custom", name="W")
    v1 = versions_of(waiver)[0]
    publish(studio, waiver)
    as_trix_sends_it = v1.body_fr.replace("&nbsp;", " ")
    same = save(
        studio,
        waiver,
        title_fr=v1.title_fr,
        title_en=v1.title_en,
        body_fr=as_trix_sends_it,
        body_en=v1.body_en,
    )
    assert same.pk == v1.pk and len(versions_of(waiver)) == 1
    typed = save(
        studio, waiver, body_fr="<div>Règle : « calme » ici.</div>", body_en="<div>Rule: quiet.</div>"
    )
    typed.refresh_from_db()
    assert typed.body_fr == "<div>Règle&nbsp;: «&nbsp;calme&nbsp;» ici.</div>"
    assert typed.body_en == "<div>Rule: quiet.</div>"


def test_both_bodies_empty_is_refused_even_after_sanitising(studio):
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="client", name="W")
    before = versions_of(waiver)[0].body_fr
    for fr, en in [("", ""), ("<div><br></div>", " "), ("<script>x</script>", "<img src=x>")]:
        with pytest.raises(ValidationError):
            save(studio, waiver, body_fr=fr, body_en=en)
    assert versions_of(waiver)[0].body_fr == before


def test_one_language_may_be_empty_and_the_signer_then_sees_the_other(studio):
    waiver = published_waiver(studio, body_fr="<p>Seulement en français.</p>", body_en="")
    version = waiver.current_version
    assert waiver_text_for(version=version, language="en") == ShownText(
        language="fr", title="Décharge de responsabilité", body_html="<p>Seulement en français.</p>"
    )
    assert waiver_text_for(version=version, language="fr").body_html == "<p>Seulement en français.</p>"


def test_waiver_text_for_picks_the_signers_language(studio):
    waiver = published_waiver(
        studio, title_fr="Titre", title_en="Title", body_fr="<p>FR</p>", body_en="<p>EN</p>"
    )
    version = waiver.current_version
    assert waiver_text_for(version=version, language="en") == ShownText("en", "Title", "<p>EN</p>")
    assert waiver_text_for(version=version, language="fr") == ShownText("fr", "Titre", "<p>FR</p>")
    assert waiver_text_for(version=version, language="fr-ca").language == "fr"
    assert waiver_text_for(version=version, language="en-US").language == "en"
    assert waiver_text_for(version=version, language="de").language == "fr"  # the studio's default
    assert waiver_text_for(version=version, language=None).language == "fr"


def test_waiver_text_for_falls_back_for_the_title_too(studio):
    waiver = published_waiver(studio, name="Named", title_fr="", title_en="", body_fr="<p>FR</p>", body_en="")
    shown = waiver_text_for(version=waiver.current_version, language="en")
    assert shown.title == "Named" and shown.language == "fr"


def test_editing_a_published_waiver_opens_draft_2_and_keeps_version_1_readable(studio):
    waiver = published_waiver(studio, body_fr="<p>V1 fr</p>", body_en="<p>V1 en</p>")
    v1 = waiver.current_version
    v2 = save(studio, waiver, body_fr="<p>V2 fr</p>", body_en="<p>V2 en</p>")
    assert v2.number == 2 and v2.published_at is None
    v1.refresh_from_db()
    assert (v1.body_fr, v1.body_en) == ("<p>V1 fr</p>", "<p>V1 en</p>")
    waiver.refresh_from_db()
    assert waiver.current_version_id == v1.pk  # clients still sign v1 until v2 is published
    # A second save edits draft 2 in place.
    again = save(studio, waiver, body_fr="<p>V2 fr bis</p>", body_en="<p>V2 en</p>")
    assert again.pk == v2.pk and len(versions_of(waiver)) == 2


def test_saving_the_published_text_unchanged_opens_no_draft(studio):
    waiver = published_waiver(studio, title_fr="T", title_en="T", body_fr="<p>A</p>", body_en="<p>B</p>")
    same = save(studio, waiver, title_fr="T", title_en="T", body_fr="<p>A</p>", body_en="<p>B</p>")
    assert same.pk == waiver.current_version_id and len(versions_of(waiver)) == 1


def test_publishing_with_and_without_the_resign_flag(studio):
    waiver = published_waiver(studio, resign_required=True)
    v1 = waiver.current_version
    assert v1.resign_required is False  # nobody signed before version 1
    save(studio, waiver, body_fr="<p>Coquille corrigée</p>")
    v2 = publish(studio, waiver, resign=False)
    save(studio, waiver, body_fr="<p>Nouveau risque</p>")
    v3 = publish(studio, waiver, resign=True)
    waiver.refresh_from_db()
    assert [v.number for v in versions_of(waiver)] == [1, 2, 3]
    assert (v2.resign_required, v3.resign_required) == (False, True)
    assert waiver.current_version_id == v3.pk and v3.published_at is not None
    with scopes_disabled():
        published = AuditLog.objects.filter(studio=studio, action="waiver.published").order_by("id")
        assert [e.changes for e in published][-2:] == [
            {"version": 2, "resign_required": False},
            {"version": 3, "resign_required": True},
        ]


def test_a_signature_keeps_pointing_at_its_version_after_edits(studio):
    waiver = published_waiver(studio, body_fr="<p>V1</p>")
    signature = sign(studio, waiver, waiver.current_version)
    save(studio, waiver, body_fr="<p>V2</p>")
    publish(studio, waiver, resign=True)
    with scopes_disabled():
        signature = WaiverSignature.objects.select_related("version").get(pk=signature.pk)
    assert signature.version.number == 1 and signature.version.body_fr == "<p>V1</p>"
    assert signature.text_sha256 == text_sha256(signature.version.body_fr)


def test_publishing_with_nothing_to_publish_is_refused(studio):
    waiver = published_waiver(studio)
    with pytest.raises(ValidationError):
        publish(studio, waiver)
    bare = WaiverFactory(studio=studio)
    with pytest.raises(ValidationError):
        publish(studio, bare)


def test_a_published_version_is_frozen_in_the_database(studio):
    waiver = published_waiver(studio)
    with scopes_disabled(), pytest.raises(DatabaseError), transaction.atomic():
        WaiverVersion.objects.filter(pk=waiver.current_version_id).update(body_fr="<p>changed</p>")


def test_an_archived_waiver_cannot_be_edited_or_published_and_is_restored(studio):
    waiver = published_waiver(studio)
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)
    assert waiver.archived_at is not None
    with pytest.raises(ValidationError):
        save(studio, waiver, body_fr="<p>new</p>")
    assert len(versions_of(waiver)) == 1
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)  # again: nothing new
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver, archived=False)
    assert waiver.archived_at is None
    with scopes_disabled():
        actions = list(
            AuditLog.objects.filter(studio=studio, object_type="waiver", object_id=str(waiver.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert actions[-2:] == ["waiver.archived", "waiver.restored"]
    assert save(studio, waiver, body_fr="<p>new</p>").number == 2


def test_every_write_is_audited_with_the_actor(studio):
    user = owner_of(studio).user
    actor = Actor(user=user, ip_address="192.0.2.1")
    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=actor, kind="custom", name="Photos")
        waiver_draft_save(
            studio=studio,
            actor=actor,
            waiver=waiver,
            title_fr="T",
            title_en="T",
            body_fr="<p>x</p>",
            body_en="",
            name="Photos et vidéos",
        )
        waiver_publish(studio=studio, actor=actor, waiver=waiver, resign_required=False)
        waiver_archive(studio=studio, actor=actor, waiver=waiver)
        waiver_settings_save(studio=studio, actor=actor, link_valid_days=14)
    with scopes_disabled():
        entries = list(AuditLog.objects.filter(studio=studio, action__startswith="waiver.").order_by("id"))
    assert [e.action for e in entries] == [
        "waiver.created",
        "waiver.renamed",
        "waiver.draft_saved",
        "waiver.published",
        "waiver.archived",
        "waiver.settings_updated",
    ]
    assert all(e.actor_id == user.pk for e in entries)
    from studio.registries import audit

    for entry in entries:
        assert entry.action in audit.ACTIONS
        for key in entry.changes:
            assert key in audit.FIELDS or key in {"kind", "name"}, key


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_at_once_make_one_draft(studio):
    """The waiver's row lock: two concurrent saves on a published waiver open one draft."""
    waiver = published_waiver(studio)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def editor(text):
        try:
            barrier.wait()
            save(studio, waiver, body_fr=f"<p>{text}</p>")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=editor, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = [v.number for v in versions_of(waiver)]
    assert numbers == [1, 2]


# --- selectors ---------------------------------------------------------------------------------


def test_waiver_list_statuses_and_signature_counts(studio, other_studio):
    draft_only = WaiverFactory(studio=studio, name="A draft")
    WaiverVersionFactory(waiver=draft_only, number=1)
    published = published_waiver(studio, name="B published")
    pending = published_waiver(studio, name="C pending")
    save(studio, pending, body_fr="<p>v2</p>")
    archived = published_waiver(studio, name="D archived")
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=archived)
    sign(studio, published, published.current_version)
    sign(studio, published, published.current_version)
    sign(studio, pending, pending.current_version)
    published_waiver(other_studio, name="Elsewhere")
    with scope(studio=studio):
        rows = {r.waiver.name: r for r in waiver_list(studio=studio)}
        all_rows = {r.waiver.name: r for r in waiver_list(studio=studio, include_archived=True)}
    assert set(rows) == {"A draft", "B published", "C pending"}
    assert set(all_rows) == set(rows) | {"D archived"}
    assert rows["A draft"].status == "draft" and rows["A draft"].current_number is None
    assert rows["B published"].status == "published" and rows["B published"].current_number == 1
    assert rows["C pending"].status == "draft_pending" and rows["C pending"].latest_number == 2
    assert all_rows["D archived"].status == "archived"
    assert (rows["B published"].signature_count, rows["C pending"].signature_count) == (2, 1)
    assert rows["A draft"].signature_count == 0


def _many_waivers(studio, n):
    """n published waivers, each with a pending draft and a signature, in a few bulk inserts."""
    client = ClientFactory(studio=studio)
    now = timezone.now()
    with scopes_disabled():
        start = Waiver.objects.filter(studio=studio).count()
        waivers = Waiver.objects.bulk_create(
            [Waiver(studio=studio, kind="client", name=f"Bulk {start + i}") for i in range(n)]
        )
        v1s = WaiverVersion.objects.bulk_create(
            [
                WaiverVersion(studio=studio, waiver=w, number=1, body_fr="<p>a</p>", published_at=now)
                for w in waivers
            ]
        )
        WaiverVersion.objects.bulk_create(
            [WaiverVersion(studio=studio, waiver=w, number=2, body_fr="<p>b</p>") for w in waivers]
        )
        for w, v in zip(waivers, v1s, strict=True):
            w.current_version = v
        Waiver.objects.bulk_update(waivers, ["current_version"])
        WaiverSignature.objects.bulk_create(
            [
                WaiverSignature(
                    studio=studio,
                    waiver=w,
                    version=v,
                    client=client,
                    signer=client,
                    signer_name="x",
                    method="checkbox",
                    language="fr",
                    text_sha256=text_sha256(v.body_fr),
                    signed_at=now,
                    time_zone="UTC",
                )
                for w, v in zip(waivers, v1s, strict=True)
            ]
        )


def test_waiver_list_reads_in_one_query_at_1_and_200_waivers(studio):
    _many_waivers(studio, 1)
    with scope(studio=studio), CaptureQueriesContext(connection) as one:
        rows = waiver_list(studio=studio)
        [(r.status, r.current_number, r.signature_count) for r in rows]
    _many_waivers(studio, 199)
    with scope(studio=studio), CaptureQueriesContext(connection) as many:
        rows = waiver_list(studio=studio)
        [(r.status, r.current_number, r.signature_count) for r in rows]
    assert len(rows) == 200 and all(r.status == "draft_pending" and r.signature_count == 1 for r in rows)
    assert len(one) == len(many) == 1


def test_settings_are_created_on_first_read_and_bounded(studio, other_studio):
    with scope(studio=studio):
        assert waiver_settings_for(studio=studio).link_valid_days == 7
        assert waiver_settings_for(studio=studio).pk == waiver_settings_for(studio=studio).pk
        for bad in (0, 91, -1, True, "7", None):
            with pytest.raises(ValidationError):
                waiver_settings_save(studio=studio, actor=SYSTEM, link_valid_days=bad)
        waiver_settings_save(studio=studio, actor=SYSTEM, link_valid_days=90)
        assert waiver_settings_for(studio=studio).link_valid_days == 90
    with scope(studio=other_studio):
        assert waiver_settings_for(studio=other_studio).link_valid_days == 7


def test_checklist_step_is_done_once_a_published_waiver_is_not_archived(studio):
    from studio.checklist import CHECKS

    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="client", name="W")
        assert not waiver_published_exists(studio=studio) and not CHECKS["waivers"](studio)
    publish(studio, waiver)
    with scope(studio=studio):
        assert CHECKS["waivers"](studio)
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)
        assert not CHECKS["waivers"](studio)
