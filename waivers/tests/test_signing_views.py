"""The signing pages (WAI-3): staff tablet, sending a link, the emailed link's page, the client's own."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from studio.notifications.models import Message
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory, FamilyLinkFactory, UserFactory
from waivers.models import WaiverLink, WaiverSignature
from waivers.services.signing import MAX_DATA_URL_LENGTH
from waivers.services.templates import waiver_archive
from waivers.tests.factories import published_waiver, signature_for, wsign_data_url, wsign_link, wsign_png

pytestmark = pytest.mark.django_db

BODY_FR = "<p>Je participe à mes propres risques.</p>"
BODY_EN = "<p>I take part at my own risk.</p>"


def _signatures(studio):
    with scopes_disabled():
        return list(WaiverSignature.objects.filter(studio=studio))


def _sign_url(studio, client, waiver):
    return reverse(
        "client-waiver-sign", kwargs={"studio_slug": studio.slug, "pk": client.pk, "waiver_pk": waiver.pk}
    )


def _drawn(**extra):
    return {"signature": wsign_data_url(), "strokes": "3", "version": "1", **extra}


def test_the_browser_libraries_are_served_from_static_vendor():
    """`make setup` copies them from npm (package-lock.json); no page loads them from elsewhere."""
    assert finders.find("vendor/signature_pad/signature_pad.umd.min.js")
    assert finders.find("vendor/trix/trix.umd.min.js") and finders.find("vendor/trix/trix.css")
    assert finders.find("waivers/pad.js")


# --- staff: in person ----------------------------------------------------------------------


def test_the_tablet_page_shows_the_text_in_the_clients_language_with_the_pad(owner_client, studio):
    waiver = published_waiver(studio, body_fr=BODY_FR, body_en=BODY_EN)
    client = ClientFactory(studio=studio, first_name="Léa", last_name="Roy", language="fr")
    with translation.override("en"):
        page = owner_client.get(_sign_url(studio, client, waiver))
    html = page.content.decode()
    assert page.status_code == 200
    assert BODY_FR in html and BODY_EN not in html and 'lang="fr"' in html
    assert 'value="Léa Roy"' in html and "data-signature-pad" in html
    assert "vendor/signature_pad/signature_pad.umd.min.js" in html and "waivers/pad.js" in html
    assert 'name="accept"' not in html  # in person, a drawing is required
    english = owner_client.get(_sign_url(studio, client, waiver) + "?lang=en").content.decode()
    assert BODY_EN in english and BODY_FR not in english


def test_staff_sign_in_person_with_a_drawing(owner_client, owner, studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    with translation.override("en"):
        response = owner_client.post(
            _sign_url(studio, client, waiver), _drawn(signer_name="Ana Roy"), follow=True
        )
    assert response.status_code == 200 and "Waiver signed" in response.content.decode()
    [signature] = _signatures(studio)
    assert (signature.method, signature.signer_name, signature.witnessed_by_id) == (
        "drawn",
        "Ana Roy",
        owner.user_id,
    )
    assert bytes(signature.signature_png) == wsign_png()


@pytest.mark.parametrize(
    "data",
    [
        {"signature": "", "strokes": "0"},
        {"signature": wsign_data_url(), "strokes": "0"},
        {"signature": wsign_data_url(wsign_png(ink=False)), "strokes": "2"},
        {"signature": "data:image/jpeg;base64,/9j/4AAQSkZJRg==", "strokes": "2"},
        {"signature": wsign_data_url(), "strokes": "9999"},
        {"signature": wsign_data_url(), "strokes": "²"},
        {"signature": "data:image/png;base64," + "A" * (MAX_DATA_URL_LENGTH + 1), "strokes": "4"},
    ],
)
def test_an_empty_or_hostile_pad_is_refused_on_the_page(owner_client, studio, data):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    with translation.override("en"):
        response = owner_client.post(
            _sign_url(studio, client, waiver), {"signer_name": "Ana", "version": "1", **data}
        )
    assert response.status_code == 200 and "form-errors" in response.content.decode()
    assert not _signatures(studio)


def test_a_nul_in_the_name_is_a_clean_400(owner_client, studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    response = owner_client.post(_sign_url(studio, client, waiver), _drawn(signer_name="Ana\x00Roy"))
    assert response.status_code == 400
    assert not _signatures(studio)


def test_a_double_submit_signs_once(owner_client, studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    for _ in range(2):
        assert (
            owner_client.post(_sign_url(studio, client, waiver), _drawn(signer_name="Ana")).status_code == 302
        )
    assert len(_signatures(studio)) == 1


def test_a_child_waiver_is_signed_by_the_chosen_guardian(owner_client, studio):
    waiver = published_waiver(studio, kind="child")
    child = ClientFactory(studio=studio, first_name="Ben")
    mum = FamilyLinkFactory(
        guardian=ClientFactory(studio=studio, first_name="Julie"), dependant=child
    ).guardian
    dad = FamilyLinkFactory(
        guardian=ClientFactory(studio=studio, first_name="Marc"), dependant=child
    ).guardian
    stranger = ClientFactory(studio=studio)
    url = _sign_url(studio, child, waiver)
    page = owner_client.get(url).content.decode()
    assert (
        f'value="{mum.pk}"' in page and f'value="{dad.pk}"' in page and f'value="{stranger.pk}"' not in page
    )
    refused = owner_client.post(url, _drawn(signer_name="X", guardian=str(stranger.pk)))
    assert refused.status_code == 200 and not _signatures(studio)
    owner_client.post(url, _drawn(signer_name=dad.full_name, guardian=str(dad.pk)))
    [signature] = _signatures(studio)
    assert (signature.client_id, signature.signer_id) == (child.pk, dad.pk)


def test_a_child_without_guardians_gets_no_form(owner_client, studio):
    waiver = published_waiver(studio, kind="child")
    child = ClientFactory(studio=studio)
    with translation.override("en"):
        page = owner_client.get(_sign_url(studio, child, waiver)).content.decode()
    assert "no guardian on file" in page and 'name="signer_name"' not in page
    owner_client.post(_sign_url(studio, child, waiver), _drawn(signer_name="X"))
    assert not _signatures(studio)


def test_a_role_that_cannot_act_on_clients_is_refused(login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    http = login(teacher.user)
    assert http.get(_sign_url(studio, client, waiver)).status_code == 403
    send = reverse(
        "client-waiver-send", kwargs={"studio_slug": studio.slug, "pk": client.pk, "waiver_pk": waiver.pk}
    )
    assert http.post(send).status_code == 403


def test_an_archived_or_unpublished_waiver_is_not_found(owner_client, studio):
    client = ClientFactory(studio=studio)
    waiver = published_waiver(studio)
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)
    assert owner_client.get(_sign_url(studio, client, waiver)).status_code == 404


def test_staff_send_the_link_and_come_back_to_the_profile(owner_client, studio):
    waiver = published_waiver(studio, name="Adult waiver")
    client = ClientFactory(studio=studio, email="ana@example.com")
    send = reverse(
        "client-waiver-send", kwargs={"studio_slug": studio.slug, "pk": client.pk, "waiver_pk": waiver.pk}
    )
    assert owner_client.get(send).status_code == 405
    with translation.override("en"):
        response = owner_client.post(send, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk}
    )
    assert "Signing link sent to ana@example.com" in response.content.decode()
    with scopes_disabled():
        assert (
            Message.objects.filter(studio=studio, template="waivers.link", to_email="ana@example.com").count()
            == 1
        )


def test_sending_to_a_client_without_email_says_why(owner_client, studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio, email="")
    send = reverse(
        "client-waiver-send", kwargs={"studio_slug": studio.slug, "pk": client.pk, "waiver_pk": waiver.pk}
    )
    with translation.override("en"):
        response = owner_client.post(send, follow=True)
    assert "no email address" in response.content.decode()
    with scopes_disabled():
        assert not WaiverLink.objects.filter(studio=studio).exists()


# --- the emailed link's page ----------------------------------------------------------------


def _link_url(studio, token):
    return reverse("waiver-link-sign", kwargs={"studio_slug": studio.slug, "token": token})


def test_the_link_page_is_in_the_signers_language_on_the_studios_brand(client, studio):
    studio.brand_primary = "#aa3355"
    studio.save(update_fields=["brand_primary"])
    waiver = published_waiver(studio, body_fr=BODY_FR, body_en=BODY_EN)
    signer = ClientFactory(studio=studio, first_name="Léa", last_name="Roy", language="fr")
    _link, token = wsign_link(waiver, signer)
    page = client.get(_link_url(studio, token))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="fr">' in html and BODY_FR in html and "#aa3355" in html and studio.name in html
    assert 'name="accept"' in html and "data-signature-pad" in html and 'value="Léa Roy"' in html
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_a_client_accepts_by_checkbox_then_sees_thanks_and_the_link_is_spent(client, studio):
    waiver = published_waiver(studio)
    signer = ClientFactory(studio=studio, language="en")
    link, token = wsign_link(waiver, signer)
    url = _link_url(studio, token)
    response = client.post(url, {"signer_name": "Léa Roy", "accept": "on", "version": "1"}, follow=True)
    assert response.status_code == 200 and "data-signed" in response.content.decode()
    [signature] = _signatures(studio)
    assert (signature.method, signature.link_id, signature.signature_png) == ("link_checkbox", link.pk, None)
    again = client.post(url, {"signer_name": "Léa Roy", "accept": "on", "version": "1"})
    assert again.status_code == 410 or "data-signed" in again.content.decode()
    from django.test import Client

    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)  # another browser: the link is used
    assert elsewhere.status_code == 410 and 'data-refusal="used"' in elsewhere.content.decode()
    assert len(_signatures(studio)) == 1


def test_a_link_signed_by_drawing(client, studio):
    waiver = published_waiver(studio)
    _link, token = wsign_link(waiver, ClientFactory(studio=studio))
    client.post(
        _link_url(studio, token),
        {"signer_name": "Léa", "version": "1", "signature": wsign_data_url(), "strokes": "5"},
    )
    [signature] = _signatures(studio)
    assert signature.method == "link_drawn" and bytes(signature.signature_png) == wsign_png()


def test_the_link_page_refuses_an_empty_acceptance(client, studio):
    waiver = published_waiver(studio)
    _link, token = wsign_link(waiver, ClientFactory(studio=studio))
    with translation.override("en"):
        response = client.post(_link_url(studio, token), {"signer_name": "Léa", "version": "1"})
    assert response.status_code == 200 and "form-errors" in response.content.decode()
    assert not _signatures(studio)


def _refused(response, code: str, status: int):
    assert response.status_code == status
    html = response.content.decode()
    assert f'data-refusal="{code}"' in html and "Traceback" not in html


def test_refused_links_answer_a_clear_page(client, studio, other_studio):
    waiver = published_waiver(studio)
    person = ClientFactory(studio=studio)
    _expired, expired = wsign_link(waiver, person, expires_at=timezone.now() - dt.timedelta(minutes=1))
    _used, used = wsign_link(waiver, person, used_at=timezone.now())
    _valid, valid = wsign_link(waiver, person)
    _theirs, theirs = wsign_link(published_waiver(other_studio), ClientFactory(studio=other_studio))
    tampered = valid[:-2] + ("AA" if not valid.endswith("AA") else "BB")
    _refused(client.get(_link_url(studio, expired)), "expired", 410)
    _refused(client.get(_link_url(studio, used)), "used", 410)
    _refused(client.get(_link_url(studio, tampered)), "unknown", 404)
    _refused(client.get(_link_url(studio, theirs)), "unknown", 404)
    _refused(client.get(_link_url(studio, "x" * 3000)), "unknown", 404)
    _refused(
        client.post(_link_url(studio, expired), {"signer_name": "A", "accept": "on", "version": "1"}),
        "expired",
        410,
    )
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)
    _refused(client.get(_link_url(studio, valid)), "archived", 410)
    assert not _signatures(studio) and not _signatures(other_studio)


def test_a_refusal_page_is_in_french_for_a_french_visitor(studio):
    from django.test import Client

    response = Client(HTTP_ACCEPT_LANGUAGE="fr").get(_link_url(studio, "y" * 43))
    assert response.status_code == 404 and '<html lang="fr">' in response.content.decode()


def test_the_emailed_link_opens_the_page(owner_client, client, studio):
    waiver = published_waiver(studio)
    person = ClientFactory(studio=studio, email="ana@example.com", language="fr")
    send = reverse(
        "client-waiver-send", kwargs={"studio_slug": studio.slug, "pk": person.pk, "waiver_pk": waiver.pk}
    )
    owner_client.post(send)
    with scopes_disabled():
        body = Message.objects.get(studio=studio, template="waivers.link").body_text
    path = re.search(r"https?://[^/]+(/\S+/waivers/sign/\S+/)", body).group(1)
    assert client.get(path).status_code == 200


# --- the signed-in client -------------------------------------------------------------------


@pytest.fixture
def member(studio, login):
    user = UserFactory(email="member@example.com")
    profile = ClientFactory(studio=studio, user=user, email=user.email, first_name="Julie", last_name="Roy")
    return profile, login(user)


def _account_url(studio, waiver, **query):
    from urllib.parse import urlencode

    url = reverse("account-waiver-sign", kwargs={"studio_slug": studio.slug, "waiver_pk": waiver.pk})
    return f"{url}?{urlencode(query)}" if query else url


def test_the_client_accepts_from_their_account_and_goes_back_to_next(member, studio):
    profile, http = member
    waiver = published_waiver(studio)
    target = f"/{studio.slug}/schedule/?week=2026-03-02"
    url = _account_url(studio, waiver, next=target)
    assert http.get(url).status_code == 200
    response = http.post(url, {"signer_name": "Julie Roy", "accept": "on", "version": "1"})
    assert response.status_code == 302 and response["Location"] == target
    [signature] = _signatures(studio)
    assert (signature.client_id, signature.signer_id, signature.method) == (
        profile.pk,
        profile.pk,
        "checkbox",
    )


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "\\\\evil"]
)
def test_an_unsafe_next_goes_to_the_account_instead(member, studio, target):
    _profile, http = member
    waiver = published_waiver(studio)
    response = http.post(
        _account_url(studio, waiver, next=target), {"signer_name": "J", "accept": "on", "version": "1"}
    )
    assert response["Location"] == reverse("account-home", kwargs={"studio_slug": studio.slug})


def test_a_guardian_signs_the_child_waiver_for_a_dependant_only(member, studio):
    profile, http = member
    waiver = published_waiver(studio, kind="child")
    son = FamilyLinkFactory(
        guardian=profile, dependant=ClientFactory(studio=studio, first_name="Ben")
    ).dependant
    stranger = ClientFactory(studio=studio)
    assert http.get(_account_url(studio, waiver)).status_code == 404  # a child waiver is for a dependant
    assert http.get(_account_url(studio, waiver, **{"for": stranger.pk})).status_code == 404
    assert http.get(_account_url(studio, waiver, **{"for": "²"})).status_code == 404
    page = http.get(_account_url(studio, waiver, **{"for": son.pk}))
    assert page.status_code == 200 and "Ben" in page.content.decode()
    http.post(
        _account_url(studio, waiver, **{"for": son.pk}),
        {"signer_name": "Julie Roy", "accept": "on", "version": "1"},
    )
    [signature] = _signatures(studio)
    assert (signature.client_id, signature.signer_id) == (son.pk, profile.pk)


def test_the_account_page_says_when_the_waiver_is_already_signed(member, studio):
    profile, http = member
    waiver = published_waiver(studio)
    signature_for(waiver, profile, method="checkbox")
    with translation.override("en"):
        page = http.get(_account_url(studio, waiver)).content.decode()
    assert "already signed" in page


def test_the_account_page_needs_a_signed_in_client(client, studio):
    waiver = published_waiver(studio)
    response = client.get(_account_url(studio, waiver))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_staff_go_back_to_the_sale_that_needed_the_waiver(owner_client, studio):
    waiver = published_waiver(studio)
    client = ClientFactory(studio=studio)
    back = f"/{studio.slug}/manage/clients/{client.pk}/memberships/sell/"
    url = _sign_url(studio, client, waiver)
    response = owner_client.post(f"{url}?next={back}", _drawn(signer_name="Ana"))
    assert response.status_code == 302 and response["Location"] == back
    other = ClientFactory(studio=studio)
    response = owner_client.post(
        _sign_url(studio, other, waiver) + "?next=https://evil.example/", _drawn(signer_name="Ana")
    )
    assert response["Location"] != "https://evil.example/"
    assert response["Location"].startswith(f"/{studio.slug}/manage/")
