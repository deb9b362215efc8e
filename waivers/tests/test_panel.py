"""The client profile's "waivers" panel: every waiver that applies, signed / outdated / missing,
with the record link and the sign-in-person and send-link actions, at a fixed cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from studio.models import Client
from studio.registries.profile_panels import profile_client_queryset
from tests.factories import ClientFactory, FamilyLinkFactory, owner_of
from waivers.models import Waiver, WaiverSignature
from waivers.panels import WAIVERS_PANEL
from waivers.tests.factories import wrec_signature, wrec_waiver

pytestmark = pytest.mark.django_db


def _profile(http, studio, client) -> str:
    with translation.override("en"):
        response = http.get(reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _row(html: str, waiver_id: int) -> str:
    start = html.index(f'<tr data-waiver="{waiver_id}"')
    return html[start : html.index("</tr>", start)]


def _optional(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # wsign's pages not installed yet
        return None


def test_signed_outdated_and_missing_with_their_links_and_actions(
    owner_client, studio, other_studio, a_client
):
    signed = wrec_waiver(studio, kind="client", name="Adult release")
    signature = wrec_signature(signed, a_client, signed_at=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC))
    old = wrec_waiver(studio, kind="membership", name="Membership terms")
    wrec_signature(old, a_client)
    new = wrec_waiver(studio, waiver=old.waiver, resign_required=True)
    custom = wrec_waiver(studio, kind="custom", name="Sauna terms")
    child = wrec_waiver(studio, kind="child", name="Kids release")  # a_client is no dependant
    archived = wrec_waiver(studio, name="Old release")
    with scopes_disabled():
        Waiver.objects.filter(pk=archived.waiver_id).update(archived_at=timezone.now())
        Waiver.objects.create(studio=studio, kind="client", name="Draft only")  # never published
        wrec_waiver(other_studio, name="Bravo secret")
    html = _profile(owner_client, studio, a_client)
    assert 'data-panel="waivers"' in html
    record = reverse("waiver-signature", kwargs={"studio_slug": studio.slug, "pk": signature.pk})
    row = _row(html, signed.waiver_id)
    assert 'data-state="signed"' in row and record in row and "v1" in row and "March 2, 2026" in row
    row = _row(html, old.waiver_id)
    assert 'data-state="outdated"' in row
    assert f"signed version 1; version {new.number} requires signing again" in row
    assert 'data-state="missing"' in _row(html, custom.waiver_id)  # custom waivers are listed too
    for absent in (child.waiver_id, archived.waiver_id):
        assert f'data-waiver="{absent}"' not in html
    assert "Draft only" not in html and "Bravo secret" not in html
    for waiver_id in (old.waiver_id, custom.waiver_id):
        row = _row(html, waiver_id)
        sign = _optional("client-waiver-sign", studio_slug=studio.slug, pk=a_client.pk, waiver_pk=waiver_id)
        send = _optional("client-waiver-send", studio_slug=studio.slug, pk=a_client.pk, waiver_pk=waiver_id)
        if sign:
            assert f'href="{sign}"' in row and "Sign in person" in row
        if send:
            assert f'action="{send}"' in row and 'method="post"' in row and "csrfmiddlewaretoken" in row
    assert "Sign in person" not in _row(html, signed.waiver_id)


def test_a_dependant_is_asked_the_child_waiver_signed_by_a_guardian(owner_client, studio):
    parent = ClientFactory(studio=studio, first_name="Nadia", last_name="Roy")
    kid = ClientFactory(studio=studio, first_name="Léo", last_name="Roy", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=kid)
    adult = wrec_waiver(studio, kind="client", name="Adult release")
    child = wrec_waiver(studio, kind="child", name="Kids release")
    wrec_signature(child, kid, signer=parent)
    html = _profile(owner_client, studio, kid)
    row = _row(html, child.waiver_id)
    assert 'data-state="signed"' in row and "by Nadia Roy" in row
    assert f'data-waiver="{adult.waiver_id}"' not in html  # the child waiver takes its place


def _panel_queries(studio, client) -> tuple[int, list[dict]]:
    request = RequestFactory().get("/")
    request.studio = studio
    request.staff = owner_of(studio)
    with scope(studio=studio):
        annotated = profile_client_queryset(queryset=Client.objects.all(), panels=[WAIVERS_PANEL]).get(
            pk=client.pk
        )
        with CaptureQueriesContext(connection) as ctx:
            context = WAIVERS_PANEL.load(request=request, client=annotated)
    return len(ctx.captured_queries), context["waivers"]


def test_the_panel_costs_no_query_at_1_and_at_200_signatures(studio, a_client):
    versions = [wrec_waiver(studio, kind=kind) for kind in ("client", "membership", "custom")]
    wrec_signature(versions[0], a_client)
    few, rows = _panel_queries(studio, a_client)
    assert [r["state"] for r in rows].count("signed") == 1
    with scopes_disabled():
        first = WaiverSignature.objects.get(client=a_client)
        WaiverSignature.objects.bulk_create(
            WaiverSignature(
                studio_id=studio.pk,
                waiver_id=version.waiver_id,
                version_id=version.pk,
                client=a_client,
                signer=a_client,
                signer_name="Camille Tremblay",
                method="checkbox",
                language="en",
                text_sha256=first.text_sha256,
                signed_at=timezone.now() - dt.timedelta(minutes=i),
                time_zone="America/Toronto",
            )
            for i in range(199)
            for version in [versions[i % 3]]
        )
    many, rows = _panel_queries(studio, a_client)
    assert few == many == 0, (few, many)  # all of it rides on the client row
    assert [r["state"] for r in rows] == ["signed", "signed", "signed"]


def test_the_profile_costs_the_same_at_1_and_at_200_signatures(owner_client, studio, a_client):
    version = wrec_waiver(studio)
    wrec_waiver(studio, kind="membership")
    wrec_signature(version, a_client)
    url = reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    owner_client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

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
                signed_at=timezone.now() - dt.timedelta(minutes=i + 1),
                time_zone="America/Toronto",
            )
            for i in range(199)
        )
    assert count() == one


def test_the_panel_says_what_signature_states_says(studio, a_client):
    """The panel reads its states from columns on the client row; wreq's `signature_states` is the
    rule: on the same rows they agree, waiver by waiver."""
    from waivers.selectors.status import signature_states

    plain = wrec_waiver(studio, name="A plain")
    wrec_signature(plain, a_client)
    kept = wrec_waiver(studio, kind="membership", name="B kept")
    wrec_signature(kept, a_client)
    wrec_waiver(studio, waiver=kept.waiver, resign_required=False)  # v2, no re-sign asked
    asked = wrec_waiver(studio, kind="custom", name="C asked")
    wrec_signature(asked, a_client)
    v2 = wrec_waiver(studio, waiver=asked.waiver, resign_required=True)
    wrec_waiver(studio, waiver=asked.waiver, resign_required=False)  # v3 after the re-sign mark
    signed_v2 = wrec_waiver(studio, kind="client", name="D re-signed")
    wrec_signature(signed_v2, a_client)
    v2b = wrec_waiver(studio, waiver=signed_v2.waiver, resign_required=True)
    latest = wrec_signature(v2b, a_client)
    wrec_waiver(studio, kind="custom", name="E never")
    assert v2.number == 2
    _queries, rows = _panel_queries(studio, a_client)
    with scope(studio=studio):
        states = signature_states(client=a_client, waivers=Waiver.objects.filter(studio=studio))
    assert {r["id"]: r["state"] for r in rows} == {k: v.state for k, v in states.items()}
    assert [r["state"] for r in rows] == ["signed", "signed", "signed", "outdated", "missing"]
    row = next(r for r in rows if r["name"] == "D re-signed")
    assert row["signed_number"] == 2 and row["record_url"].endswith(f"/{latest.pk}/")


def test_no_published_waiver_costs_no_query(studio, a_client):
    queries, rows = _panel_queries(studio, a_client)
    assert (queries, rows) == (0, [])


def test_the_panel_in_french(login, studio, a_client):
    wrec_signature(wrec_waiver(studio), a_client, signed_at=dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC))
    user = owner_of(studio).user
    user.language = "fr"
    user.save(update_fields=["language"])
    response = login(user).get(
        reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    )
    html = response.content.decode()
    assert 'data-panel="waivers"' in html and "2 mars 2026" in html


def test_a_teacher_sees_the_states_but_no_sign_or_send_action(login, studio, a_client):
    """Signing in person and sending a link need manage_clients (their views' guard): a teacher,
    who may open the profile, sees what is signed and is offered no button that would answer 403."""
    from tests.factories import StaffFactory, role_of

    waiver = wrec_waiver(studio, kind="client", name="Adult release")
    teacher = StaffFactory(studio=studio, role=role_of(studio, "teacher"))
    with translation.override("en"):
        response = login(teacher.user).get(
            reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
        )
    row = _row(response.content.decode(), waiver.waiver_id)
    assert 'data-state="missing"' in row
    assert "Sign in person" not in row and "Send link" not in row
