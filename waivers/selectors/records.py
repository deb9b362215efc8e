"""Reads of signed records (WAI-4): a client's signatures, one signature for staff or for the
client's own account, and the facts a record page and its PDF state.

A record is trustworthy because it can be checked: `signature_facts` recomputes the SHA-256 of
the version's text in the language that was shown and says whether it still matches the hash
stored at signing (`verified`). The text shown again is re-sanitised on the way out, so a body
that reached the table without the sanitiser (raw SQL, a bug) never puts a script on a page.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from studio.models import Client, Studio
from waivers.hashing import text_sha256
from waivers.models import SignMethod, WaiverSignature
from waivers.sanitize import waiver_html_clean


def _signatures() -> QuerySet[WaiverSignature]:
    # The image is the only large column: lists never need it.
    return WaiverSignature.objects.select_related("waiver", "version", "client", "signer").defer(
        "signature_png"
    )


def signatures_for_client(*, client: Client) -> list[WaiverSignature]:
    """Every signature covering `client`, and those `client` signed as guardian for a dependant,
    newest first (one query whatever their number; the images are not read)."""
    return list(
        _signatures()
        .filter(studio_id=client.studio_id)
        .filter(Q(client=client) | Q(signer=client))
        .order_by("-signed_at", "-id")
    )


def signature_for_staff(*, studio: Studio, pk: int) -> WaiverSignature:
    """The studio's signature `pk`, image included (Http404 for another studio's or none)."""
    signature = (
        WaiverSignature.objects.select_related("waiver", "version", "client", "signer", "witnessed_by")
        .filter(studio=studio, pk=pk)
        .first()
    )
    if signature is None:
        raise Http404("no such signature")
    return signature


def signature_for_client_account(*, client: Client, pk: int) -> WaiverSignature:
    """Signature `pk` when it covers `client` or `client` signed it (for a dependant); else
    Http404 — another client's record is never shown, not even its existence."""
    signature = (
        WaiverSignature.objects.select_related("waiver", "version", "client", "signer")
        .filter(studio_id=client.studio_id, pk=pk)
        .filter(Q(client=client) | Q(signer=client))
        .first()
    )
    if signature is None:
        raise Http404("no such signature")
    return signature


@dataclass(frozen=True)
class SignatureFacts:
    """What a record page and its PDF state about one signature."""

    signature: WaiverSignature
    title: str
    body_html: str  # the version's text in the language shown, re-sanitised for display
    body_stored: str  # the same text exactly as stored (what the hash covers)
    recomputed_sha256: str
    signed_at_utc: dt.datetime
    signed_at_local: dt.datetime
    time_zone: str
    method_label: str
    for_dependant: bool  # a guardian signed at a dependant's name

    @property
    def verified(self) -> bool:
        """The stored hash is the hash of the text as it is stored today."""
        return self.recomputed_sha256 == self.signature.text_sha256

    @property
    def display_differs(self) -> bool:
        """The stored text held markup the sanitiser removes: what is shown is not byte for byte
        what was hashed (never true for a text saved through the editor)."""
        return self.body_html != self.body_stored


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")  # a row is never edited: an odd zone name still shows


def _method_label(signature: WaiverSignature) -> str:
    """How it was signed, in words: a drawn signature says where it was drawn (a staff witness
    means at the studio's tablet, none means on the client's own account)."""
    if signature.method == SignMethod.DRAWN:
        if signature.witnessed_by_id:
            return str(_("Drawn signature, in person at the studio"))
        return str(_("Drawn signature, on the client's own account"))
    return str(dict(SignMethod.choices).get(signature.method, signature.method))


def signature_facts(*, signature: WaiverSignature) -> SignatureFacts:
    """The record's facts, the text agreed to, and the hash check (no query beyond the rows the
    signature already joined: version and waiver)."""
    version = signature.version
    language = signature.language if signature.language in ("fr", "en") else "fr"
    other = "en" if language == "fr" else "fr"
    # The hash covers the body in the language stored on the record, nothing else: no fallback.
    stored = getattr(version, f"body_{language}") or ""
    title = (
        getattr(version, f"title_{language}") or getattr(version, f"title_{other}") or signature.waiver.name
    )
    signed_at = signature.signed_at.astimezone(dt.UTC)
    return SignatureFacts(
        signature=signature,
        title=title,
        body_html=waiver_html_clean(stored),
        body_stored=stored,
        recomputed_sha256=text_sha256(stored),
        signed_at_utc=signed_at,
        signed_at_local=signed_at.astimezone(_zone(signature.time_zone)),
        time_zone=signature.time_zone,
        method_label=_method_label(signature),
        for_dependant=signature.signer_id != signature.client_id,
    )
