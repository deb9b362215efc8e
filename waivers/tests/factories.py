"""Factories for waivers' tests (each helper's in its own section)."""

from __future__ import annotations

# templates and versions (wtpl): WaiverFactory, WaiverVersionFactory, a published_waiver() helper
import factory as _wtpl_factory
from django_scopes import scope as _wtpl_scope

from studio.services import SYSTEM as _WTPL_SYSTEM
from tests.factories import UnscopedFactory as _WtplUnscopedFactory


class WaiverFactory(_WtplUnscopedFactory):
    """A client waiver with no version yet (use `published_waiver` for one clients can sign)."""

    class Meta:
        model = "waivers.Waiver"

    kind = "client"
    name = _wtpl_factory.Sequence(lambda n: f"Waiver {n}")


class WaiverVersionFactory(_WtplUnscopedFactory):
    """A draft version of `waiver` (pass `published_at=` to make it a published one)."""

    class Meta:
        model = "waivers.WaiverVersion"

    waiver = _wtpl_factory.SubFactory(WaiverFactory)
    studio = _wtpl_factory.SelfAttribute("waiver.studio")
    number = _wtpl_factory.Sequence(lambda n: n + 1)
    title_fr = "Décharge de responsabilité"
    title_en = "Release of liability"
    body_fr = "<p>Je participe à mes propres risques.</p>"
    body_en = "<p>I take part at my own risk.</p>"


def published_waiver(
    studio,
    *,
    kind: str = "client",
    name: str | None = None,
    title_fr: str = "Décharge de responsabilité",
    title_en: str = "Release of liability",
    body_fr: str = "<p>Je participe à mes propres risques.</p>",
    body_en: str = "<p>I take part at my own risk.</p>",
    resign_required: bool = False,
):
    """A waiver of `studio` whose version 1 is published and current, built through the services
    (so it holds what they store: sanitised text, audit entries). Bodies may be "" for a waiver
    kept in one language. Returns the Waiver (its `current_version` set)."""
    from waivers.services.templates import waiver_create, waiver_draft_save, waiver_publish

    actor = _WTPL_SYSTEM
    with _wtpl_scope(studio=studio):
        waiver = waiver_create(
            studio=studio, actor=actor, kind=kind, name=name or f"{kind.title()} waiver {next(_wtpl_names)}"
        )
        waiver_draft_save(
            studio=studio,
            actor=actor,
            waiver=waiver,
            title_fr=title_fr,
            title_en=title_en,
            body_fr=body_fr,
            body_en=body_en,
        )
        waiver_publish(studio=studio, actor=actor, waiver=waiver, resign_required=resign_required)
        waiver.refresh_from_db()
        return waiver


_wtpl_names = iter(range(1, 10**9))

# signing (wsign): a signature_for(...) helper going through the signing service


def wsign_png(width: int = 300, height: int = 100, *, ink: bool = True) -> bytes:
    """A PNG like a pad's: RGBA, transparent, with one stroke unless `ink` is False."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line((5, height - 10, width - 10, 8), fill=(17, 24, 39, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wsign_data_url(png: bytes | None = None) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png if png is not None else wsign_png()).decode()


def signature_for(waiver, client, *, signer=None, method: str = "drawn", language: str = "en", now=None):
    """A signature of `waiver`'s current version through the signing service (signer: the client,
    or the guardian for a child waiver)."""
    from django_scopes import scope as _scope

    from waivers.services.signing import waiver_sign

    signer = signer or client
    with _scope(studio=waiver.studio):
        return waiver_sign(
            studio=waiver.studio,
            waiver=waiver,
            client=client,
            signer=signer,
            method=method,
            signer_name=signer.full_name,
            language=language,
            signature_png=wsign_png() if method in ("drawn", "link_drawn") else None,
            ip_address="203.0.113.9",
            user_agent="pytest",
            now=now,
        )


def wsign_link(waiver, client, *, signer=None, expires_at=None, used_at=None):
    """(link, token): an open signing link written directly (no email), as `waiver_link_send`
    stores it — the token's SHA-256 only."""
    import datetime as _dt
    import hashlib
    import secrets

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from waivers.models import WaiverLink

    token = secrets.token_urlsafe(32)
    signer = signer or client
    with scopes_disabled():
        link = WaiverLink.objects.create(
            studio_id=waiver.studio_id,
            waiver=waiver,
            client=client,
            signer=signer,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            sent_to=signer.email or "someone@example.com",
            expires_at=expires_at or timezone.now() + _dt.timedelta(days=7),
            used_at=used_at,
        )
    return link, token


# records (wrec): signed records written directly (the rows are append-only: created, never
# updated), so the record, PDF and panel tests do not depend on the signing pages.

WREC_BODY_EN = "<h2>Release</h2><p>I take part at my <strong>own</strong> risk.</p>"
WREC_BODY_FR = "<h2>Décharge</h2><p>Je participe à mes <strong>propres</strong> risques.</p>"


