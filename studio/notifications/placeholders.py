"""Named placeholders a mail template offers to the studio's own version of it (CHK-3).

An app declares them on its `MailTemplate` registration:

    from studio.notifications import placeholders as ph

    register(MailTemplate(..., placeholders=(
        ph.client_first_name(),
        ph.value("class_name", _("Class name"), key="what", sample=_("Morning flow")),
        ph.when("starts_at", _("Date and time"), key="when"),
        ph.link("link", _("Your bookings"), key="account_url", required=False),
    )))

Each one reads its value from the send context with a small function (never a template lookup
staff could steer), renders it with `str()` in the addressee's language, and carries a sample the
editor's preview shows. `studio_name` and `recipient_name` are offered to every template.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studio.notifications.registry import MailTemplate, Placeholder

__all__ = ["LocalMoney", "Placeholder", "amount", "client_first_name", "client_name", "link", "value", "when"]

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Sample dates the preview shows (a Tuesday evening in early December: "1er" shows in French).
SAMPLE_AT = dt.datetime(2026, 12, 1, 18, 30)
SAMPLE_DAY = dt.date(2026, 12, 1)


def _get(context: dict, key: str) -> Any:
    value = context.get(key)
    return "" if value is None else value


def _attr(context: dict, key: str, attr: str) -> Any:
    obj = context.get(key)
    value = getattr(obj, attr, "") if obj is not None else ""
    return "" if value is None else value


class SampleDate:
    """A sample date, formatted in the language active when the preview renders it."""

    def __init__(self, value, format_name: str) -> None:
        self.value = value
        self.format_name = format_name

    def __str__(self) -> str:
        from studio import formats

        return formats.date_format(self.value, self.format_name)


class SampleMoney:
    def __init__(self, amount: int, currency: str = "CAD") -> None:
        self.amount = amount
        self.currency = currency

    def __str__(self) -> str:
        from studio.money import format_money

        return format_money(self.amount, self.currency, language=get_language() or "en")


# Money in a real send context, formatted in each addressee's language when a placeholder renders it.
LocalMoney = SampleMoney


def value(
    name: str,
    label,
    *,
    key: str,
    sample: Any = "",
    required: bool = False,
    attr: str | None = None,
    kind: str = "text",
) -> Placeholder:
    """The context's `key` (or its attribute `attr`) as it is."""
    read: Callable[[dict], Any] = (lambda c: _attr(c, key, attr)) if attr else (lambda c: _get(c, key))
    return Placeholder(name=name, label=label, read=read, sample=sample, required=required, kind=kind)


def client_first_name(*, key: str = "client") -> Placeholder:
    return value(
        "client_first_name", _("Client's first name"), key=key, attr="first_name", sample=_("Camille")
    )


def client_name(*, key: str = "client") -> Placeholder:
    return value("client_name", _("Client's full name"), key=key, attr="full_name", sample=_("Camille Roy"))


def when(name: str, label, *, key: str, day_only: bool = False) -> Placeholder:
    """A date (or date and time) the app already passes as a ReaderDate, rendered per reader."""
    sample = SampleDate(SAMPLE_DAY, "DATE_FORMAT") if day_only else SampleDate(SAMPLE_AT, "DATETIME_FORMAT")
    return value(name, label, key=key, sample=sample)


def amount(name: str = "amount", label=None, *, key: str = "amount", sample: int = 4500) -> Placeholder:
    return value(name, label or _("Amount"), key=key, sample=SampleMoney(sample))


def link(name: str = "link", label=None, *, key: str = "url", required: bool = True) -> Placeholder:
    """An absolute URL the app built (the invitation, the signing page, the account page)."""
    return value(
        name,
        label or _("Link"),
        key=key,
        sample="https://atelier.example/lotus/account/",
        required=required,
        kind="link",
    )


# Offered to every studio template, whatever it declares.
COMMON: tuple[Placeholder, ...] = (
    Placeholder(
        name="studio_name",
        label=_("Studio name"),
        read=lambda c: (c.get("brand") or {}).get("name", ""),
        sample=_("Studio Lotus"),
    ),
    Placeholder(
        name="recipient_name",
        label=_("Addressee's first name (a guardian for a child)"),
        read=lambda c: getattr(c.get("recipient"), "name", ""),
        sample=_("Camille"),
    ),
)


def placeholders_of(template: MailTemplate) -> tuple[Placeholder, ...]:
    """Every placeholder `template` offers: its own, then the common ones it does not redefine."""
    own = {p.name for p in template.placeholders}
    return tuple(template.placeholders) + tuple(p for p in COMMON if p.name not in own)


def sample_context(template: MailTemplate) -> dict[str, Any]:
    """{name: sample value} for the preview (rendered with str() in the active language)."""
    out = {}
    for placeholder in placeholders_of(template):
        sample = placeholder.sample
        out[placeholder.name] = sample() if callable(sample) else sample
    return out


def read_values(template: MailTemplate, context: dict) -> dict[str, Any]:
    """{name: value} read from a real send context. A reader that trips over a context lacking what
    it expects gives "" rather than failing the send (the default templates cope the same way)."""
    out = {}
    for placeholder in placeholders_of(template):
        try:
            out[placeholder.name] = placeholder.read(context)
        except (AttributeError, KeyError, TypeError, ValueError):
            out[placeholder.name] = ""
    return out
