"""Sending mail: render in the recipient's language, record, send from the worker after commit.

`notification_send` is the only way the product sends an email. It renders the subject, the
plain-text part and the HTML part now (so the record holds exactly what was sent and the
outbox can show it), stores one row per addressee in the caller's transaction, and enqueues
delivery once that transaction commits: a rolled-back request sends nothing, and a slow mail
server never holds a request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from studio.models import Client, FamilyLink, Studio, User
from studio.notifications import catalogue as _catalogue  # noqa: F401 - registers the core's templates
from studio.notifications import registry
from studio.notifications.models import (
    Message,
    MessageAttachment,
    MessageStatus,
    PlatformMessage,
)
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

DELIVER_TASK = "studio.notifications.tasks.deliver_message"
DELIVER_PLATFORM_TASK = "studio.notifications.tasks.deliver_platform_message"
MAX_ATTEMPTS = 5
_LINE_BREAKS = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Addressee:
    """Someone to write to: an address, the language to write in, a name to greet."""

    email: str
    language: str
    name: str = ""
    client: Client | None = None  # when the addressee is one of the studio's clients
    about_client: Client | None = None  # whom the message concerns (a guardian's dependant)
    user: User | None = None


Recipient = User | Client | Addressee


@dataclass(frozen=True)
class Attachment:
    """A file to send with a studio message (kept with the message, attached at delivery)."""

    filename: str
    content: bytes
    content_type: str = "application/pdf"


def addressees_for(*, studio: Studio | None, recipient: Recipient) -> list[Addressee]:
    """Who actually receives mail meant for `recipient`, in which language.

    The one guardian rule (CORE-4): a client without an email address of their own (a child)
    is written to through each guardian who has one, in the guardian's language, greeting
    the guardian. Apps never resolve guardians themselves.
    """
    fallback = studio.language if studio is not None else settings.LANGUAGE_CODE
    if isinstance(recipient, Addressee):
        return [recipient] if recipient.email else []
    if isinstance(recipient, User):
        language = recipient.language or translation.get_language() or fallback
        return [
            Addressee(
                email=recipient.email, language=language, name=recipient.get_short_name(), user=recipient
            )
        ]
    if recipient.email:
        return [
            Addressee(
                email=recipient.email,
                language=recipient.language or fallback,
                name=recipient.first_name,
                client=recipient,
                about_client=recipient,
                user=recipient.user,
            )
        ]
    links = FamilyLink.objects.filter(studio_id=recipient.studio_id, dependant=recipient).select_related(
        "guardian"
    )
    return [
        Addressee(
            email=link.guardian.email,
            language=link.guardian.language or fallback,
            name=link.guardian.first_name,
            client=link.guardian,
            about_client=recipient,
            user=link.guardian.user,
        )
        for link in links
        if link.guardian.email
    ]


class ReaderDate:
    """A date or time that formats itself in the language active when it is rendered.

    Callers build a message's context once; `notification_send` renders it once per addressee,
    each in their own language, so "{{ when }}" reads "3 décembre 2026 18:00" for one guardian
    and "Dec. 3, 2026, 6 p.m." for the other.
    """

    def __init__(self, value, format_name: str = "DATETIME_FORMAT") -> None:
        self.value = value
        self.format_name = format_name

    def __str__(self) -> str:
        from studio import formats  # French typography: "1er décembre", months in lower case

        return formats.date_format(self.value, self.format_name)


def brand_for(studio: Studio | None) -> dict:
    """What every template may show of the sender: name, logo (absolute URL), colours."""
    if studio is None:
        return {"name": "Atelier", "logo_url": "", "primary": "#1f6f5c", "accent": "#e0a43a"}
    logo_url = ""
    if studio.logo:
        logo_url = settings.SITE_URL.rstrip("/") + studio.logo.url
    return {
        "name": studio.name,
        "logo_url": logo_url,
        "primary": studio.brand_primary,
        "accent": studio.brand_accent,
    }


def absolute_url(path: str) -> str:
    """A link for an email: mail is read outside the site, so every link is absolute."""
    return settings.SITE_URL.rstrip("/") + path


def _render(template: registry.MailTemplate, *, language: str, context: dict) -> tuple[str, str, str]:
    subject_file, text_file, html_file = template.paths()
    with translation.override(language):
        # One line; ASCII whitespace only, so French non-breaking spaces survive.
        subject = _LINE_BREAKS.sub(" ", render_to_string(subject_file, context)).strip()
        text = render_to_string(text_file, context).strip() + "\n"
        html = render_to_string(html_file, {**context, "subject": subject})
    return subject[:255], text, html


def _override_render(
    override, template: registry.MailTemplate, *, language: str, context: dict
) -> tuple[str, str, str]:
    """The studio's own version, in the addressee's language, set into the same layout."""
    from django.utils.safestring import mark_safe

    from studio.notifications import overrides, placeholders

    with translation.override(language):
        values = placeholders.read_values(template, context)
        rendered = overrides.override_render(subject=override.subject, body=override.body, values=values)
        html = render_to_string(
            "studio/notifications/override.html",
            {**context, "subject": rendered.subject, "body_html": mark_safe(rendered.html_fragment)},  # noqa: S308 - nh3-sanitized, values escaped,
        )
    return rendered.subject, rendered.text, html


def _override_finder(studio: Studio | None, template: registry.MailTemplate):
    """override(language) -> the studio's MailTemplateOverride or None, each language read once."""
    found: dict[str, object] = {}

    def find(language: str):
        if studio is None or not template.editable:
            return None
        code = (language or "").split("-")[0].lower()
        if code not in found:
            from studio.notifications.models import MailTemplateOverride

            found[code] = MailTemplateOverride.objects.filter(
                studio=studio, template=template.name, language=code
            ).first()
        return found[code]

    return find


