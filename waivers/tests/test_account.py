"""The client's own waivers page (account/waivers/): what they and their dependants signed, with
the PDFs, and what is still to sign (missing or outdated) with the "Sign" link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django_scopes import scopes_disabled

from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.tests.factories import wrec_signature, wrec_waiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, studio, user_factory):
    """A client of `studio` signed in on its hosted pages, with a dependant."""
    from studio import services

    user = user_factory(full_name="Nadia Roy")
    with scopes_disabled():
        parent = services.client_profile_attach(studio=studio, user=user)
    child = ClientFactory(studio=studio, first_name="Léo", last_name="Roy", email="")
    FamilyLinkFactory(studio=studio, guardian=parent, dependant=child)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client, parent, child


def _page(http, studio, language="en"):
    with translation.override(language):
        response = http.get(reverse("account-waivers", kwargs={"studio_slug": studio.slug}))
    assert response.status_code == 200
    return response.content.decode()


def _sign_url(studio, waiver_id):
    try:
        return reverse("account-waiver-sign", kwargs={"studio_slug": studio.slug, "waiver_pk": waiver_id})
    except NoReverseMatch:  # wsign's page not installed yet: the row is listed without a link
        return None


def test_signed_waivers_with_their_pdfs_and_the_ones_still_to_sign(signed_in, studio, other_studio):
    http, parent, child = signed_in
    client_waiver = wrec_waiver(studio, name="Adult release")
    child_waiver = wrec_waiver(studio, kind="child", name="Kids release")
    membership_waiver = wrec_waiver(studio, kind="membership", name="Membership terms")
    wrec_waiver(studio, kind="custom", name="Sauna terms")  # asked for by staff, not listed here
    mine = wrec_signature(client_waiver, parent)
    childs = wrec_signature(child_waiver, child, signer=parent)
    with scopes_disabled():
        wrec_signature(wrec_waiver(other_studio, name="Bravo secret"), ClientFactory(studio=other_studio))
    html = _page(http, studio)
    for signature in (mine, childs):
        pdf = reverse("account-waiver-pdf", kwargs={"studio_slug": studio.slug, "pk": signature.pk})
        assert f'data-signature="{signature.pk}"' in html and pdf in html
    assert "for Léo Roy" in html
    # Still to sign: the membership waiver for the parent; the child's is signed.
    assert f'data-waiver="{membership_waiver.waiver_id}" data-state="missing"' in html
    assert f'data-waiver="{child_waiver.waiver_id}" data-state' not in html
    assert "Sauna terms" not in html and "Bravo secret" not in html
    sign = _sign_url(studio, membership_waiver.waiver_id)
    if sign is not None:
        assert sign in html


def test_an_outdated_signature_and_a_dependant_s_missing_waiver_ask_to_sign(signed_in, studio):
    http, parent, child = signed_in
    v1 = wrec_waiver(studio, name="Adult release")
    wrec_signature(v1, parent)
    v2 = wrec_waiver(studio, waiver=v1.waiver, resign_required=True)
    child_waiver = wrec_waiver(studio, kind="child", name="Kids release")
    html = _page(http, studio)
    assert f'data-waiver="{v1.waiver_id}" data-state="outdated"' in html
    assert f"signed version 1; version {v2.number} must be signed again" in html
    assert f'data-waiver="{child_waiver.waiver_id}" data-state="missing"' in html
    sign = _sign_url(studio, child_waiver.waiver_id)
    if sign is not None:
        href = next(part.split('"')[0] for part in html.split('href="')[1:] if part.startswith(sign)).replace(
            "&amp;", "&"
        )
        query = parse_qs(urlsplit(href).query)
        assert query["for"] == [str(child.pk)]
        assert query["next"] == [reverse("account-waivers", kwargs={"studio_slug": studio.slug})]


def test_the_account_home_links_to_the_waivers_page(signed_in, studio):
    http, parent, _child = signed_in
    wrec_signature(wrec_waiver(studio), parent)
    wrec_waiver(studio, kind="membership")
    with translation.override("en"):
        html = http.get(reverse("account-home", kwargs={"studio_slug": studio.slug})).content.decode()
    assert reverse("account-waivers", kwargs={"studio_slug": studio.slug}) in html
    assert "1 waiver signed" in html and "1 to sign" in html


def test_the_account_home_stays_quiet_without_waivers(signed_in, studio):
    http, _parent, _child = signed_in
    html = http.get(reverse("account-home", kwargs={"studio_slug": studio.slug})).content.decode()
    assert reverse("account-waivers", kwargs={"studio_slug": studio.slug}) not in html


def test_the_page_in_french(signed_in, studio):
    http, parent, _child = signed_in
    import datetime as dt

    wrec_signature(wrec_waiver(studio), parent, signed_at=dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    with scopes_disabled():
        parent.language = "fr"
        parent.save(update_fields=["language"])
        parent.user.language = "fr"
        parent.user.save(update_fields=["language"])
    html = _page(http, studio, language="fr")
    assert 'lang="fr"' in html and "1er décembre 2026" in html


def test_a_visitor_is_sent_to_log_in(client, studio):
    response = client.get(reverse("account-waivers", kwargs={"studio_slug": studio.slug}))
    assert response.status_code == 302 and "/account/login/" in response["Location"]
