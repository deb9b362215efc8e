"""Staff pages of waiver templates and versions (WAI-1, WAI-2): list, create, edit, publish,
read a version, archive, settings. Thin: a form, one service, a redirect or a page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.permissions import Perm
from studio.services import Actor
from waivers.forms.templates import (
    KIND_HELP,
    WaiverCreateForm,
    WaiverEditForm,
    WaiverPublishForm,
    WaiverSettingsForm,
)
from waivers.sanitize import waiver_html_clean
from waivers.selectors import templates as selectors
from waivers.services import templates as services
from waivers.standard_texts import standard_text

TRIX_JS = "vendor/trix/trix.umd.min.js"
TRIX_CSS = "vendor/trix/trix.css"


def _add_errors(form, exc: ValidationError) -> None:
    """The service's refusals beside their fields when the form has them, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _edit_url(request, waiver) -> str:
    return reverse("waiver-edit", kwargs={"studio_slug": request.studio.slug, "pk": waiver.pk})


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_list(request):
    include_archived = request.GET.get("archived") == "1"
    rows = selectors.waiver_list(studio=request.studio, include_archived=include_archived)
    return render(
        request,
        "waivers/manage/list.html",
        {"rows": rows, "include_archived": include_archived},
    )


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_create(request):
    form = WaiverCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            waiver = services.waiver_create(
                studio=request.studio,
                actor=Actor.from_request(request),
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Waiver created from our standard text. Adapt it to your studio, then publish it."),
            )
            return redirect(_edit_url(request, waiver))
    kinds = [(value, label, KIND_HELP[value]) for value, label in form.fields["kind"].choices]
    return render(request, "waivers/manage/create.html", {"form": form, "kinds": kinds})


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_edit(request, pk):
    waiver = selectors.waiver_for_staff(studio=request.studio, pk=pk)
    latest = selectors.waiver_latest_version(waiver=waiver)
    if latest is not None:
        initial = {
            "title_fr": latest.title_fr,
            "title_en": latest.title_en,
            "body_fr": latest.body_fr,
            "body_en": latest.body_en,
        }
    else:  # a waiver created outside the pages without a version: start from the standard text
        title_fr, body_fr = standard_text(kind=waiver.kind, language="fr")
        title_en, body_en = standard_text(kind=waiver.kind, language="en")
        initial = {"title_fr": title_fr, "title_en": title_en, "body_fr": body_fr, "body_en": body_en}
    initial["name"] = waiver.name
    form = WaiverEditForm(request.POST or None, initial=initial)
    archived = waiver.archived_at is not None
    if request.method == "POST" and not archived and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.waiver_draft_save(
                studio=request.studio,
                actor=Actor.from_request(request),
                waiver=waiver,
                name=data["name"],
                title_fr=data["title_fr"],
                title_en=data["title_en"],
                body_fr=data["body_fr"],
                body_en=data["body_en"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if version.published_at is None:
                messages.success(
                    request,
                    _("Draft of version %(number)s saved. Clients see it once you publish it.")
                    % {"number": version.number},
                )
            else:
                messages.success(request, _("Saved. The text is the published one: nothing to publish."))
            return redirect(_edit_url(request, waiver))
    elif request.method == "POST" and archived:
        form.add_error(None, _("This waiver is archived. Restore it before changing it."))
    draft = latest if latest is not None and latest.published_at is None else None
    return render(
        request,
        "waivers/manage/edit.html",
        {
            "waiver": waiver,
            "form": form,
            "draft": draft,
            "versions": selectors.waiver_versions(waiver=waiver),
            "archived": archived,
            "trix_js": TRIX_JS,
            "trix_css": TRIX_CSS,
        },
    )


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_publish(request, pk):
    """GET or a first POST: the question (ask earlier signers to sign again?); the POST with
    `confirmed=1` publishes."""
    waiver = selectors.waiver_for_staff(studio=request.studio, pk=pk)
    draft = selectors.waiver_draft(waiver=waiver)
    form = WaiverPublishForm(request.POST if is_confirmed(request) else None)
    if request.method == "POST" and is_confirmed(request) and form.is_valid():
        try:
            version = services.waiver_publish(
                studio=request.studio,
                actor=Actor.from_request(request),
                waiver=waiver,
                resign_required=form.cleaned_data["resign_required"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if version.resign_required:
                text = _("Version %(number)s published. Earlier signers will be asked to sign it.")
            else:
                text = _("Version %(number)s published.")
            messages.success(request, text % {"number": version.number})
            return redirect(_edit_url(request, waiver))
    current = waiver.current_version
    return render(
        request,
        "waivers/manage/publish.html",
        {
            "waiver": waiver,
            "draft": draft,
            "current": current,
            "earlier_signers": selectors.waiver_signer_count(waiver=waiver) if current else 0,
            "form": form,
            "back_url": _edit_url(request, waiver),
        },
    )


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_version(request, pk, number):
    version = selectors.waiver_version_for_staff(studio=request.studio, waiver_pk=pk, number=number)
    waiver = version.waiver
    return render(
        request,
        "waivers/manage/version.html",
        {
            "waiver": waiver,
            "version": version,
            # Stored clean; cleaned again on the way out (idempotent), in case a row was ever
            # written around the services.
            "texts": [
                ("fr", _("French"), version.title_fr, waiver_html_clean(version.body_fr)),
                ("en", _("English"), version.title_en, waiver_html_clean(version.body_en)),
            ],
            "is_current": waiver.current_version_id == version.pk,
        },
    )


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_archive(request, pk):
    """POST: archive (or, with restore=1, restore) after a confirmation page."""
    waiver = selectors.waiver_for_staff(studio=request.studio, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archive = request.POST.get("restore") != "1"
    back = _edit_url(request, waiver)
    if not is_confirmed(request):
        if archive:
            lines = [
                _("“%(name)s” is no longer asked for at booking or purchase, nor offered for signing.")
                % {"name": waiver.name},
                _("Its versions and every signature stay readable. You can restore it later."),
            ]
            title, label = _("Archive this waiver?"), _("Archive the waiver")
        else:
            lines = [_("“%(name)s” is asked for and offered for signing again.") % {"name": waiver.name}]
            title, label = _("Restore this waiver?"), _("Restore the waiver")
        return confirm_page(
            request,
            base="manage_base.html",
            title=title,
            lines=lines,
            confirm_label=label,
            back_url=back,
            back_label=_("Go back"),
            danger=archive,
        )
    services.waiver_archive(
        studio=request.studio, actor=Actor.from_request(request), waiver=waiver, archived=archive
    )
    messages.success(request, _("Waiver archived.") if archive else _("Waiver restored."))
    if archive:
        return redirect(reverse("waiver-list", kwargs={"studio_slug": request.studio.slug}) + "?archived=1")
    return redirect(back)


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_settings(request):
    current = selectors.waiver_settings_for(studio=request.studio)
    form = WaiverSettingsForm(request.POST or None, initial={"link_valid_days": current.link_valid_days})
    if request.method == "POST" and form.is_valid():
        try:
            services.waiver_settings_save(
                studio=request.studio,
                actor=Actor.from_request(request),
                link_valid_days=form.cleaned_data["link_valid_days"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Waiver settings saved."))
            return redirect("waiver-settings", studio_slug=request.studio.slug)
    return render(request, "waivers/manage/settings.html", {"form": form})
