"""Reads of stored documents."""

from __future__ import annotations

from studio.documents.models import StoredDocument
from studio.models import Client


def documents_for_client(*, client: Client, limit: int = 10) -> list[StoredDocument]:
    """A client's latest documents, without their bytes (for a profile panel)."""
    return list(
        StoredDocument.objects.filter(studio_id=client.studio_id, client=client).defer("content")[:limit]
    )
