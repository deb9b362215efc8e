"""Render a template to PDF, and keep a generated PDF for later download."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation

from studio.documents.models import StoredDocument
from studio.models import Client, Studio, User
from studio.permissions import Perm

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Atelier Lato"


def _logo_data_uri(studio: Studio) -> str:
    """The logo inlined: WeasyPrint then needs no web server, and any storage backend works."""
    if not studio.logo:
        return ""
    try:
        with studio.logo.open("rb") as fh:
            data = fh.read()
    except (OSError, ValueError):
        return ""  # a missing logo file must not stop a receipt
    mime = mimetypes.guess_type(studio.logo.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def document_render_pdf(*, template: str, context: dict, language: str, studio: Studio) -> bytes:
    """Render `template` (extending studio/documents/base.html) to PDF bytes.

    In `language` (the reader's), with the studio's name, logo and colours, and the fonts
    shipped in studio/documents/fonts/ so accents and currency signs look the same everywhere.
    """
    from weasyprint import HTML  # heavy import (pango): only where a PDF is made

    brand = {
        "name": studio.name,
        "logo_data_uri": _logo_data_uri(studio),
        "primary": studio.brand_primary,
        "accent": studio.brand_accent,
    }
    full_context = {
        **context,
        "studio": studio,
        "brand": brand,
        "font_dir": FONT_DIR.as_uri() + "/",
        "font_family": FONT_FAMILY,
        "document_language": language,
    }
    with translation.override(language):
        html = render_to_string(template, full_context)
    return HTML(string=html, base_url=FONT_DIR.as_uri() + "/").write_pdf()


def document_store(
    *,
    studio: Studio,
    title: str,
    pdf: bytes,
    template: str,
    language: str,
    permission: str = Perm.VIEW_CLIENTS,
    client: Client | None = None,
    created_by: User | None = None,
) -> StoredDocument:
    """Keep a generated PDF in its studio; staff holding `permission` may download it."""
    if client is not None and client.studio_id != studio.pk:
        raise ValueError("the client belongs to another studio")
    return StoredDocument.objects.create(
        studio=studio,
        title=title[:200],
        template=template,
        language=language,
        content=pdf,
        size=len(pdf),
        permission=permission,
        client=client,
        created_by=created_by,
    )


def document_create(
    *,
    studio: Studio,
    title: str,
    template: str,
    context: dict,
    language: str,
    permission: str = Perm.VIEW_CLIENTS,
    client: Client | None = None,
    created_by: User | None = None,
) -> StoredDocument:
    """Render and keep in one call (what most apps want)."""
    pdf = document_render_pdf(template=template, context=context, language=language, studio=studio)
    return document_store(
        studio=studio,
        title=title,
        pdf=pdf,
        template=template,
        language=language,
        permission=permission,
        client=client,
        created_by=created_by,
    )
