"""Reads of the outbox. Keyword-only, no side effects."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import get_language_info
from django_scopes import scopes_disabled

from studio.models import Client, Studio
from studio.notifications import catalogue as _catalogue  # noqa: F401 - registers the core's templates
from studio.notifications import registry
from studio.notifications.models import Message, PlatformMessage


def message_list(*, studio: Studio, client: Client | None = None) -> QuerySet[Message]:
    """The studio's messages, newest first; only those to or about `client` when given."""
    qs = Message.objects.filter(studio=studio).select_related("client", "about_client")
    if client is not None:
        qs = qs.filter(Q(client=client) | Q(about_client=client))
    return qs


def messages_for_client(*, client: Client, limit: int = 5) -> list[Message]:
    """The last messages sent to a client or about them (a child's, sent to the guardian).

    For the client profile's "messages sent" panel.
    """
    return list(message_list(studio=client.studio, client=client)[:limit])


def message_body_visible(*, message: Message, perms: frozenset[str]) -> bool:
    """Whether a staff member holding `perms` may read this message's body.

    A body carrying a credential (an invitation link) is for the staff who could have made
    it; everyone with the outbox permission sees subject, addressee and status.
    """
    template = registry.find(message.template)
    return template is None or template.reveal_perm is None or template.reveal_perm in perms


def language_label(code: str) -> str:
    """A message's language in its own name ("français", "English"), not its code; an unknown
    code is shown as it is."""
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


def template_label(name: str) -> str:
    template = registry.find(name)
    return str(template.label) if template is not None else name


def platform_outbox(*, limit: int = 200) -> list[tuple[str, Message | PlatformMessage]]:
    """Every message of every studio and of the platform, newest first (platform operator only).

    One of the unscoped reads allowed by docs/architecture.md (the platform operator's pages).
    """
    with scopes_disabled():
        studio_messages = list(
            Message.objects.select_related("studio").order_by("-created_at", "-id")[:limit]
        )
    platform_messages = list(PlatformMessage.objects.order_by("-created_at", "-id")[:limit])
    rows = [("studio", m) for m in studio_messages] + [("platform", m) for m in platform_messages]
    rows.sort(key=lambda row: row[1].created_at, reverse=True)
    return rows[:limit]


def platform_message(*, kind: str, pk: int) -> Message | PlatformMessage | None:
    if kind == "platform":
        return PlatformMessage.objects.filter(pk=pk).first()
    with scopes_disabled():
        return Message.objects.select_related("studio").filter(pk=pk).first()


def mail_template_rows(*, studio: Studio) -> list[dict]:
    """Every template a studio may edit, each with its version per language (None: the default).

    One query whatever the number of templates: the studio's overrides, read once.
    """
    from django.conf import settings

    from studio.notifications.models import MailTemplateOverride

    found = {
        (o.template, o.language): o
        for o in MailTemplateOverride.objects.filter(studio=studio).select_related("updated_by")
    }
    rows = []
    for template in registry.all_templates():
        if not template.editable:
            continue
        rows.append(
            {
                "template": template,
                "label": str(template.label),
                "languages": [
                    {
                        "code": code,
                        "label": language_label(code),
                        "override": found.get((template.name, code)),
                    }
                    for code, _name in settings.LANGUAGES
                ],
            }
        )
    rows.sort(key=lambda row: row["label"].lower())
    return rows


def mail_override_get(*, studio: Studio, pk: int):
    """The studio's override `pk`, or None (another studio's pk is None: the view answers 404)."""
    from studio.notifications.models import MailTemplateOverride

    return MailTemplateOverride.objects.filter(studio=studio, pk=pk).first()


def mail_override_find(*, studio: Studio, template: str, language: str):
    """The studio's version of `template` in `language`, or None."""
    from studio.notifications.models import MailTemplateOverride

    return MailTemplateOverride.objects.filter(studio=studio, template=template, language=language).first()
