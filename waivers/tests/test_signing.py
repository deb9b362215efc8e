"""The signing service (WAI-3, CORE-4): what a signature records, who may sign, exactly once."""

from __future__ import annotations

import base64
import struct
import threading
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scope, scopes_disabled

from studio.models import AuditLog
from studio.services import SYSTEM
from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.hashing import text_sha256
from waivers.models import WaiverSignature
from waivers.selectors.templates import waiver_text_for
from waivers.services import signing
from waivers.services.signing import signature_png_from_data_url, waiver_sign
from waivers.services.templates import waiver_archive, waiver_draft_save, waiver_publish
from waivers.tests.factories import WaiverFactory, published_waiver, wsign_data_url, wsign_png

pytestmark = pytest.mark.django_db


def _sign(studio, waiver, client, *, signer=None, method="drawn", png=None, name=None, **extra):
    signer = signer or client
    if png is None and method in ("drawn", "link_drawn"):
        png = wsign_png()
    with scope(studio=studio):
        return waiver_sign(
            studio=studio,
            waiver=waiver,
            client=client,
            signer=signer,
            method=method,
            signer_name=signer.full_name if name is None else name,
            language=extra.pop("language", "en"),
            signature_png=png,
            ip_address=extra.pop("ip_address", "203.0.113.5"),
            user_agent=extra.pop("user_agent", "Mozilla/5.0 (iPad)"),
            **extra,
        )


def _code(excinfo) -> str:
    return excinfo.value.error_list[0].code


# --- the drawn signature --------------------------------------------------------------------


def test_a_pad_data_url_gives_back_its_png():
    png = wsign_png()
    assert signature_png_from_data_url(wsign_data_url(png), strokes=3) == png


@pytest.mark.parametrize(
    "data_url,strokes,code",
    [
        ("", 1, "empty"),
        ("data:image/jpeg;base64,/9j/4AAQ", 1, "empty"),
        ("data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", 1, "empty"),
        ("data:image/png;base64,not base64!!", 1, "invalid"),
        ("data:image/png;base64," + base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), 1, "invalid"),
        (None, 1, "empty"),
    ],
)
def test_anything_but_a_png_data_url_is_refused(data_url, strokes, code):
    with pytest.raises(ValidationError) as excinfo:
        signature_png_from_data_url(data_url, strokes=strokes)
    assert _code(excinfo) == code


def test_an_empty_pad_is_refused_by_its_stroke_count_and_by_its_pixels():
    with pytest.raises(ValidationError) as excinfo:
        signature_png_from_data_url(wsign_data_url(), strokes=0)
    assert _code(excinfo) == "empty"
    with pytest.raises(ValidationError) as excinfo:  # strokes claimed, but not one visible pixel
        signature_png_from_data_url(wsign_data_url(wsign_png(ink=False)), strokes=2)
    assert _code(excinfo) == "empty"


def test_9999_strokes_are_refused():
    with pytest.raises(ValidationError) as excinfo:
        signature_png_from_data_url(wsign_data_url(), strokes=9999)
    assert _code(excinfo) == "invalid"


def test_a_huge_data_url_is_refused_before_decoding():
    huge = "data:image/png;base64," + "A" * (signing.MAX_DATA_URL_LENGTH + 10)
    with pytest.raises(ValidationError) as excinfo:
        signature_png_from_data_url(huge, strokes=1)
    assert _code(excinfo) == "too_large"
    # Just under the URL limit but the decoded bytes over 300 KB cannot happen; a PNG over it can:
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (signing.MAX_PNG_BYTES + 1)
    with pytest.raises(ValidationError):
        signature_png_from_data_url(wsign_data_url(big), strokes=1)


def _png_with_header(width: int, height: int, *, depth=8, colour=6, body: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = zlib.compress(body if body is not None else b"\0" * 10)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "png",
    [
        _png_with_header(0, 10),
        _png_with_header(100_000, 10),
        _png_with_header(4000, 4000),  # each side allowed, the area is not
        _png_with_header(10, 10, depth=16),
        _png_with_header(10, 10, colour=3),
        # a compressed bomb: the header says 10×10, the data inflates far past it
        _png_with_header(10, 10, body=b"\xff" * 5_000_000),
        b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
    ],
)
def test_a_png_with_an_insane_header_or_body_is_refused(png):
    with pytest.raises(ValidationError) as excinfo:
        signature_png_from_data_url(wsign_data_url(png), strokes=1)
    assert _code(excinfo) == "invalid"


