"""Signing pages (WAI-3): the staff tablet, sending a link, the emailed link's hosted page and the
signed-in client's own page. Thin: a form, one service, a redirect or a page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from studio.access import client_ip_address, client_required, staff_required
from studio.inputs import parse_int_param
from studio.models import Client, FamilyLink
from studio.permissions import Perm
from studio.services import Actor
from waivers.forms.signing import InPersonSignatureForm, SignatureForm
from waivers.models import SignMethod, Waiver, WaiverKind
from waivers.selectors.signing import signature_of_current_version
from waivers.selectors.templates import waiver_text_for
from waivers.services.signing import (
    LINK_REFUSALS,
    LinkRefused,
    guardians_of,
    waiver_link_open,
    waiver_link_send,
    waiver_sign,
)

SIGNED_LINKS_SESSION_KEY = "waivers_signed_links"
LANGUAGES = ("fr", "en")


def _signable_waiver(pk: int) -> Waiver:
    """A waiver that can be signed now: not archived, with a published version (404 otherwise)."""
    return get_object_or_404(
        Waiver.objects.select_related("current_version"),
        pk=pk,
        archived_at__isnull=True,
        current_version__isnull=False,
    )


def _language(request, default: str, *, visitor_choice: bool = False) -> str:
    """The text's language: `?lang=` when it names one of ours; then, on the signer's own pages
    (`visitor_choice`), the language they chose with the page's switch (its cookie); else
    `default` (the signer's)."""
    from django.conf import settings

    wanted = request.GET.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") if visitor_choice else ""
    if chosen in LANGUAGES:
        return chosen
    return default if default in LANGUAGES else "fr"


def _other_language(request, shown_language: str, version) -> dict:
    """The other language's code and this page's URL showing it (the query string kept); nothing
    when the version has no text in that language."""
    other = "en" if shown_language == "fr" else "fr"
    if not (getattr(version, f"body_{other}") or "").strip():
        return {}
    query = request.GET.copy()
    query["lang"] = other
    return {"other_language": other, "other_language_url": f"{request.path}?{query.urlencode()}"}


def _service_errors(form, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def _request_facts(request) -> dict:
    return {
        "ip_address": client_ip_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
    }


def _sign_from_form(request, form, *, waiver, client, signer, shown, drawn_method, ticked_method, **extra):
    """Sign with what a valid signature form holds (the pad's image when drawn, else the ticked
    box), as the page showed it: its version and language, and the request's IP and browser."""
    drawn = form.cleaned_data["drawn"]
    return waiver_sign(
        studio=request.studio,
        waiver=waiver,
        client=client,
        signer=signer,
        method=drawn_method if drawn else ticked_method,
        signer_name=form.cleaned_data["signer_name"],
        language=shown.language,
        signature_png=form.cleaned_data["png"] if drawn else None,
        version_shown=form.cleaned_data["version"],
        **_request_facts(request),
        **extra,
    )


def _after_staff_signature(request, signature, client) -> str:
    """Back where staff came from (`?next=`, e.g. the sale a missing waiver stopped), else the
    signed record's page."""
    if _local_next(request):
        return _local_next(request)
    try:  # the record page (wrec) when it exists, else the client's profile
        return reverse("waiver-signature", kwargs={"studio_slug": request.studio.slug, "pk": signature.pk})
    except NoReverseMatch:
        return reverse("client-detail", kwargs={"studio_slug": request.studio.slug, "pk": client.pk})


# --- staff: in person on a tablet ----------------------------------------------------------


@staff_required(Perm.MANAGE_CLIENTS)
@never_cache
def client_waiver_sign(request, pk, waiver_pk):
    client = get_object_or_404(Client, pk=pk)
    waiver = _signable_waiver(waiver_pk)
    version = waiver.current_version
    child = waiver.kind == WaiverKind.CHILD
    guardians = guardians_of(client=client) if child else None
    language = _language(request, client.preferred_language)
    shown = waiver_text_for(version=version, language=language)
    profile_url = reverse("client-detail", kwargs={"studio_slug": request.studio.slug, "pk": client.pk})
    initial = {"version": str(version.number), "signer_name": client.full_name}
    if child and guardians:
        initial["guardian"] = guardians[0].pk
        initial["signer_name"] = guardians[0].full_name
    form = InPersonSignatureForm(request.POST or None, initial=initial, guardians=guardians)
    if request.method == "POST" and (not child or guardians) and form.is_valid():
        signer = form.cleaned_data.get("guardian") or client
        try:
            signature = _sign_from_form(
                request,
                form,
                waiver=waiver,
                client=client,
                signer=signer,
                shown=shown,
                drawn_method=SignMethod.DRAWN,
                ticked_method=SignMethod.DRAWN,  # the tablet form has no checkbox: always drawn
                witnessed_by=request.user,
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Waiver signed — %(waiver)s.") % {"waiver": waiver.name})
            return redirect(_after_staff_signature(request, signature, client))
    return render(
        request,
        "waivers/sign/staff.html",
        {
            "client": client,
            "waiver": waiver,
            "version": version,
            "shown": shown,
            "form": form,
            "child": child,
            "guardians": guardians,
            "profile_url": profile_url,
            **_other_language(request, shown.language, version),
            "already": signature_of_current_version(waiver=waiver, client=client),
        },
    )


@staff_required(Perm.MANAGE_CLIENTS)
@require_POST
def client_waiver_send(request, pk, waiver_pk):
    client = get_object_or_404(Client, pk=pk)
    waiver = _signable_waiver(waiver_pk)
    signer = None
    signer_id = parse_int_param(request.POST.get("signer"))
    if signer_id is not None:
        link = get_object_or_404(
            FamilyLink.objects.select_related("guardian"), dependant=client, guardian_id=signer_id
        )
        signer = link.guardian
    try:
        link = waiver_link_send(
            studio=request.studio,
            actor=Actor.from_request(request),
            waiver=waiver,
            client=client,
            signer=signer,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Signing link sent to %(email)s — %(waiver)s.")
            % {"email": link.sent_to, "waiver": waiver.name},
        )
    # Back where staff came from (`?next=`, e.g. the POS sale waiting for the signature).
    return redirect(
        _local_next(request)
        or reverse("client-detail", kwargs={"studio_slug": request.studio.slug, "pk": client.pk})
    )


# --- public: the emailed link ---------------------------------------------------------------

REFUSAL_STATUS = {"unknown": 404, "expired": 410, "used": 410, "archived": 410}


def _link_refused(request, code: str, *, language: str | None = None):
    signed_here = code == "used" and request.session.get("waivers_signed_link_hash") == _token_key(request)
    template = "waivers/sign/thanks.html" if signed_here else "waivers/sign/refused.html"
    with translation.override(language or translation.get_language()):
        return render(
            request,
            template,
            {"code": code, "reason": LINK_REFUSALS.get(code, LINK_REFUSALS["unknown"])},
            status=200 if signed_here else REFUSAL_STATUS.get(code, 404),
        )


def _token_key(request) -> str:
    import hashlib

    return hashlib.sha256(request.path.encode("utf-8", "replace")).hexdigest()


@never_cache
def waiver_link_sign(request, token):
    """The hosted page an emailed link opens (public: the token is the credential)."""
    try:
        link = waiver_link_open(studio=request.studio, token=token)
    except LinkRefused as refused:
        return _link_refused(request, refused.code)
    signer, client, waiver = link.signer, link.client, link.waiver
    version = waiver.current_version
    language = _language(request, signer.preferred_language, visitor_choice=True)
    with translation.override(language):
        shown = waiver_text_for(version=version, language=language)
        form = SignatureForm(
            request.POST or None,
            checkbox_allowed=True,
            initial={"version": str(version.number), "signer_name": signer.full_name},
        )
        if request.method == "POST" and form.is_valid():
            try:
                _sign_from_form(
                    request,
                    form,
                    waiver=waiver,
                    client=client,
                    signer=signer,
                    shown=shown,
                    drawn_method=SignMethod.LINK_DRAWN,
                    ticked_method=SignMethod.LINK_CHECKBOX,
                    link=link,
                )
            except ValidationError as error:
                codes = {getattr(e, "code", "") for e in error.error_list}
                refused = next((c[5:] for c in codes if c and c.startswith("link_")), None)
                if refused:
                    return _link_refused(request, refused, language=language)
                _service_errors(form, error)
            else:
                request.session["waivers_signed_link_hash"] = _token_key(request)
                return redirect(request.path)
        return render(
            request,
            "waivers/sign/link.html",
            {
                "waiver": waiver,
                "client": client,
                "signer": signer,
                "shown": shown,
                "form": form,
                "for_someone_else": signer.pk != client.pk,
                **_other_language(request, shown.language, version),
            },
        )


# --- the signed-in client -------------------------------------------------------------------


def _local_next(request) -> str:
    """`?next=` when it is a path on this site (never another host, scheme or `//host`), else ""."""
    target = request.GET.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) <= 2000
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return target
    return ""


def _safe_next(request) -> str:
    return _local_next(request) or reverse("account-home", kwargs={"studio_slug": request.studio.slug})


@client_required
@never_cache
def account_waiver_sign(request, waiver_pk):
    """The client accepts a waiver from their account (or for a dependant, `?for=`); a refused
    booking or purchase sends them here with `?next=` to come back to."""
    me = request.client_profile
    waiver = _signable_waiver(waiver_pk)
    client = me
    for_id = parse_int_param(request.GET.get("for"))
    if request.GET.get("for") and for_id is None:
        raise Http404("not a dependant")
    if for_id is not None and for_id != me.pk:
        link = get_object_or_404(
            FamilyLink.objects.select_related("dependant"), guardian=me, dependant_id=for_id
        )
        client = link.dependant
    if waiver.kind == WaiverKind.CHILD and client.pk == me.pk:
        raise Http404("a child waiver is signed for a dependant")
    version = waiver.current_version
    next_url = _safe_next(request)
    language = _language(request, me.preferred_language, visitor_choice=True)
    shown = waiver_text_for(version=version, language=language)
    form = SignatureForm(
        request.POST or None,
        checkbox_allowed=True,
        initial={"version": str(version.number), "signer_name": me.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _sign_from_form(
                request,
                form,
                waiver=waiver,
                client=client,
                signer=me,
                shown=shown,
                drawn_method=SignMethod.DRAWN,
                ticked_method=SignMethod.CHECKBOX,
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("Waiver signed — %(waiver)s. Thank you!") % {"waiver": waiver.name})
            return redirect(next_url)
    return render(
        request,
        "waivers/sign/account.html",
        {
            "waiver": waiver,
            "client": client,
            "shown": shown,
            "form": form,
            "for_someone_else": client.pk != me.pk,
            "next_url": next_url,
            **_other_language(request, shown.language, version),
            "already": signature_of_current_version(waiver=waiver, client=client),
        },
    )