def notification_send(
    *,
    studio: Studio | None,
    recipient: Recipient,
    template: str,
    context: dict,
    attachments: Sequence[Attachment] = (),
) -> list[Message] | list[PlatformMessage]:
    """Render `template` for each addressee of `recipient`, record it, and send it after commit.

    A studio's own version of the template in the addressee's language (MailTemplateOverride)
    replaces the files when there is one. `studio` None is the platform's own mail (a staff
    member's password reset, never overridden): it is recorded
    in `PlatformMessage`. `attachments` (studio mail only) are stored with each message and
    attached when it is delivered. Returns the recorded messages (none when nobody has an address).
    """
    if attachments and studio is None:
        raise ValueError("only a studio's messages carry attachments")
    mail_template = registry.get(template)
    brand = brand_for(studio)
    override_for = _override_finder(studio, mail_template)
    messages = []
    with transaction.atomic():
        for addressee in addressees_for(studio=studio, recipient=recipient):
            full_context = {**context, "studio": studio, "brand": brand, "recipient": addressee}
            # The studio's own version in this addressee's language when it has one (CHK-3).
            override = override_for(addressee.language)
            if override is not None:
                subject, text, html = _override_render(
                    override, mail_template, language=addressee.language, context=full_context
                )
            else:
                subject, text, html = _render(
                    mail_template, language=addressee.language, context=full_context
                )
            fields = {
                "template": template,
                "to_email": addressee.email,
                "to_name": addressee.name[:150],
                "language": addressee.language,
                "subject": subject,
                "body_text": text,
                "body_html": html,
                "user": addressee.user,
            }
            if studio is None:
                message = PlatformMessage.objects.create(**fields)
                enqueue_by_name(DELIVER_PLATFORM_TASK, message.pk)
            else:
                message = Message.objects.create(
                    studio=studio, client=addressee.client, about_client=addressee.about_client, **fields
                )
                MessageAttachment.objects.bulk_create(
                    MessageAttachment(
                        studio=studio,
                        message=message,
                        filename=item.filename[:200],
                        content_type=item.content_type[:100],
                        content=item.content,
                        size=len(item.content),
                    )
                    for item in attachments
                )
                enqueue_by_name(DELIVER_TASK, studio.pk, message.pk)
            messages.append(message)
    return messages


def _from_address(studio_name: str) -> str:
    """The platform's address, shown under the studio's name ("Studio Lotus <no-reply@…>")."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((studio_name, address))


def message_deliver(*, message: Message | PlatformMessage) -> bool:
    """Send one recorded message now (the worker's job); True when it is sent.

    Idempotent: a message already sent is not sent again (a redelivered task, a sweep racing the
    first run). The row is locked while sending so two workers never send it twice; an error is
    recorded on the row and re-raised for the task to retry.
    """
    model = type(message)
    with transaction.atomic():
        message = model.objects.select_for_update().get(pk=message.pk)
        if message.status == MessageStatus.SENT:
            return False
        message.attempts += 1
        studio_name = message.studio.name if isinstance(message, Message) else "Atelier"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=_from_address(studio_name),
            to=[message.to_email],
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        if isinstance(message, Message):
            for attachment in message.attachments.all():
                email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
        try:
            email.send()
        except Exception as exc:
            message.status = MessageStatus.FAILED
            message.error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=["status", "error", "attempts"])
            logger.warning("message %s to %s failed: %s", message.pk, message.to_email, message.error)
            return False
        message.status = MessageStatus.SENT
        message.error = ""
        message.sent_at = timezone.now()
        update = ["status", "error", "sent_at", "attempts"]
        mail_template = registry.find(message.template)
        if (
            mail_template is not None
            and mail_template.secret
            and not settings.NOTIFICATIONS_KEEP_SECRET_BODIES
        ):
            message.body_text = message.body_html = ""
            message.redacted = True
            update += ["body_text", "body_html", "redacted"]
        message.save(update_fields=update)
    return True
