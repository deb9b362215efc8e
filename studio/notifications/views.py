"""The outbox: a studio's staff read their studio's mail; the platform operator reads it all.
Settings > Emails: the studio's own versions of its mail templates (below).

In `make run` no mail server exists: these pages show each message as it was sent, the HTML
part rendered and its links clickable, so an invitation or a reset link can be followed end
to end in the browser.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_scopes import scope

from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.inputs import clean_text
from studio.models import Client
from studio.notifications import placeholders, registry, selectors, template_services
from studio.notifications.forms import MailTemplateForm
from studio.notifications.models import Message
from studio.permissions import Perm
from studio.services import Actor

PAGE_SIZE = 50
LINK = re.compile(r"https?://[^\s<>\"']+")


def _detail_context(message, *, body_visible: bool) -> dict:
    html = message.body_html if body_visible else ""
    # Links in the preview open in the outbox's own tab (the frame is sandboxed: no scripts).
    html = html.replace("<head>", '<head><base target="_top">', 1)
    links = LINK.findall(message.body_text) if body_visible else []
    return {
        "message": message,
        "body_visible": body_visible,
        "preview_html": html,
        "links": list(dict.fromkeys(links)),
        "template_label": selectors.template_label(message.template),
        "language_label": selectors.language_label(message.language),
        "attachments": _attachments(message),
    }


def _attachments(message) -> list[dict]:
    """Names and sizes only: the outbox says what was attached, the bytes stay in the row. Read in
    the message's own studio (the platform operator's outbox runs outside any scope)."""
    if not isinstance(message, Message):
        return []
    with scope(studio=message.studio_id):
        return list(message.attachments.values("filename", "content_type", "size"))


@staff_required(Perm.VIEW_MESSAGES)
def message_list(request):
    client = None
    client_id = request.GET.get("client", "")
    if client_id.isascii() and client_id.isdigit():
        client = get_object_or_404(Client, pk=int(client_id))
    messages = selectors.message_list(studio=request.studio, client=client)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        message.template_label = selectors.template_label(message.template)
    return render(request, "studio/notifications/message_list.html", {"page": page, "filter_client": client})


@staff_required(Perm.VIEW_MESSAGES)
def message_detail(request, pk):
    message = get_object_or_404(Message.objects.select_related("client", "about_client"), pk=pk)
    visible = selectors.message_body_visible(message=message, perms=request.staff.role.effective_permissions)
    return render(
        request, "studio/notifications/message_detail.html", _detail_context(message, body_visible=visible)
    )


def _platform_operator(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("platform_operator")


@login_required
def platform_outbox(request):
    _platform_operator(request)
    rows = selectors.platform_outbox()
    for _kind, message in rows:
        message.template_label = selectors.template_label(message.template)
    return render(request, "studio/notifications/platform_outbox.html", {"rows": rows})


@login_required
def platform_outbox_detail(request, kind, pk):
    _platform_operator(request)
    if kind not in {"studio", "platform"}:
        raise Http404
    message = selectors.platform_message(kind=kind, pk=pk)
    if message is None:
        raise Http404
    context = _detail_context(message, body_visible=True)
    context["kind"] = kind
    return render(request, "studio/notifications/platform_outbox_detail.html", context)


# --- Settings > Emails: the studio's own versions of its mail templates (CHK-3) ----------------


def _editable_template(name: str):
    """The editable template called `name`, or 404 (unknown, platform mail, hostile input)."""
    template = registry.find(clean_text(name)[:100]) if isinstance(name, str) else None
    if template is None or not template.editable:
        raise Http404
    return template


def _language(code: str) -> str:
    try:
        return template_services.mail_template_language(clean_text(code)[:8])
    except LookupError:
        raise Http404 from None


def _editor(request, *, template, language: str, override, form, preview=None, preview_errors=None):
    return render(
        request,
        "studio/notifications/template_edit.html",
        {
            "tab": "emails",
            "mail_template": template,
            "language": language,
            "language_label": selectors.language_label(language),
            "override": override,
            "form": form,
            "placeholders": placeholders.placeholders_of(template),
            "preview": preview,
            "preview_errors": preview_errors or [],
        },
    )


@staff_required(Perm.MANAGE_SETTINGS)
def mail_template_list(request):
    rows = selectors.mail_template_rows(studio=request.studio)
    return render(request, "studio/notifications/template_list.html", {"rows": rows, "tab": "emails"})


def _save(request, *, template, language: str, override):
    form = MailTemplateForm(
        request.POST or None,
        initial={"subject": override.subject, "body": override.body} if override else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = template_services.mail_override_save(
                studio=request.studio,
                actor=Actor.from_request(request),
                template=template.name,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Your version of this email is saved; it is what clients receive now.")
            )
            return redirect("mail-template-edit", studio_slug=request.studio.slug, pk=saved.pk)
    return _editor(request, template=template, language=language, override=override, form=form)


@staff_required(Perm.MANAGE_SETTINGS)
def mail_template_new(request):
    """The editor of a template the studio has not changed yet (?template=…&language=…)."""
    if not request.GET.get("template"):
        return redirect("mail-template-list", studio_slug=request.studio.slug)
    template = _editable_template(request.GET.get("template", ""))
    language = _language(request.GET.get("language", ""))
    existing = selectors.mail_override_find(studio=request.studio, template=template.name, language=language)
    if existing is not None:
        return redirect("mail-template-edit", studio_slug=request.studio.slug, pk=existing.pk)
    return _save(request, template=template, language=language, override=None)


@staff_required(Perm.MANAGE_SETTINGS)
def mail_template_edit(request, pk):
    override = selectors.mail_override_get(studio=request.studio, pk=pk)
    if override is None:
        raise Http404
    template = _editable_template(override.template)
    return _save(request, template=template, language=override.language, override=override)


@staff_required(Perm.MANAGE_SETTINGS)
@require_POST
def mail_template_preview(request):
    """The draft with sample values in the real layout: the partial under htmx (one round trip),
    else the editor page with the preview under the form."""
    template = _editable_template(request.POST.get("template", ""))
    language = _language(request.POST.get("language", ""))
    form = MailTemplateForm(request.POST)
    preview, errors = None, []
    if form.is_valid():
        try:
            preview = template_services.mail_preview(
                studio=request.studio,
                template=template.name,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            errors = [message for messages_ in exc.message_dict.values() for message in messages_]
    else:
        errors = [message for messages_ in form.errors.values() for message in messages_]
    if request.htmx:
        return render(
            request,
            "studio/notifications/_template_preview.html",
            {"preview": preview, "preview_errors": errors},
        )
    override = selectors.mail_override_find(studio=request.studio, template=template.name, language=language)
    return _editor(
        request,
        template=template,
        language=language,
        override=override,
        form=form,
        preview=preview,
        preview_errors=errors,
    )


@staff_required(Perm.MANAGE_SETTINGS)
@require_POST
def mail_template_reset(request, pk):
    override = selectors.mail_override_get(studio=request.studio, pk=pk)
    if override is None:
        raise Http404
    template = _editable_template(override.template)
    back = reverse("mail-template-edit", kwargs={"studio_slug": request.studio.slug, "pk": override.pk})
    if not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Reset “%(email)s” (%(language)s) to the default?")
            % {"email": template.label, "language": selectors.language_label(override.language)},
            lines=[
                _("The studio's version of this email is deleted: clients receive the default text again."),
                _("This cannot be undone; copy your text first if you may want it back."),
            ],
            confirm_label=_("Reset to the default"),
            back_url=back,
            back_label=_("Keep my version"),
            danger=True,
        )
    template_services.mail_override_reset(
        studio=request.studio, actor=Actor.from_request(request), override=override
    )
    messages.success(request, _("The email is back to its default text."))
    return redirect("mail-template-list", studio_slug=request.studio.slug)
