"""Demo waivers for `make run` (called by studio.demo.seed_all): the four kinds published, a
second version of the client waiver that asked to re-sign, signatures made the three ways, and an
emailed link nobody has used yet.

Everything goes through the real services (templates, requirements, signing, links), so the demo
holds what the product would: sanitised texts, frozen versions, hashes, audit entries. Idempotent:
a studio that already has waivers is left as it is.

What is required, chosen not to stand in the way of the other demos and walks: the client and
child waivers are required for "Danse contemporaine" only, and Camille (the demo client) has
signed both (for herself, and for Léo); the membership waiver is required for the winter pass,
set by memberships' demo once its plans exist (waivers' demo runs first).
"""

from __future__ import annotations

import math
import struct
import zlib

from django.db import transaction
from django_scopes import scope

from studio.models import Client, FamilyLink, Studio, User
from studio.services import SYSTEM, Actor
from waivers.models import SignMethod, Waiver, WaiverKind
from waivers.services.requirements import waiver_requirements_set
from waivers.services.signing import waiver_link_send, waiver_sign
from waivers.services.templates import waiver_create, waiver_draft_save, waiver_publish

CLIENT_WAIVER = "Décharge client"
CHILD_WAIVER = "Décharge enfant"
MEMBERSHIP_WAIVER = "Décharge d'abonnement"  # memberships' demo requires it for the winter pass
CUSTOM_WAIVER = "Autorisation photo et vidéo"
REQUIRED_CLASS = "Danse contemporaine"

DEMO_IP = "203.0.113.24"  # documentation range (RFC 5737)
DEMO_TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
DEMO_PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"

V2_ADDITION_FR = (
    "<p><strong>Nouveau :</strong> les cours de danse comportent des portés et des sauts ; "
    "signalez toute blessure au professeur avant le cours.</p>"
)
V2_ADDITION_EN = (
    "<p><strong>New:</strong> dance classes include lifts and jumps; tell the teacher about any "
    "injury before class.</p>"
)


