"""The PDF of a signed waiver (WAI-4), through the platform's one PDF path (studio.documents).

It states what the record page states — who signed, for whom, how, when (UTC and the studio's
zone), from where, the version and its hash with the check — in the reader's language, and the
text agreed to in the language it was shown, exactly as stored (re-sanitised: see
waivers/selectors/records.py), then the drawn signature.
"""

from __future__ import annotations

import base64

from django.utils import translation
from django.utils.text import slugify

from studio.documents.services import document_render_pdf
from waivers.models import WaiverSignature
from waivers.selectors.records import signature_facts

TEMPLATE = "waivers/documents/signature.html"


def signature_png_data_uri(signature: WaiverSignature) -> str:
    """The drawn signature inlined (WeasyPrint then needs no web server), "" when none."""
    png = bytes(signature.signature_png or b"")
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return ""  # only a PNG is ever embedded, whatever a row might hold
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def signature_pdf_context(*, signature: WaiverSignature) -> dict:
    return {
        "facts": signature_facts(signature=signature),
        "signature_image": signature_png_data_uri(signature),
    }


def signature_pdf(*, signature: WaiverSignature, language: str | None = None) -> bytes:
    """The signed record as PDF bytes, its facts in `language` (the reader's; the active
    language when None), on the studio's branding."""
    return document_render_pdf(
        template=TEMPLATE,
        context=signature_pdf_context(signature=signature),
        language=language or translation.get_language() or signature.studio.language,
        studio=signature.studio,
    )


def signature_pdf_filename(signature: WaiverSignature) -> str:
    """`waiver-<name>-<client>-<id>.pdf`, ASCII only (a header value)."""
    stem = slugify(f"{signature.waiver.name} {signature.client.full_name}")[:80] or "waiver"
    return f"{stem}-{signature.pk}.pdf"
