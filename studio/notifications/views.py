"""The outbox: a studio's staff read their studio's mail; the platform operator reads it all.

In `make run` no mail server exists: these pages show each message as it was sent, the HTML
part rendered and its links clickable, so an invitation or a reset link can be followed end
to end in the browser.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django_scopes import scope

from studio.access import staff_required
from studio.models import Client
from studio.notifications import selectors
from studio.notifications.models import Message
from studio.permissions import Perm

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
