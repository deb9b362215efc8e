"""The signed record (WAI-4): a client's signatures in one query, the record page's facts, the
hash check, the signature image, and another studio's or another client's record answering 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from studio.permissions import RoleKind
from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.hashing import text_sha256
from waivers.models import WaiverSignature
from waivers.selectors.records import (
    signature_facts,
    signature_for_client_account,
    signature_for_staff,
    signatures_for_client,
)
from waivers.tests.factories import wrec_png, wrec_signature, wrec_waiver

pytestmark = pytest.mark.django_db

SIGNED_AT = dt.datetime(2026, 7, 14, 16, 5, 9, tzinfo=dt.UTC)  # 12:05:09 in Toronto (EDT)


@pytest.fixture
def family(studio):
    parent = ClientFactory(studio=studio, first_name="Nadia", last_name="Roy", language="en")
    child = ClientFactory(studio=studio, first_name="Léo", last_name="Roy", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=child)
    return parent, child


def _url(name, studio, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def test_signatures_for_client_cover_them_and_what_they_signed_as_guardian(studio, other_studio, family):
    parent, child = family
    own = wrec_signature(wrec_waiver(studio), parent, signed_at=SIGNED_AT)
    for_child = wrec_signature(
        wrec_waiver(studio, kind="child"), child, signer=parent, signed_at=SIGNED_AT + dt.timedelta(days=1)
    )
    wrec_signature(wrec_waiver(studio), ClientFactory(studio=studio))  # someone else's
    with scopes_disabled():
        stranger = ClientFactory(studio=other_studio)
    wrec_signature(wrec_waiver(other_studio), stranger)
    with scope(studio=studio):
        assert signatures_for_client(client=parent) == [for_child, own]  # newest first
        assert signatures_for_client(client=child) == [for_child]


def test_signatures_for_client_read_one_query_at_1_and_at_200(studio, a_client):
    version = wrec_waiver(studio)
    wrec_signature(version, a_client)

    def count() -> int:
        with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
            rows = signatures_for_client(client=a_client)
            # What a list shows of each row is already there (no query per row).
            assert all(r.waiver.name and r.version.number and r.signer.first_name for r in rows)
        return len(ctx.captured_queries), len(rows)

    one = count()
    with scopes_disabled():
        first = WaiverSignature.objects.get(client=a_client)
        WaiverSignature.objects.bulk_create(
            WaiverSignature(
                studio_id=studio.pk,
                waiver_id=first.waiver_id,
                version_id=first.version_id,
                client=a_client,
                signer=a_client,
                signer_name="Camille Tremblay",
                method="checkbox",
                language="en",
                text_sha256=first.text_sha256,
                signed_at=SIGNED_AT + dt.timedelta(minutes=i),
                time_zone="America/Toronto",
            )
            for i in range(199)
        )
    assert one == (1, 1)
    assert count() == (1, 200)


def test_signature_for_staff_and_for_the_client_account_refuse_what_is_not_theirs(
    studio, other_studio, family
):
    parent, child = family
    theirs = wrec_signature(wrec_waiver(studio, kind="child"), child, signer=parent)
    other_guardian = ClientFactory(studio=studio)
    FamilyLinkFactory(studio=studio, guardian=other_guardian, dependant=child)
    with scopes_disabled():
        foreign = wrec_signature(wrec_waiver(other_studio), ClientFactory(studio=other_studio))
    with scope(studio=studio):
        assert signature_for_staff(studio=studio, pk=theirs.pk) == theirs
        with pytest.raises(Http404):
            signature_for_staff(studio=studio, pk=foreign.pk)
        assert signature_for_client_account(client=parent, pk=theirs.pk) == theirs
        assert signature_for_client_account(client=child, pk=theirs.pk) == theirs
        with pytest.raises(Http404):  # the other guardian did not sign it
            signature_for_client_account(client=other_guardian, pk=theirs.pk)
        with pytest.raises(Http404):
            signature_for_client_account(client=parent, pk=foreign.pk)


def test_the_record_page_states_who_for_whom_how_when_where_and_the_hash(owner_client, studio, family):
    parent, child = family
    version = wrec_waiver(studio, kind="child", name="Kids' release")
    signature = wrec_signature(
        version,
        child,
        signer=parent,
        signed_at=SIGNED_AT,
        user_agent='Evil/1.0 <script>alert("ua")</script>',
        ip_address="198.51.100.23",
    )
    with translation.override("en"):
        response = owner_client.get(_url("waiver-signature", studio, pk=signature.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nadia Roy" in html and "Léo Roy" in html
    # Guardian → child, both ways.
    assert "Léo Roy, signed by the guardian: Nadia Roy" in html
    assert "Nadia Roy signed as guardian, for Léo Roy" in html
    assert "Drawn signature, on the client&#x27;s own account" in html  # no staff witness on this row
    assert "2026-07-14 16:05:09 UTC" in html  # UTC, to the second
    assert "12:05" in html and "(America/Toronto)" in html  # the studio's zone stored on the row
    assert "198.51.100.23" in html
    assert "&lt;script&gt;alert(&quot;ua&quot;)&lt;/script&gt;" in html and '<script>alert("ua")' not in html
    assert signature.text_sha256 in html and 'data-verified="yes"' in html and "matches" in html
    assert 'data-verified="no"' not in html
    # The image from its own view; the text agreed to, on the page; the version's page linked.
    assert _url("waiver-signature-image", studio, pk=signature.pk) in html
    assert "<strong>own</strong> risk" in html
    assert _url("waiver-version", studio, pk=version.waiver_id, number=version.number) in html
    assert _url("waiver-signature-pdf", studio, pk=signature.pk) in html


def test_a_hash_that_does_not_match_is_said_loudly(owner_client, studio, a_client):
    signature = wrec_signature(wrec_waiver(studio), a_client, text_sha256="0" * 64)
    with translation.override("en"):
        html = owner_client.get(_url("waiver-signature", studio, pk=signature.pk)).content.decode()
    assert 'data-verified="no"' in html and "DOES NOT MATCH" in html and "data-tampered" in html
    with scope(studio=studio):
        facts = signature_facts(signature=signature_for_staff(studio=studio, pk=signature.pk))
    assert not facts.verified and facts.recomputed_sha256 == text_sha256(signature.version.body_en)


def test_the_hash_is_checked_against_the_language_that_was_shown(owner_client, studio, a_client):
    signature = wrec_signature(wrec_waiver(studio), a_client, language="fr")
    with scope(studio=studio):
        facts = signature_facts(signature=signature_for_staff(studio=studio, pk=signature.pk))
    assert facts.verified and facts.body_stored == signature.version.body_fr
    assert facts.title == "Décharge de responsabilité v1"
    html = owner_client.get(_url("waiver-signature", studio, pk=signature.pk)).content.decode()
    assert "<strong>propres</strong> risques" in html and "own</strong> risk" not in html


def test_a_hostile_body_stored_raw_never_reaches_the_page(owner_client, studio, a_client):
    hostile = '<p onclick="steal()">Hi</p><script>alert(1)</script><img src=x onerror="alert(2)">'
    signature = wrec_signature(wrec_waiver(studio, body_en=hostile), a_client)
    html = owner_client.get(_url("waiver-signature", studio, pk=signature.pk)).content.decode()
    assert "<script>alert(1)" not in html and "onerror" not in html and "steal()" not in html
    assert "<p>Hi</p>" in html
    assert "data-sanitised" in html  # said, since what is shown is not byte for byte what was hashed


def test_the_signature_image_is_a_png_and_a_checkbox_signature_has_none(owner_client, studio, a_client):
    png = wrec_png(60, 20)
    drawn = wrec_signature(wrec_waiver(studio), a_client, png=png)
    ticked = wrec_signature(wrec_waiver(studio), a_client, method="checkbox")
    response = owner_client.get(_url("waiver-signature-image", studio, pk=drawn.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == png and response["X-Content-Type-Options"] == "nosniff"
    assert owner_client.get(_url("waiver-signature-image", studio, pk=ticked.pk)).status_code == 404
    with translation.override("en"):
        html = owner_client.get(_url("waiver-signature", studio, pk=ticked.pk)).content.decode()
    assert "no drawn signature" in html and "signature.png" not in html
    assert "Accepted at checkout or booking (checkbox)" in html


def test_front_desk_sees_the_record_without_the_version_editor_link(login, studio, a_client, staff_factory):
    signature = wrec_signature(wrec_waiver(studio), a_client)
    clerk = login(staff_factory(RoleKind.FRONT_DESK).user)  # views clients, does not manage waivers
    html = clerk.get(_url("waiver-signature", studio, pk=signature.pk)).content.decode()
    assert signature.text_sha256 in html
    assert "/versions/" not in html


def test_the_record_page_in_french(login, studio, a_client):
    signature = wrec_signature(wrec_waiver(studio), a_client, signed_at=SIGNED_AT)
    user = StaffOwner(studio)
    user.language = "fr"
    user.save(update_fields=["language"])
    response = login(user).get(_url("waiver-signature", studio, pk=signature.pk), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200 and 'lang="fr"' in html
    assert "14 juillet 2026" in html  # French months in lower case, the studio's local day


def test_another_studio_s_record_image_and_pdf_are_404(login, studio, other_studio):
    with scopes_disabled():
        foreign = wrec_signature(wrec_waiver(other_studio), ClientFactory(studio=other_studio))
    intruder = login(StaffOwner(studio))
    for name in ("waiver-signature", "waiver-signature-image", "waiver-signature-pdf"):
        assert intruder.get(_url(name, studio, pk=foreign.pk)).status_code == 404, name


def StaffOwner(studio):
    from tests.factories import owner_of

    return owner_of(studio).user


def test_the_record_is_append_only(studio, a_client):
    from django.db import DatabaseError, transaction

    signature = wrec_signature(wrec_waiver(studio), a_client)
    with scopes_disabled(), pytest.raises(DatabaseError), transaction.atomic():
        WaiverSignature.objects.filter(pk=signature.pk).update(signer_name="Someone else")


def test_a_drawn_signature_says_where_it_was_drawn():
    """In person at the studio's tablet (a staff witness on the row) or on the client's own account."""
    from waivers.models import SignMethod, WaiverSignature
    from waivers.selectors.records import _method_label

    with translation.override("en"):
        assert _method_label(WaiverSignature(method=SignMethod.DRAWN, witnessed_by_id=7)) == (
            "Drawn signature, in person at the studio"
        )
        assert _method_label(WaiverSignature(method=SignMethod.DRAWN)) == (
            "Drawn signature, on the client's own account"
        )
        assert _method_label(WaiverSignature(method=SignMethod.CHECKBOX)) == (
            "Accepted at checkout or booking (checkbox)"
        )
    with translation.override("fr"):
        assert _method_label(WaiverSignature(method=SignMethod.DRAWN, witnessed_by_id=7)) == (
            "Signature dessinée, en personne au studio"
        )