# --- what a signature records ---------------------------------------------------------------


def test_a_signature_records_the_current_version_its_exact_text_and_the_facts(studio, other_studio):
    studio.time_zone = "America/Vancouver"
    studio.save(update_fields=["time_zone"])
    waiver = published_waiver(studio, body_fr="<p>Je participe.</p>", body_en="<p>I take part.</p>")
    client = ClientFactory(studio=studio, first_name="Ana", last_name="Roy")
    signature = _sign(
        studio, waiver, client, language="fr", ip_address="not an ip", user_agent="UA\x00x" * 200
    )
    shown = waiver_text_for(version=waiver.current_version, language="fr")
    assert signature.version_id == waiver.current_version_id
    assert signature.language == "fr"
    assert signature.text_sha256 == text_sha256(shown.body_html) == text_sha256("<p>Je participe.</p>")
    assert signature.time_zone == "America/Vancouver"
    assert signature.signer_name == "Ana Roy" and signature.method == "drawn"
    assert bytes(signature.signature_png).startswith(b"\x89PNG")
    assert signature.ip_address is None  # a malformed address is not stored
    assert len(signature.user_agent) <= 400 and "\x00" not in signature.user_agent
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="waiver.signed")
        assert entry.changes["version_number"] == 1 and entry.changes["sign_method"] == "drawn"
        assert not AuditLog.objects.filter(studio=other_studio, action="waiver.signed").exists()


def test_the_language_recorded_is_the_one_shown_when_only_one_exists(studio):
    waiver = published_waiver(studio, body_en="")  # French only
    client = ClientFactory(studio=studio)
    signature = _sign(studio, waiver, client, language="en")
    assert signature.language == "fr"
    assert signature.text_sha256 == text_sha256(waiver.current_version.body_fr)


def test_a_signature_keeps_its_version_after_the_waiver_is_edited_and_republished(studio):
    waiver = published_waiver(studio, body_en="<p>First text.</p>")
    client = ClientFactory(studio=studio)
    first = _sign(studio, waiver, client)
    with scope(studio=studio):
        waiver_draft_save(
            studio=studio,
            actor=SYSTEM,
            waiver=waiver,
            title_fr="v2",
            title_en="v2",
            body_fr="<p>Deuxième texte.</p>",
            body_en="<p>Second text.</p>",
        )
        waiver_publish(studio=studio, actor=SYSTEM, waiver=waiver, resign_required=True)
    waiver.refresh_from_db()
    with scopes_disabled():
        first.refresh_from_db()
        assert first.version.number == 1 and first.version.body_en == "<p>First text.</p>"
    assert first.text_sha256 == text_sha256("<p>First text.</p>")
    second = _sign(studio, waiver, client)  # the new version is signed anew
    assert second.pk != first.pk and second.version.number == 2
    assert second.text_sha256 == text_sha256("<p>Second text.</p>")


def test_a_page_showing_an_older_version_cannot_sign_the_newer_one(studio):
    waiver = published_waiver(studio)
    with scope(studio=studio):
        waiver_draft_save(
            studio=studio,
            actor=SYSTEM,
            waiver=waiver,
            title_fr="",
            title_en="v2",
            body_fr="",
            body_en="<p>v2</p>",
        )
        waiver_publish(studio=studio, actor=SYSTEM, waiver=waiver, resign_required=False)
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, ClientFactory(studio=studio), version_shown=1)
    assert _code(excinfo) == "version"


def test_a_draft_only_or_archived_waiver_cannot_be_signed(studio):
    client = ClientFactory(studio=studio)
    draft = WaiverFactory(studio=studio)
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, draft, client)
    assert _code(excinfo) == "draft"
    archived = published_waiver(studio)
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=archived)
    archived.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, archived, client)
    assert _code(excinfo) == "archived"
    with scopes_disabled():
        assert not WaiverSignature.objects.filter(studio=studio).exists()


