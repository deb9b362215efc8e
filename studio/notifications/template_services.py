"""Writes of a studio's own versions of its mail templates (CHK-3), and their preview.

Apart from `studio.notifications.services` because they write the audit log (`studio.services`),
which itself sends mail through `notification_send`: one module each way, no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from studio.models import Studio
from studio.notifications import overrides, placeholders, registry
from studio.notifications.models import MailTemplateOverride
from studio.notifications.services import brand_for
from studio.services import Actor, audit_record

# --- The studio's own versions of its mail templates (CHK-3) ------------------------------------


def _editable(template: str) -> registry.MailTemplate:
    mail_template = registry.get(template)
    if not mail_template.editable:
        raise LookupError(
            f"mail template {template!r} is not a studio's to edit (platform mail, or no placeholders)"
        )
    return mail_template


def mail_template_language(language: str) -> str:
    """One of the product's languages, or LookupError (a URL or form carried something else)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise LookupError(f"unknown language {language!r}")
    return language


def mail_override_save(
    *, studio: Studio, actor: Actor, template: str, language: str, subject: str, body: str
) -> MailTemplateOverride:
    """Create or change the studio's version of `template` in `language`, checked first.

    Raises ValidationError (sentences naming the unknown placeholder, the tag that breaks the
    layout, the required placeholder missing) and saves nothing then. Audited.
    """
    mail_template = _editable(template)
    mail_template_language(language)
    overrides.override_check(template=mail_template, subject=subject, body=body)
    with transaction.atomic():
        rows = MailTemplateOverride.objects.select_for_update().filter(
            studio=studio, template=template, language=language
        )
        override = rows.first()
        created = override is None
        if created:
            try:
                # Two first saves at once: the unique constraint keeps one row, the second save
                # becomes a change of it.
                with transaction.atomic():
                    override = MailTemplateOverride.objects.create(
                        studio=studio,
                        template=template,
                        language=language,
                        subject=subject,
                        body=body,
                        updated_by=actor.user,
                    )
            except IntegrityError:
                override, created = rows.get(), False
        if not created:
            override.subject = subject
            override.body = body
            override.updated_by = actor.user
            override.save(update_fields=["subject", "body", "updated_by", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="mail_template.created" if created else "mail_template.changed",
            obj=override,
            changes={"mail_template": template, "mail_language": language},
        )
    return override


def mail_override_reset(*, studio: Studio, actor: Actor, override: MailTemplateOverride) -> None:
    """Back to the template's files: the studio's version is deleted (audited)."""
    with transaction.atomic():
        audit_record(
            studio=studio,
            actor=actor,
            action="mail_template.reset",
            obj=override,
            changes={"mail_template": override.template, "mail_language": override.language},
        )
        MailTemplateOverride.objects.filter(studio=studio, pk=override.pk).delete()


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str


def mail_preview(*, studio: Studio, template: str, language: str, subject: str, body: str) -> Preview:
    """A draft as a client would read it: each placeholder's sample value (the studio's own name
    for `{studio_name}`), in the real layout and `language`. The draft is checked first as a save
    would check it (ValidationError)."""
    mail_template = _editable(template)
    mail_template_language(language)
    brand = brand_for(studio)
    overrides.override_check(template=mail_template, subject=subject, body=body)
    with translation.override(language):
        values = {key: str(value) for key, value in placeholders.sample_context(mail_template).items()}
        values["studio_name"] = brand["name"]
        rendered = overrides.override_render(subject=subject, body=body, values=values)
        html = render_to_string(
            "studio/notifications/override.html",
            {
                "brand": brand,
                "studio": studio,
                "subject": rendered.subject,
                "body_html": mark_safe(rendered.html_fragment),  # noqa: S308 - nh3-sanitized
            },
        )
    return Preview(subject=rendered.subject, text=rendered.text, html=html)
