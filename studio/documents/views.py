"""Download a stored document (staff)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify

from studio.access import staff_required
from studio.documents.models import StoredDocument
from studio.permissions import Perm


@staff_required(Perm.VIEW_CLIENTS)
def document_download(request, pk):
    # The scope finds only this studio's documents: another studio's id is a 404.
    document = get_object_or_404(StoredDocument, pk=pk)
    if not request.staff.has_perm(document.permission):
        raise PermissionDenied(document.permission)
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    filename = f"{slugify(document.title) or 'document'}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