@pytest.mark.parametrize(
    "name,ok",
    [
        ("", False),
        ("   ", False),
        ("a\x00b", False),
        ("a\x07b", False),
        ("x" * 201, False),
        ("x" * 200, True),
    ],
)
def test_the_signer_name_is_required_bounded_and_printable(studio, name, ok):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    if ok:
        assert _sign(studio, waiver, client, name=name).signer_name == name
    else:
        with pytest.raises(ValidationError) as excinfo:
            _sign(studio, waiver, client, name=name)
        assert _code(excinfo) == "name"


def test_drawn_methods_need_the_png_and_checkbox_methods_carry_none(studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, client, method="drawn", png=b"")
    assert _code(excinfo) == "empty"
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, client, method="checkbox", png=wsign_png())
    assert _code(excinfo) == "method"
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, client, method="drawn", png=wsign_png(ink=False))
    assert _code(excinfo) == "empty"
    with pytest.raises(ValidationError) as excinfo:  # a link method needs the link
        _sign(studio, waiver, client, method="link_checkbox")
    assert _code(excinfo) == "method"
    with pytest.raises(ValidationError) as excinfo:  # raw bytes from any caller are bounded too
        _sign(studio, waiver, client, method="drawn", png=wsign_png() + b"\0" * signing.MAX_PNG_BYTES)
    assert _code(excinfo) == "too_large"
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, client, method="drawn", png=b"GIF89a" + b"\0" * 100)
    assert _code(excinfo) == "invalid"
    signature = _sign(studio, waiver, client, method="checkbox")
    assert signature.method == "checkbox" and signature.signature_png is None


def test_a_child_waiver_is_signed_by_a_guardian_at_the_childs_name(studio):
    waiver = published_waiver(studio, kind="child")
    link = FamilyLinkFactory(guardian=ClientFactory(studio=studio, first_name="Julie"))
    child, parent = link.dependant, link.guardian
    stranger = ClientFactory(studio=studio)
    for signer in (child, stranger):
        with pytest.raises(ValidationError) as excinfo:
            _sign(studio, waiver, child, signer=signer)
        assert _code(excinfo) == "guardian"
    signature = _sign(studio, waiver, child, signer=parent)
    assert (signature.client_id, signature.signer_id) == (child.pk, parent.pk)
    assert signature.signer_name == parent.full_name


def test_an_adult_waiver_is_signed_by_the_client_or_a_guardian_only(studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, waiver, client, signer=ClientFactory(studio=studio))
    assert _code(excinfo) == "guardian"


def test_another_studios_waiver_or_client_is_refused(studio, other_studio):
    mine = published_waiver(studio)
    theirs = published_waiver(other_studio)
    client = ClientFactory(studio=studio)
    with pytest.raises(ValidationError) as excinfo:
        _sign(studio, theirs, client)
    assert _code(excinfo) == "studio"
    with pytest.raises(ValidationError):
        _sign(studio, mine, ClientFactory(studio=other_studio))


# --- exactly once ---------------------------------------------------------------------------


def test_signing_twice_returns_the_first_signature(studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    first = _sign(studio, waiver, client)
    again = _sign(studio, waiver, client, method="checkbox")
    assert again.pk == first.pk
    with scopes_disabled():
        assert WaiverSignature.objects.filter(studio=studio, client=client).count() == 1
        assert AuditLog.objects.filter(studio=studio, action="waiver.signed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_six_threads_signing_at_once_make_one_signature(studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def sign():
        try:
            barrier.wait(timeout=10)
            results.append(_sign(studio, waiver, client).pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(set(results)) == 1 and len(results) == 6
    with scopes_disabled():
        assert WaiverSignature.objects.filter(studio=studio, client=client).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_task_is_enqueued_after_commit(studio, monkeypatch):
    sent = []
    monkeypatch.setattr(signing, "enqueue_by_name", _fake_enqueue(sent))
    waiver = published_waiver(studio)
    signature = _sign(studio, waiver, ClientFactory(studio=studio))
    assert sent == [("waivers.signature_confirm", studio.pk, signature.pk)]


def _fake_enqueue(sent):
    from django.db import transaction

    def enqueue(name, *args):
        transaction.on_commit(lambda: sent.append((name, *args)))

    return enqueue


def test_a_missing_confirmation_task_does_not_refuse_the_signature(studio, monkeypatch):
    def missing(name, *args):
        raise LookupError(name)

    monkeypatch.setattr(signing, "enqueue_by_name", missing)
    signature = _sign(studio, published_waiver(studio), ClientFactory(studio=studio))
    assert signature.pk