def wrec_png(width: int = 40, height: int = 16) -> bytes:
    """A small real PNG (a drawn-signature stand-in)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((2, height - 3, width - 3, 2), fill=(20, 20, 20, 255), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wrec_waiver(
    studio,
    *,
    kind: str = "client",
    name: str | None = None,
    body_en: str = WREC_BODY_EN,
    body_fr: str = WREC_BODY_FR,
    resign_required: bool = False,
    waiver=None,
):
    """A waiver of `studio` with a new published version made current (version 1, or n+1 of
    `waiver`); returns the version. Bodies are stored as given (a test may store a hostile one)."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from waivers.models import Waiver, WaiverVersion

    with scopes_disabled():
        if waiver is None:
            waiver = Waiver.objects.create(
                studio=studio, kind=kind, name=name or f"Wrec {kind} {next(_wrec_names)}"
            )
        number = (waiver.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = WaiverVersion.objects.create(
            studio=studio,
            waiver=waiver,
            number=number,
            title_fr=f"Décharge de responsabilité v{number}",
            title_en=f"Release of liability v{number}",
            body_fr=body_fr,
            body_en=body_en,
            published_at=timezone.now(),
            resign_required=resign_required,
        )
        Waiver.objects.filter(pk=waiver.pk).update(current_version=version)
        waiver.current_version = version
        version.waiver = waiver
    return version


def wrec_signature(
    version,
    client,
    *,
    signer=None,
    method: str = "drawn",
    language: str = "en",
    png: bytes | None = None,
    signed_at=None,
    time_zone: str = "America/Toronto",
    ip_address: str | None = "203.0.113.7",
    user_agent: str = "Mozilla/5.0 (iPad; CPU OS 17_0) Safari/605.1",
    text_sha256: str | None = None,
):
    """A signature of `version` covering `client` (signed by `signer`, the guardian for a child)."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from waivers.hashing import text_sha256 as digest
    from waivers.models import WaiverSignature

    signer = signer or client
    drawn = method in ("drawn", "link_drawn")
    with scopes_disabled():
        return WaiverSignature.objects.create(
            studio_id=version.studio_id,
            waiver_id=version.waiver_id,
            version=version,
            client=client,
            signer=signer,
            signer_name=f"{signer.first_name} {signer.last_name}",
            method=method,
            language=language,
            text_sha256=text_sha256 or digest(getattr(version, f"body_{language}")),
            signature_png=(png or wrec_png()) if drawn else None,
            signed_at=signed_at or timezone.now(),
            time_zone=time_zone,
            ip_address=ip_address,
            user_agent=user_agent,
        )


_wrec_names = iter(range(1, 10**9))

# requirements (wreq): rows written directly (no service), so status and blocking tests do not
# depend on the signing pages; `req_publish` opens and publishes version n+1 like wtpl's service.


def req_waiver(studio, *, kind: str = "client", name: str | None = None, resign_required: bool = False):
    """A waiver of `studio` with version 1 published and current (rows written directly)."""
    from django.utils import timezone

    from waivers.models import Waiver

    waiver = Waiver.objects.create(studio=studio, kind=kind, name=name or f"Req {kind} {next(_req_names)}")
    req_publish(waiver, resign_required=resign_required, at=timezone.now())
    return waiver


def req_publish(waiver, *, resign_required: bool = False, at=None):
    """Publish version n+1 of `waiver` (made current) and return it."""
    from django.utils import timezone

    from waivers.models import Waiver, WaiverVersion

    number = (
        WaiverVersion.objects.filter(waiver=waiver)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    version = WaiverVersion.objects.create(
        studio_id=waiver.studio_id,
        waiver=waiver,
        number=number,
        title_fr=f"Décharge v{number}",
        title_en=f"Release v{number}",
        body_fr=f"<p>Texte {number}.</p>",
        body_en=f"<p>Text {number}.</p>",
        published_at=at or timezone.now(),
        resign_required=resign_required,
    )
    Waiver.objects.filter(pk=waiver.pk).update(current_version=version)
    waiver.current_version = version
    return version


def req_sign(waiver, client, *, signer=None, version=None, method: str = "checkbox"):
    """A signature of `waiver` (its current version unless `version`) covering `client`."""
    from django.utils import timezone

    from waivers.hashing import text_sha256
    from waivers.models import WaiverSignature

    version = version or waiver.current_version
    signer = signer or client
    return WaiverSignature.objects.create(
        studio_id=waiver.studio_id,
        waiver=waiver,
        version=version,
        client=client,
        signer=signer,
        signer_name=f"{signer.first_name} {signer.last_name}",
        method=method,
        language="en",
        text_sha256=text_sha256(version.body_en),
        signed_at=timezone.now(),
        time_zone="America/Toronto",
    )


def req_require(waiver, scope: str = "studio", target_id=None):
    """A requirement row for `waiver` (scope studio / plan / class_template / service)."""
    from waivers.models import WaiverRequirement

    return WaiverRequirement.objects.create(
        studio_id=waiver.studio_id, waiver=waiver, scope=scope, target_id=target_id
    )


_req_names = iter(range(1, 10**9))
