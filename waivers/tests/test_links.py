"""Emailed signing links (WAI-3): single use, expiring, hashed, in the signer's language."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from studio.notifications.models import Message
from studio.services import SYSTEM
from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.models import WaiverLink, WaiverSettings, WaiverSignature
from waivers.services.signing import LinkRefused, waiver_link_open, waiver_link_send, waiver_sign
from waivers.services.templates import waiver_archive
from waivers.tests.factories import published_waiver, wsign_link, wsign_png

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 7, 17, 30, tzinfo=dt.UTC)


def _send(studio, waiver, client, **kwargs):
    with scope(studio=studio):
        return waiver_link_send(studio=studio, actor=SYSTEM, waiver=waiver, client=client, **kwargs)


def _token_from(message: Message) -> str:
    return re.search(r"/waivers/sign/([A-Za-z0-9_-]+)/", message.body_text).group(1)


def _open(studio, token, now=None):
    with scope(studio=studio):
        return waiver_link_open(studio=studio, token=token, now=now)


def _sign_link(studio, link, *, method="link_checkbox", now=None):
    with scope(studio=studio):
        return waiver_sign(
            studio=studio,
            waiver=link.waiver,
            client=link.client,
            signer=link.signer,
            method=method,
            signer_name="Julie Roy",
            language="fr",
            signature_png=wsign_png() if method == "link_drawn" else None,
            ip_address="198.51.100.4",
            user_agent="Mobile Safari",
            link=link,
            now=now,
        )


def test_a_link_is_emailed_in_the_signers_language_and_only_its_hash_is_stored(studio):
    studio.time_zone = "America/Toronto"
    studio.save(update_fields=["time_zone"])
    waiver = published_waiver(studio, name="Décharge cours")
    client = ClientFactory(studio=studio, first_name="Léa", email="lea@example.com", language="fr")
    link = _send(studio, waiver, client, now=NOW)
    with scopes_disabled():
        message = Message.objects.get(studio=studio, template="waivers.link")
    token = _token_from(message)
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    with scopes_disabled():
        assert not WaiverLink.objects.filter(token_sha256=token).exists()
    assert (message.to_email, message.language) == ("lea@example.com", "fr")
    assert studio.name in message.subject and "Décharge cours" in message.body_text
    assert "Bonjour" in message.body_text or "Léa" in message.body_text
    # 7 days by default; the expiry is written in the studio's zone (17:30 UTC on 14 March is
    # 13:30 in Toronto, on daylight time since the 8th)
    assert link.expires_at == NOW + dt.timedelta(days=7)
    assert "14 mars 2026 13:30" in message.body_text
    assert _open(studio, token, now=NOW).pk == link.pk


def test_the_studio_setting_sets_how_long_a_link_lives(studio):
    with scopes_disabled():
        WaiverSettings.objects.update_or_create(studio=studio, defaults={"link_valid_days": 2})
    link = _send(studio, published_waiver(studio), ClientFactory(studio=studio), now=NOW)
    assert link.expires_at == NOW + dt.timedelta(days=2)


def test_a_child_waiver_link_goes_to_the_guardian(studio):
    waiver = published_waiver(studio, kind="child")
    family = FamilyLinkFactory(
        guardian=ClientFactory(studio=studio, email="julie@example.com", language="en"),
        dependant=ClientFactory(studio=studio, email="", first_name="Ben"),
    )
    link = _send(studio, waiver, family.dependant)
    assert (link.client_id, link.signer_id, link.sent_to) == (
        family.dependant_id,
        family.guardian_id,
        "julie@example.com",
    )
    with scopes_disabled():
        message = Message.objects.get(studio=studio, template="waivers.link")
    assert message.to_email == "julie@example.com" and "Ben" in message.body_text


def test_a_link_to_nobody_or_to_a_non_guardian_is_refused(studio):
    waiver = published_waiver(studio)
    with pytest.raises(ValidationError) as excinfo:
        _send(studio, waiver, ClientFactory(studio=studio, email=""))
    assert excinfo.value.error_list[0].code == "no_email"
    with pytest.raises(ValidationError) as excinfo:
        _send(studio, waiver, ClientFactory(studio=studio), signer=ClientFactory(studio=studio))
    assert excinfo.value.error_list[0].code == "guardian"
    child_waiver = published_waiver(studio, kind="child")
    with pytest.raises(ValidationError) as excinfo:  # a child without guardians
        _send(studio, child_waiver, ClientFactory(studio=studio))
    assert excinfo.value.error_list[0].code == "no_email"
    with scopes_disabled():
        assert not WaiverLink.objects.filter(studio=studio).exists()
        assert not Message.objects.filter(studio=studio, template="waivers.link").exists()


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "!", "a" * 3000, "abc\x00def" * 6, None])
def test_a_malformed_token_is_unknown(studio, token):
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, token)
    assert excinfo.value.code == "unknown"


def test_a_tampered_token_is_unknown(studio):
    _link, token = wsign_link(published_waiver(studio), ClientFactory(studio=studio))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, tampered)
    assert excinfo.value.code == "unknown"


def test_another_studios_token_is_unknown_here(studio, other_studio):
    _link, token = wsign_link(published_waiver(other_studio), ClientFactory(studio=other_studio))
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, token)
    assert excinfo.value.code == "unknown"
    assert _open(other_studio, token).studio_id == other_studio.pk


def test_an_expired_link_is_refused(studio):
    link, token = wsign_link(
        published_waiver(studio),
        ClientFactory(studio=studio),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, token)
    assert excinfo.value.code == "expired"
    with pytest.raises(ValidationError) as excinfo:  # and the service refuses it too
        _sign_link(studio, link)
    assert excinfo.value.error_list[0].code == "link_expired"


def test_a_link_of_an_archived_waiver_is_refused(studio):
    waiver = published_waiver(studio)
    _link, token = wsign_link(waiver, ClientFactory(studio=studio))
    with scope(studio=studio):
        waiver_archive(studio=studio, actor=SYSTEM, waiver=waiver)
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, token)
    assert excinfo.value.code == "archived"


def test_signing_marks_the_link_used_and_a_second_use_is_refused(studio):
    waiver = published_waiver(studio)
    link, token = wsign_link(waiver, ClientFactory(studio=studio))
    signature = _sign_link(studio, _open(studio, token), method="link_drawn")
    assert signature.method == "link_drawn" and signature.link_id == link.pk
    with scopes_disabled():
        link.refresh_from_db()
    assert link.used_at == signature.signed_at
    with pytest.raises(LinkRefused) as excinfo:
        _open(studio, token)
    assert excinfo.value.code == "used"
    with pytest.raises(ValidationError) as excinfo:  # a page opened before the first use
        _sign_link(studio, link)
    assert excinfo.value.error_list[0].code == "link_used"
    with scopes_disabled():
        assert WaiverSignature.objects.filter(studio=studio).count() == 1


def test_a_link_signs_only_its_own_waiver_and_person(studio):
    waiver = published_waiver(studio)
    link, _token = wsign_link(waiver, ClientFactory(studio=studio))
    link.client = ClientFactory(studio=studio)  # a page that swapped the person
    with pytest.raises(ValidationError) as excinfo:
        _sign_link(studio, link)
    assert excinfo.value.error_list[0].code == "link"
