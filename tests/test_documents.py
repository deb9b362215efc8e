"""One way to make a PDF (studio.documents): shipped fonts, branding, language; stored documents
download only in their own studio, for staff holding the document's permission."""

from __future__ import annotations

import io
import re
import zlib

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from fontTools.ttLib import TTFont

from studio.documents import selectors
from studio.documents.services import document_create, document_render_pdf, document_store
from studio.models import StoredDocument
from studio.permissions import Perm, RoleKind
from tests.factories import ClientFactory, StaffFactory

pytestmark = pytest.mark.django_db

LINES = [{"label": "Cours d'essai — été", "amount": "12,50 €"}, {"label": "Drop-in", "amount": "$20.00"}]


def _embedded_fonts(pdf: bytes) -> list[TTFont]:
    """The TrueType programs WeasyPrint embedded (FontFile2 streams, Flate-compressed)."""
    fonts = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(raw)
        except zlib.error:
            continue
        if data[:4] in (b"\x00\x01\x00\x00", b"true"):
            fonts.append(TTFont(io.BytesIO(data)))
    return fonts


def _characters_drawn(pdf: bytes) -> set[str]:
    """Every character the PDF's text maps to (its ToUnicode CMaps)."""
    drawn = set()
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(raw)
        except zlib.error:
            continue
        if b"/CIDInit" in data:
            drawn |= {chr(int(code, 16)) for code in re.findall(rb"<[0-9a-f]{4}> <([0-9a-f]{4})>", data)}
    return drawn


def _pdf(studio, language="fr"):
    return document_render_pdf(
        template="studio/documents/sample.html",
        language=language,
        studio=studio,
        context={"title": "Reçu n° 1", "lines": LINES},
    )


def test_a_pdf_renders_accents_and_currency_signs_in_the_shipped_font(studio):
    pdf = _pdf(studio)
    assert pdf.startswith(b"%PDF-")
    fonts = _embedded_fonts(pdf)
    assert fonts, "the PDF embeds its font"
    # Only the project's Lato (not on this system: fc-list has DejaVu and Liberation) — every
    # glyph, accents and currency signs included, comes from the shipped file.
    assert {f["name"].getDebugName(1) for f in fonts} == {"Lato"}
    covered = set()
    for font in fonts:
        covered |= set(font.getBestCmap())
    drawn = _characters_drawn(pdf)
    for char in "éç€$":
        assert char in drawn, f"{char!r} is not in the PDF's text"
        assert ord(char) in covered, f"{char!r} was not drawn with the shipped font"


def test_the_document_is_in_the_reader_s_language(studio):
    # The sample's column heading: "Amount" in English, "Montant" in the French catalogue. No other
    # text of the sample holds a capital A or M.
    french, english = _characters_drawn(_pdf(studio, "fr")), _characters_drawn(_pdf(studio, "en"))
    assert "M" in french and "A" not in french
    assert "A" in english and "M" not in english


def test_stored_document_downloads_for_its_studio_s_staff(login, studio, other_studio, owner):
    camille = ClientFactory(studio=studio)
    with scope(studio=studio):
        document = document_create(
            studio=studio,
            title="Reçu été 2026",
            template="studio/documents/sample.html",
            context={"title": "Reçu", "lines": LINES},
            language="fr",
            client=camille,
            created_by=owner.user,
        )
        assert selectors.documents_for_client(client=camille) == [document]
    response = login(owner.user).get(
        reverse("document-download", kwargs={"studio_slug": studio.slug, "pk": document.pk})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="recu-ete-2026.pdf"'
    assert response.content == bytes(document.content) and response.content.startswith(b"%PDF-")


def test_another_studio_s_document_is_a_404(login, studio, other_studio):
    with scope(studio=other_studio):
        theirs = document_store(
            studio=other_studio, title="Secret", pdf=b"%PDF-1.7 x", template="t", language="en"
        )
    intruder = StaffFactory(studio=studio, kind=RoleKind.ADMIN)
    response = login(intruder.user).get(
        reverse("document-download", kwargs={"studio_slug": studio.slug, "pk": theirs.pk})
    )
    assert response.status_code == 404


def test_a_document_needs_the_permission_its_app_chose(login, studio):
    with scope(studio=studio):
        report = document_store(
            studio=studio,
            title="Payroll",
            pdf=b"%PDF-1.7 x",
            template="t",
            language="en",
            permission=Perm.RUN_PAYROLL,
        )
    clerk = StaffFactory(studio=studio, kind=RoleKind.FRONT_DESK)  # views clients, does not run payroll
    url = reverse("document-download", kwargs={"studio_slug": studio.slug, "pk": report.pk})
    assert login(clerk.user).get(url).status_code == 403


def test_a_document_cannot_name_another_studio_s_client(studio, other_studio):
    with scopes_disabled():
        stranger = ClientFactory(studio=other_studio)
    with scope(studio=studio), pytest.raises(ValueError):
        document_store(studio=studio, title="x", pdf=b"%PDF", template="t", language="en", client=stranger)
    with scopes_disabled():
        assert not StoredDocument.objects.exists()


def test_the_page_footer_writes_the_studio_s_name_as_it_reads(studio):
    """The footer is a CSS string: an ampersand or a quote in the studio's name must be drawn as
    itself, not as an HTML entity or a JavaScript escape ("Yoga u0026 Danse")."""
    from django.template.loader import render_to_string

    from studio.templatetags.css import css_string

    assert css_string('Yoga & Danse "Lotus" <b>\\') == "Yoga \\26  Danse \\22 Lotus\\22  \\3c b\\3e \\5c "
    assert css_string("Atelier Demo — Été") == "Atelier Demo — Été"
    studio.name = "Yoga & Danse"
    studio.save(update_fields=["name"])
    pdf = _pdf(studio)
    drawn = _characters_drawn(pdf)
    assert "&" in drawn, "the ampersand is drawn"
    assert "\\" not in drawn
    html = render_to_string(
        "studio/documents/base.html", {"brand": {"name": "Yoga & Danse"}, "font_family": "Lato"}
    )
    style = html[html.index("<style>") : html.index("</style>")]
    assert 'content: "Yoga \\26  Danse · "' in style and "u0026" not in style and "&amp;" not in style
