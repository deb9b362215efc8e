"""The mail templates the product knows, by name.

A template *name* ("studio/invitation", "scheduling/booking_confirmed") is what a message
records and what a studio overrides (CHK-3: a `MailTemplateOverride` per studio, name and
language); its `placeholders` are the names staff may write in their version, each read from
the send context by a small function (docs/emails.md). Several names may share files (`kind` then tells them apart).

Files follow one convention unless a template names its own: `<files>.subject.txt` (one line),
`<files>.txt` (the plain-text part), `<files>.html` (the HTML part, extending
`studio/notifications/email_base.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Placeholder:
    """A named value staff may write as `{name}` in their own version of a template.

    `read` takes the send context (what the app passes to `notification_send`, plus `brand`,
    `studio` and `recipient`) and returns the value; it is rendered with `str()` in the
    addressee's language (ReaderDate, ReaderMoney…). `sample` is what the editor's preview shows
    (a lazy string, or a callable returning a value rendered the same way). A `required`
    placeholder must appear in an override's body (the link of an invitation: a message without
    it is useless). See docs/emails.md.
    """

    name: str
    label: Any  # lazy translation
    read: Callable[[dict], Any]
    sample: Any = ""
    required: bool = False
    # "link": an absolute URL the app built; only these may stand as a link's target (`href`).
    kind: str = "text"


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
    # The names staff may write in their own version of this template (studio.notifications
    # .placeholders; `studio_name` and `recipient_name` are offered to every template).
    placeholders: tuple[Placeholder, ...] = ()
    # Platform mail (a password reset, sent outside any studio) is never a studio's to edit.
    studio_editable: bool = True

    @property
    def editable(self) -> bool:
        """Whether a studio may write its own version: studio mail that declares its placeholders
        (a template without any is not offered yet: its version could not say what it is about)."""
        return self.studio_editable and bool(self.placeholders)

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
