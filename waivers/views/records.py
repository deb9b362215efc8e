"""Signed records (WAI-4): the staff record page, its signature image and PDF; the client's own
list of waivers and their PDFs on the account pages."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from studio.access import client_required, staff_required
from studio.permissions import Perm
from waivers.documents import signature_pdf, signature_pdf_filename
from waivers.selectors.accounts import account_waiver_rows
from waivers.selectors.records import signature_facts, signature_for_client_account, signature_for_staff


def _pdf_response(signature) -> HttpResponse:
    response = HttpResponse(signature_pdf(signature=signature), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{signature_pdf_filename(signature)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _version_url(request, signature) -> str:
    """The version page (wtpl's) for staff who manage waivers; the record page shows the text anyway."""
    if not request.staff.has_perm(Perm.MANAGE_WAIVERS):
        return ""
    try:
        return reverse(
            "waiver-version",
            kwargs={
                "studio_slug": request.studio.slug,
                "pk": signature.waiver_id,
                "number": signature.version.number,
            },
        )
    except NoReverseMatch:
        return ""


@staff_required(Perm.VIEW_CLIENTS)
def signature_detail(request, pk):
    signature = signature_for_staff(studio=request.studio, pk=pk)
    signature.studio = request.studio
    context = {"facts": signature_facts(signature=signature), "version_url": _version_url(request, signature)}
    return render(request, "waivers/records/signature.html", context)


@staff_required(Perm.VIEW_CLIENTS)
def signature_image(request, pk):
    signature = signature_for_staff(studio=request.studio, pk=pk)
    png = bytes(signature.signature_png or b"")
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise Http404("no drawn signature")
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@staff_required(Perm.VIEW_CLIENTS)
def signature_pdf_staff(request, pk):
    signature = signature_for_staff(studio=request.studio, pk=pk)
    signature.studio = request.studio
    return _pdf_response(signature)


@client_required
def account_waivers(request):
    client = request.client_profile
    return render(request, "waivers/account/waivers.html", account_waiver_rows(client=client))


@client_required
def account_waiver_pdf(request, pk):
    signature = signature_for_client_account(client=request.client_profile, pk=pk)
    signature.studio = request.studio
    return _pdf_response(signature)
