"""The signed record's PDF (WAI-4): the exact text that was hashed, the hash, the signature, the
facts in the reader's language; a hostile body never reaches WeasyPrint; staff and the client
download it, nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from tests.factories import ClientFactory, FamilyLinkFactory, owner_of
from waivers.documents import signature_pdf
from waivers.hashing import text_sha256
from waivers.selectors.records import signature_for_staff
from waivers.tests.factories import wrec_signature, wrec_waiver

pytestmark = pytest.mark.django_db

SIGNED_AT = dt.datetime(2026, 7, 14, 16, 5, 9, tzinfo=dt.UTC)


@pytest.fixture
def rendered(monkeypatch):
    """The HTML strings handed to WeasyPrint, in order (the PDF is still made)."""
    import weasyprint

    seen: list[str] = []
    real = weasyprint.HTML

    def spy(*args, string=None, **kwargs):
        seen.append(string)
        return real(*args, string=string, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", spy)
    return seen


def _pdf(studio, signature, language="en") -> bytes:
    with scope(studio=studio):
        return signature_pdf(signature=signature_for_staff(studio=studio, pk=signature.pk), language=language)


def test_the_pdf_holds_exactly_the_hashed_text_and_its_hash(studio, a_client, rendered):
    version = wrec_waiver(studio, name="Studio release")
    signature = wrec_signature(version, a_client, signed_at=SIGNED_AT)
    pdf = _pdf(studio, signature)
    assert pdf.startswith(b"%PDF-")
    (html,) = rendered
    body = version.body_en
    assert body in html  # byte for byte the string the hash was taken over
    assert text_sha256(body) == signature.text_sha256
    assert html.count(text_sha256(body)) == 1 and 'data-verified="yes"' in html
    assert studio.name in html and "Release of liability v1" in html
    assert "data:image/png;base64," in html  # the drawn signature, inlined
    assert "Camille Tremblay" in html and "2026-07-14 16:05:09 UTC" in html and "203.0.113.7" in html


def test_a_guardian_s_pdf_names_both(studio, rendered):
    parent = ClientFactory(studio=studio, first_name="Nadia", last_name="Roy")
    child = ClientFactory(studio=studio, first_name="Léo", last_name="Roy", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=child)
    signature = wrec_signature(wrec_waiver(studio, kind="child"), child, signer=parent)
    _pdf(studio, signature)
    assert "Nadia Roy signed as guardian, for Léo Roy" in rendered[0]


def test_a_script_or_handler_in_a_raw_body_never_reaches_the_pdf(studio, a_client, rendered):
    hostile = (
        '<p>Risk</p><script>alert("x")</script><img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(2)" onmouseover="alert(3)">link</a><iframe src="https://evil.test"></iframe>'
    )
    signature = wrec_signature(wrec_waiver(studio, body_en=hostile), a_client)  # bypasses the sanitiser
    pdf = _pdf(studio, signature)
    (html,) = rendered
    for bad in ("<script", "onerror", "onmouseover", "javascript:", "<iframe", '<img src="x"'):
        assert bad not in html, bad
    assert "<p>Risk</p>" in html
    assert pdf.startswith(b"%PDF-")


def test_the_facts_are_in_the_reader_s_language(studio, a_client, rendered):
    signature = wrec_signature(wrec_waiver(studio), a_client, signed_at=SIGNED_AT)
    _pdf(studio, signature, language="fr")
    _pdf(studio, signature, language="en")
    french, english = rendered
    assert 'lang="fr"' in french and "14 juillet 2026" in french
    assert 'lang="en"' in english and "July 14, 2026" in english


def test_a_checkbox_signature_s_pdf_has_no_image(studio, a_client, rendered):
    signature = wrec_signature(wrec_waiver(studio), a_client, method="checkbox")
    _pdf(studio, signature)
    assert "data:image/png" not in rendered[0] and "no drawn signature" in rendered[0]


def test_staff_download_the_pdf_and_another_studio_s_is_404(login, studio, other_studio, a_client):
    signature = wrec_signature(wrec_waiver(studio), a_client)
    http = login(owner_of(studio).user)
    response = http.get(
        reverse("waiver-signature-pdf", kwargs={"studio_slug": studio.slug, "pk": signature.pk})
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and f"-{signature.pk}.pdf" in response["Content-Disposition"]
    with scopes_disabled():
        foreign = wrec_signature(wrec_waiver(other_studio), ClientFactory(studio=other_studio))
    url = reverse("waiver-signature-pdf", kwargs={"studio_slug": studio.slug, "pk": foreign.pk})
    assert http.get(url).status_code == 404


def test_the_client_downloads_their_own_and_their_child_s_pdf_only(client, studio, user_factory):
    from studio import services

    user = user_factory()
    with scopes_disabled():
        parent = services.client_profile_attach(studio=studio, user=user)
    child = ClientFactory(studio=studio, first_name="Léo", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=child)
    mine = wrec_signature(wrec_waiver(studio), parent)
    childs = wrec_signature(wrec_waiver(studio, kind="child"), child, signer=parent)
    someone_elses = wrec_signature(wrec_waiver(studio), ClientFactory(studio=studio))
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    def get(signature):
        return client.get(
            reverse("account-waiver-pdf", kwargs={"studio_slug": studio.slug, "pk": signature.pk})
        )

    for signature in (mine, childs):
        response = get(signature)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert get(someone_elses).status_code == 404
