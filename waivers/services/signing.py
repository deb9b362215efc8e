"""Signing a waiver (WAI-3): in person on a tablet, from an emailed link, or by a checkbox.

Every way ends in `waiver_sign`, which signs the waiver's **current published version** with the
exact text `waiver_text_for` shows the signer, stores the SHA-256 of that text, and writes the
append-only record. The waiver's row is locked while signing, so two submits of the same form
(a double tap, two tabs, a retried request) find the first signature instead of writing a second
one; an emailed link is locked and marked used in the same transaction, so it signs once.

Emailed links (`waiver_link_send` / `waiver_link_open`) carry a random token whose SHA-256 alone
is stored: the database never holds a usable link.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import ipaddress
import logging
import re
import secrets
import struct
import zlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.models import Client, FamilyLink, Studio, User
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name
from waivers.hashing import text_sha256
from waivers.models import SignMethod, Waiver, WaiverKind, WaiverLink, WaiverSignature
from waivers.selectors.templates import waiver_settings_for, waiver_text_for

logger = logging.getLogger(__name__)

CONFIRM_TASK = "waivers.signature_confirm"
LINK_TEMPLATE = "waivers.link"

# --- the drawn signature --------------------------------------------------------------------

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_PNG_BYTES = 300 * 1024
# The longest data URL that can decode to MAX_PNG_BYTES (base64 is 4 characters per 3 bytes).
MAX_DATA_URL_LENGTH = len(DATA_URL_PREFIX) + 4 * ((MAX_PNG_BYTES + 2) // 3)
# A pad is at most a tablet's width at a high pixel ratio; anything larger is not a signature.
MAX_PNG_SIDE = 4096
MAX_PNG_PIXELS = 4096 * 2048
MAX_STROKES = 500
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")

DRAWN_METHODS = frozenset({SignMethod.DRAWN, SignMethod.LINK_DRAWN})
LINK_METHODS = frozenset({SignMethod.LINK_DRAWN, SignMethod.LINK_CHECKBOX})

SIGNER_NAME_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse(message, code: str):
    raise ValidationError(message, code=code)


def signature_png_from_data_url(data_url: str, *, strokes: int | None = None) -> bytes:
    """The PNG bytes of a pad's `data:image/png;base64,…` URL, or ValidationError.

    Refuses anything but a PNG data URL, more than 300 KB decoded, a PNG whose header is not a
    sane 8-bit image, and an empty pad: no strokes (`strokes`, counted by the page's script) or
    an image with no visible pixel.
    """
    if strokes is not None and strokes < 1:
        _refuse(_("Sign in the box first: it is empty."), "empty")
    if strokes is not None and strokes > MAX_STROKES:
        _refuse(_("This signature cannot be read: clear the box and sign again."), "invalid")
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX):
        _refuse(_("Sign in the box first: it is empty."), "empty")
    if len(data_url) > MAX_DATA_URL_LENGTH:
        _refuse(_("This signature is too large: clear the box and sign again."), "too_large")
    encoded = data_url[len(DATA_URL_PREFIX) :]
    if not _BASE64.fullmatch(encoded):
        _refuse(_("This signature cannot be read: clear the box and sign again."), "invalid")
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        _refuse(_("This signature cannot be read: clear the box and sign again."), "invalid")
    if len(png) > MAX_PNG_BYTES:
        _refuse(_("This signature is too large: clear the box and sign again."), "too_large")
    if not _png_has_ink(png):
        _refuse(_("Sign in the box first: it is empty."), "empty")
    return png


def _png_has_ink(png: bytes) -> bool:
    """True when `png` is a sane 8-bit RGB/RGBA PNG with at least one non-blank pixel; raises
    ValidationError for a file that is not one. Decompression is bounded by the header's own
    (already bounded) size, so a compressed bomb cannot grow past it."""
    invalid = _("This signature cannot be read: clear the box and sign again.")
    if len(png) < 8 + 25 or not png.startswith(_PNG_MAGIC) or png[12:16] != b"IHDR":
        _refuse(invalid, "invalid")
    length, width, height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">I4xIIBBBBB", png[8 : 8 + 4 + 4 + 13]
    )
    if length != 13 or not (1 <= width <= MAX_PNG_SIDE and 1 <= height <= MAX_PNG_SIDE):
        _refuse(invalid, "invalid")
    if width * height > MAX_PNG_PIXELS or depth != 8 or colour not in (2, 6) or interlace != 0:
        _refuse(invalid, "invalid")
    channels = 4 if colour == 6 else 3
    idat = bytearray()
    offset = 8
    seen_end = False
    while offset + 8 <= len(png):
        (size,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if offset + 12 + size > len(png):
            _refuse(invalid, "invalid")
        if kind == b"IDAT":
            idat += png[offset + 8 : offset + 8 + size]
        elif kind == b"IEND":
            seen_end = True
            break
        offset += 12 + size
    if not seen_end or not idat:
        _refuse(invalid, "invalid")
    row = 1 + width * channels
    expected = row * height
    try:
        raw = zlib.decompressobj().decompress(bytes(idat), expected + 1)
    except zlib.error:
        _refuse(invalid, "invalid")
    if len(raw) != expected:
        _refuse(invalid, "invalid")
    # Each scanline starts with its filter byte; the pixels of a blank transparent canvas are all
    # zero whatever the filter, so one non-zero pixel byte (a stroke's alpha) means ink. An opaque
    # blank image (no alpha) is caught by the stroke count instead.
    blank_row = bytes(row - 1)
    return any(raw[start + 1 : start + row] != blank_row for start in range(0, expected, row))


def parse_strokes(value) -> int | None:
    """The stroke count a page sent (ASCII digits only), None when absent or unreadable."""
    from studio.inputs import parse_int_param

    return parse_int_param(value)


# --- who signs --------------------------------------------------------------------------------


def signer_name_clean(value: str) -> str:
    """The typed name, trimmed; ValidationError when empty, too long or holding control characters."""
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        _refuse(_("Type the signer's full name."), "name")
    if len(name) > SIGNER_NAME_MAX:
        _refuse(_("The name is too long (200 characters at most)."), "name")
    if _CONTROL.search(name):
        _refuse(_("The name holds characters that cannot be stored."), "name")
    return name


def guardians_of(*, client: Client) -> list[Client]:
    """The client's guardians (CORE-4), who may sign at the client's name, in link order."""
    links = (
        FamilyLink.objects.filter(studio_id=client.studio_id, dependant=client)
        .select_related("guardian")
        .order_by("created_at", "id")
    )
    return [link.guardian for link in links]


def signer_may_sign(*, waiver: Waiver, client: Client, signer: Client) -> bool:
    """A child waiver is signed by one of the child's guardians; any other waiver by the client
    themself or by one of their guardians."""
    if signer.studio_id != client.studio_id:
        return False
    is_guardian = FamilyLink.objects.filter(
        studio_id=client.studio_id, guardian=signer, dependant=client
    ).exists()
    if waiver.kind == WaiverKind.CHILD:
        return signer.pk != client.pk and is_guardian
    return signer.pk == client.pk or is_guardian


def _ip_or_none(value) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _user_agent(value) -> str:
    return _CONTROL.sub("", str(value or ""))[:400]


# --- signing ----------------------------------------------------------------------------------


def waiver_sign(
    *,
    studio: Studio,
    waiver: Waiver,
    client: Client,
    signer: Client,
    method: str,
    signer_name: str,
    language: str,
    signature_png: bytes | None,
    ip_address: str | None,
    user_agent: str,
    link: WaiverLink | None = None,
    witnessed_by: User | None = None,
    form_token: str | None = None,
    version_shown: int | None = None,
    now: dt.datetime | None = None,
) -> WaiverSignature:
    """Sign `waiver`'s current published version for `client`, by `signer`; the signature.

    The text is `waiver_text_for(version, language)` and the record keeps its SHA-256, the
    language actually shown and the studio's zone. Refused (ValidationError with a code): a
    waiver that is archived or has no published version; a name that is empty, too long or holds
    control characters; a signer who may not sign for the client (a child waiver needs one of
    the child's guardians); a drawn method without its PNG, a checkbox method with one; a link
    method without an open link of this waiver, client and signer; `version_shown` (the version
    number the page displayed) no longer current.

    Exactly once: under the waiver's row lock, a signature of the current version for this
    client already there is returned instead of a second one (a double submit, a link opened
    twice, a client who already signed in person). `form_token` is accepted for callers that
    carry one; the lock makes it unnecessary. Enqueues "waivers.signature_confirm" after commit.
    """
    now = now or timezone.now()
    name = signer_name_clean(signer_name)
    if method not in SignMethod.values:
        _refuse(_("Choose how the waiver is signed."), "method")
    if {waiver.studio_id, client.studio_id, signer.studio_id} != {studio.pk}:
        _refuse(_("This waiver or client belongs to another studio."), "studio")
    if method in DRAWN_METHODS and not signature_png:
        _refuse(_("Sign in the box first: it is empty."), "empty")
    if method not in DRAWN_METHODS and signature_png:
        _refuse(_("A checkbox acceptance carries no drawn signature."), "method")
    if signature_png and len(signature_png) > MAX_PNG_BYTES:
        _refuse(_("This signature is too large: clear the box and sign again."), "too_large")
    if signature_png and not _png_has_ink(signature_png):  # whoever the caller, only a real drawing
        _refuse(_("Sign in the box first: it is empty."), "empty")
    if (method in LINK_METHODS) != (link is not None):
        _refuse(_("This way of signing needs the emailed link."), "method")

    with transaction.atomic():
        locked = Waiver.objects.select_for_update().get(studio=studio, pk=waiver.pk)
        version = locked.current_version
        if locked.archived_at is not None:
            _refuse(_("This waiver is archived: it can no longer be signed."), "archived")
        if version is None or version.published_at is None:
            _refuse(_("This waiver has no published text yet."), "draft")
        if version_shown is not None and version.number != version_shown:
            _refuse(_("The waiver was updated while it was open: read the new text, then sign."), "version")
        if link is not None:
            link = _link_locked_for_signing(studio=studio, link=link, now=now)
            if (link.waiver_id, link.client_id, link.signer_id) != (locked.pk, client.pk, signer.pk):
                _refuse(_("This link is for another waiver or person."), "link")
        if not signer_may_sign(waiver=locked, client=client, signer=signer):
            if locked.kind == WaiverKind.CHILD:
                _refuse(_("A child waiver is signed by one of the child's guardians."), "guardian")
            _refuse(_("Only the client or one of their guardians may sign this waiver."), "guardian")

        existing = (
            WaiverSignature.objects.filter(studio=studio, waiver=locked, version=version, client=client)
            .order_by("signed_at", "id")
            .first()
        )
        if existing is not None:
            if link is not None:
                _mark_link_used(link, now)
            return existing

        shown = waiver_text_for(version=version, language=language)
        signature = WaiverSignature.objects.create(
            studio=studio,
            waiver=locked,
            version=version,
            client=client,
            signer=signer,
            signer_name=name,
            method=method,
            language=shown.language,
            text_sha256=text_sha256(shown.body_html),
            signature_png=bytes(signature_png) if method in DRAWN_METHODS else None,
            signed_at=now,
            time_zone=studio.time_zone or "UTC",
            ip_address=_ip_or_none(ip_address),
            user_agent=_user_agent(user_agent),
            link=link,
            witnessed_by=witnessed_by,
        )
        if link is not None:
            _mark_link_used(link, now)
        audit_record(
            studio=studio,
            actor=Actor(user=witnessed_by or signer.user, ip_address=_ip_or_none(ip_address)),
            action="waiver.signed",
            obj=signature,
            changes={
                "waiver": locked.name,
                "version_number": version.number,
                "sign_method": method,
                "signed_for": client.full_name,
                "signer_name": name,
            },
        )
        _enqueue_confirmation(studio=studio, signature=signature)
    return signature


def _enqueue_confirmation(*, studio: Studio, signature: WaiverSignature) -> None:
    """The confirmation email with the PDF (wrec's task), sent after commit. A signature is
    valid without it: a missing task is logged, never turned into a refused signature."""
    try:
        enqueue_by_name(CONFIRM_TASK, studio.pk, signature.pk)
    except LookupError:
        logger.warning(
            "task %s is not registered: no confirmation for signature %s", CONFIRM_TASK, signature.pk
        )


# --- emailed links ----------------------------------------------------------------------------


class LinkRefused(Exception):
    """An emailed link that cannot be used. `code`: unknown (never issued here, tampered, or
    another studio's), expired, used, archived (the waiver is archived or has no published text)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_TOKEN = re.compile(r"[A-Za-z0-9_-]{40,50}")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _link_state(link: WaiverLink, now: dt.datetime) -> str | None:
    """Why `link` cannot be used now (a LinkRefused code), None when it can."""
    if link.used_at is not None:
        return "used"
    if now >= link.expires_at:
        return "expired"
    waiver = link.waiver
    if waiver.archived_at is not None or waiver.current_version_id is None:
        return "archived"
    return None


def waiver_link_open(*, studio: Studio, token: str, now: dt.datetime | None = None) -> WaiverLink:
    """The studio's open link for `token`; LinkRefused(code) otherwise. Looked up by the token's
    SHA-256 within `studio` only: another studio's token is unknown here."""
    now = now or timezone.now()
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise LinkRefused("unknown")
    link = (
        WaiverLink.objects.filter(studio=studio, token_sha256=_token_hash(token))
        .select_related("waiver__current_version", "client", "signer")
        .first()
    )
    if link is None:
        raise LinkRefused("unknown")
    state = _link_state(link, now)
    if state is not None:
        raise LinkRefused(state)
    return link


def _link_locked_for_signing(*, studio: Studio, link: WaiverLink, now: dt.datetime) -> WaiverLink:
    """The link row, locked and re-read, still open (ValidationError with the refusal's code)."""
    locked = (
        WaiverLink.objects.select_for_update(of=("self",))
        .select_related("waiver")
        .filter(studio=studio, pk=link.pk)
        .first()
    )
    state = "unknown" if locked is None else _link_state(locked, now)
    if state is not None:
        _refuse(LINK_REFUSALS.get(state, LINK_REFUSALS["unknown"]), f"link_{state}")
    return locked


def _mark_link_used(link: WaiverLink, now: dt.datetime) -> None:
    link.used_at = now
    link.save(update_fields=["used_at"])


LINK_REFUSALS = {
    "unknown": _("This signing link is not valid. Ask the studio for a new one."),
    "expired": _("This signing link has expired. Ask the studio for a new one."),
    "used": _("This signing link has already been used: the waiver is signed."),
    "archived": _("This waiver can no longer be signed. Ask the studio for help."),
}


def link_signer_for(*, waiver: Waiver, client: Client, signer: Client | None = None) -> Client:
    """Who receives the link: `signer` when given (checked), else the client — or, for a child
    waiver or a client without an email address, their first guardian who has one."""
    if signer is not None:
        if not signer_may_sign(waiver=waiver, client=client, signer=signer):
            _refuse(_("This person may not sign this waiver for the client."), "guardian")
        return signer
    if waiver.kind != WaiverKind.CHILD and client.email:
        return client
    for guardian in guardians_of(client=client):
        if guardian.email:
            return guardian
    if waiver.kind == WaiverKind.CHILD:
        _refuse(_("No guardian of this client has an email address to send the link to."), "no_email")
    _refuse(_("This client has no email address to send the link to."), "no_email")


def waiver_link_send(
    *,
    studio: Studio,
    actor: Actor,
    waiver: Waiver,
    client: Client,
    signer: Client | None = None,
    now: dt.datetime | None = None,
) -> WaiverLink:
    """Email a single-use link to sign `waiver` for `client` (to `signer`, see `link_signer_for`),
    valid for the studio's `link_valid_days`, in the signer's language ("waivers.link").

    Only the SHA-256 of the token is stored; the token travels in the email alone. Refused
    (ValidationError): an archived waiver or one without published text, a signer without an
    email address or not allowed to sign for the client.
    """
    from studio.notifications.services import Addressee, ReaderDate, absolute_url, notification_send

    now = now or timezone.now()
    if {waiver.studio_id, client.studio_id} != {studio.pk}:
        _refuse(_("This waiver or client belongs to another studio."), "studio")
    if waiver.archived_at is not None:
        _refuse(_("This waiver is archived: it can no longer be signed."), "archived")
    if waiver.current_version_id is None:
        _refuse(_("This waiver has no published text yet."), "draft")
    signer = link_signer_for(waiver=waiver, client=client, signer=signer)
    if not signer.email:
        _refuse(_("This client has no email address to send the link to."), "no_email")
    days = waiver_settings_for(studio=studio).link_valid_days or 7
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = WaiverLink.objects.create(
            studio=studio,
            waiver=waiver,
            client=client,
            signer=signer,
            token_sha256=_token_hash(token),
            sent_to=signer.email[:254],
            expires_at=now + dt.timedelta(days=days),
            created_by=actor.user,
        )
        from django.urls import reverse

        url = absolute_url(reverse("waiver-link-sign", kwargs={"studio_slug": studio.slug, "token": token}))
        with timezone.override(_zone(studio)):
            expires = timezone.localtime(link.expires_at)
        notification_send(
            studio=studio,
            recipient=Addressee(
                email=signer.email,
                language=signer.language or studio.language,
                name=signer.first_name,
                client=signer,
                about_client=client,
                user=signer.user,
            ),
            template=LINK_TEMPLATE,
            context={
                "waiver_name": waiver.name,
                "client": client,
                "signer": signer,
                "for_someone_else": signer.pk != client.pk,
                "url": url,
                "expires": ReaderDate(expires, "DATETIME_FORMAT"),
                "days": days,
            },
        )
        audit_record(
            studio=studio,
            actor=actor,
            action="waiver.link_sent",
            obj=link,
            changes={"waiver": waiver.name, "signed_for": client.full_name, "sent_to": link.sent_to},
        )
    return link


def _zone(studio: Studio):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(studio.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