def signature_png(*, width: int = 240, height: int = 80, phase: float = 0.0) -> bytes:
    """A small drawn-looking signature: a dark wave on a transparent canvas (RGBA, 8-bit)."""
    pixels = bytearray(width * height * 4)
    for x in range(8, width - 8):
        y = int(height / 2 + (height / 3) * math.sin(x / 17 + phase) * math.cos(x / 53))
        for dy in (-1, 0, 1):
            row = min(max(y + dy, 0), height - 1)
            at = (row * width + x) * 4
            pixels[at : at + 4] = b"\x1a\x1a\x40\xff"
    raw = b"".join(b"\x00" + bytes(pixels[r * width * 4 : (r + 1) * width * 4]) for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _published(studio: Studio, actor: Actor, kind: str, name: str) -> Waiver:
    """A waiver of `kind` with our standard text as version 1, published."""
    waiver = waiver_create(studio=studio, actor=actor, kind=kind, name=name)
    waiver_publish(studio=studio, actor=actor, waiver=waiver, resign_required=False)
    waiver.refresh_from_db()
    return waiver


def _republish(studio: Studio, actor: Actor, waiver: Waiver, *, resign_required: bool) -> None:
    """Version n+1: the published text with a paragraph added, published."""
    current = waiver.current_version
    waiver_draft_save(
        studio=studio,
        actor=actor,
        waiver=waiver,
        title_fr=current.title_fr,
        title_en=current.title_en,
        body_fr=current.body_fr + V2_ADDITION_FR,
        body_en=current.body_en + V2_ADDITION_EN,
    )
    waiver_publish(studio=studio, actor=actor, waiver=waiver, resign_required=resign_required)
    waiver.refresh_from_db()


def _sign(
    studio, waiver, client, *, signer=None, method=SignMethod.CHECKBOX, link=None, witness=None, phase=0.0
):
    signer = signer or client
    drawn = method in (SignMethod.DRAWN, SignMethod.LINK_DRAWN)
    return waiver_sign(
        studio=studio,
        waiver=waiver,
        client=client,
        signer=signer,
        method=method,
        signer_name=signer.full_name,
        language=signer.language or "fr",
        signature_png=signature_png(phase=phase) if drawn else None,
        ip_address=DEMO_IP,
        user_agent=DEMO_TABLET if method == SignMethod.DRAWN else DEMO_PHONE,
        link=link,
        witnessed_by=witness,
    )


def _by_email(studio: Studio, email: str) -> Client | None:
    return Client.objects.filter(studio=studio, email=email).first()


def _dependant_of(guardian: Client | None) -> Client | None:
    if guardian is None:
        return None
    link = FamilyLink.objects.filter(guardian=guardian).select_related("dependant").order_by("id").first()
    return link.dependant if link is not None else None


def _template_id(studio: Studio, name: str) -> int | None:
    from studio.registries import requirement_targets

    target = requirement_targets.requirement_target("class_template")
    choices = target.choices(studio) if target is not None else []
    return next((pk for pk, label in choices if label == name), None)


def _seed_demo(studio: Studio) -> None:
    owner = User.objects.filter(email="owner@demo.atelier.test").first()
    actor = Actor(user=owner) if owner is not None else SYSTEM
    witness = User.objects.filter(email="frontdesk@demo.atelier.test").first()
    camille = _by_email(studio, "client@demo.atelier.test")
    julie = _by_email(studio, "julie.gagnon@example.test")
    marc = _by_email(studio, "marc.roy@example.test")
    leo, emma = _dependant_of(camille), _dependant_of(julie)

    client_waiver = _published(studio, actor, WaiverKind.CLIENT, CLIENT_WAIVER)
    child_waiver = _published(studio, actor, WaiverKind.CHILD, CHILD_WAIVER)
    membership_waiver = _published(studio, actor, WaiverKind.MEMBERSHIP, MEMBERSHIP_WAIVER)
    custom_waiver = _published(studio, actor, WaiverKind.CUSTOM, CUSTOM_WAIVER)
    dance = _template_id(studio, REQUIRED_CLASS)
    if dance is not None:
        for waiver in (client_waiver, child_waiver):
            waiver_requirements_set(
                studio=studio, actor=actor, waiver=waiver, studio_wide=False, class_template_ids=[dance]
            )

    # Version 1 of the client waiver: Marc in person on the tablet (drawn), Julie from an emailed
    # link (checkbox), Camille at her booking (checkbox).
    if marc is not None:
        _sign(studio, client_waiver, marc, method=SignMethod.DRAWN, witness=witness, phase=0.4)
    if julie is not None:
        link = waiver_link_send(studio=studio, actor=actor, waiver=client_waiver, client=julie)
        _sign(studio, client_waiver, julie, method=SignMethod.LINK_CHECKBOX, link=link)
    if camille is not None:
        _sign(studio, client_waiver, camille)
    # Version 2 asks everyone to sign again: Camille has, Marc and Julie are now "outdated".
    _republish(studio, actor, client_waiver, resign_required=True)
    if camille is not None:
        _sign(studio, client_waiver, camille)
        _sign(studio, membership_waiver, camille)
        _sign(studio, custom_waiver, camille, method=SignMethod.DRAWN, witness=witness, phase=1.3)
    # Child waivers, signed by the guardian at the child's name: Julie for Emma from an emailed
    # link with a drawn signature, Camille for Léo at her booking.
    if julie is not None and emma is not None:
        link = waiver_link_send(studio=studio, actor=actor, waiver=child_waiver, client=emma, signer=julie)
        _sign(studio, child_waiver, emma, signer=julie, method=SignMethod.LINK_DRAWN, link=link, phase=2.1)
    if camille is not None and leo is not None:
        _sign(studio, child_waiver, leo, signer=camille)
    # An emailed link nobody has opened yet.
    if marc is not None:
        waiver_link_send(studio=studio, actor=actor, waiver=custom_waiver, client=marc)


def _seed_second(studio: Studio) -> None:
    """The second studio has its own client waiver and one signature: isolation shows."""
    waiver = _published(studio, SYSTEM, WaiverKind.CLIENT, "Release of liability")
    grace = Client.objects.filter(studio=studio, email="grace@autre.atelier.test").first()
    if grace is not None:
        _sign(studio, waiver, grace)


def seed(*, studio: Studio, second_studio: Studio) -> None:
    for target, fill in ((studio, _seed_demo), (second_studio, _seed_second)):
        with scope(studio=target):
            if Waiver.objects.filter(studio=target).exists():
                continue
            with transaction.atomic():
                fill(target)
