"""The mail templates the product knows, by name.

A template *name* ("studio/invitation", "scheduling/booking_confirmed") is what a message
records and what a studio will one day override (the checkout issue makes templates
studio-editable: an override is looked up by this name, and `variables` tells the editor what
the context offers). Several names may share files (`kind` then tells them apart).

Files follow one convention unless a template names its own: `<files>.subject.txt` (one line),
`<files>.txt` (the plain-text part), `<files>.html` (the HTML part, extending
`studio/notifications/email_base.html`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MailTemplate:
    name: str
    label: str  # lazy translation: what staff read in the outbox
    files: str = ""  # stem of the three files; defaults to `name` under its app's email folder
    variables: tuple[str, ...] = ()  # context keys the template may use, besides `brand` and `recipient`
    # A body holding a credential (an invitation link) is shown in a studio's outbox only to
    # staff holding this permission; other readers see the subject and status.
    reveal_perm: str | None = None
    # A body holding a secret stored nowhere else (a password-reset token): blanked once sent
    # unless settings.NOTIFICATIONS_KEEP_SECRET_BODIES.
    secret: bool = False
    subject_file: str = field(default="")
    text_file: str = field(default="")
    html_file: str = field(default="")

    def paths(self) -> tuple[str, str, str]:
        stem = self.files or self.name
        return (
            self.subject_file or f"{stem}.subject.txt",
            self.text_file or f"{stem}.txt",
            self.html_file or f"{stem}.html",
        )


_TEMPLATES: dict[str, MailTemplate] = {}


def register(template: MailTemplate) -> MailTemplate:
    """Add a template (idempotent: an app's ready() may run twice in tests)."""
    existing = _TEMPLATES.get(template.name)
    if existing is not None and existing != template:
        raise ValueError(f"mail template {template.name!r} is already registered differently")
    _TEMPLATES[template.name] = template
    return template


def get(name: str) -> MailTemplate:
    try:
        return _TEMPLATES[name]
    except KeyError:
        raise LookupError(f"no mail template is registered as {name!r}") from None


def find(name: str) -> MailTemplate | None:
    return _TEMPLATES.get(name)


def all_templates() -> list[MailTemplate]:
    return sorted(_TEMPLATES.values(), key=lambda t: t.name)
