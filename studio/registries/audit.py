"""How audit entries read: action codes as sentences, records by name, details in words.

The audit log stores codes and plain values (`refund.created`, `{"amount": 11743}`) — never a
sentence in the language of whoever acted. This registry turns them into words at display time,
in the reader's language (DESIGN.md, Language). An app registers its own codes and fields in its
`AppConfig.ready()`:

    from studio.registries import audit
    audit.register_actions({"refund.created": _("Refund issued")})
    audit.register_fields({"amount": audit.Field(_("Amount"), audit.money)})

Anything unregistered still reads sensibly: the record's model name, the field's verbose name,
choices shown by their label, booleans as yes/no, `[old, new]` pairs as "old → new".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from studio.formats import date_format  # French: "1er décembre"

Renderer = Callable[[Any, "Context"], str]


class Lookups:
    """Related records named in a page of entries, each read once: a page of 50 entries that all
    name the same role or location costs one query for it, not 50."""

    def __init__(self) -> None:
        self._found: dict[tuple[type, Any], Any] = {}

    def get(self, model: type, pk: Any) -> Any:
        key = (model, pk)
        if key not in self._found:
            self._found[key] = model._default_manager.filter(pk=pk).first()
        return self._found[key]


@dataclass(frozen=True)
class Context:
    """What a renderer may need: the studio (its currency), the entry's record model, and the
    page's shared lookups of related records."""

    studio: Any
    model: type | None
    lookups: Lookups = field(default_factory=Lookups)


@dataclass(frozen=True)
class Field:
    label: Any = None  # a lazy string; None: the record model's verbose name for the field
    render: Renderer | None = None


ACTIONS: dict[str, Any] = {}
FIELDS: dict[str, Field] = {}
# Generic verbs, for codes no app registered ("tax_rate.archived" → "Tax rate: archived").
VERBS: dict[str, Any] = {
    "created": pgettext_lazy("audit verb", "created"),
    "changed": pgettext_lazy("audit verb", "changed"),
    "updated": pgettext_lazy("audit verb", "changed"),
    "archived": pgettext_lazy("audit verb", "archived"),
    "restored": pgettext_lazy("audit verb", "restored"),
    "deleted": pgettext_lazy("audit verb", "deleted"),
    "cancelled": pgettext_lazy("audit verb", "cancelled"),
    "added": pgettext_lazy("audit verb", "added"),
    "removed": pgettext_lazy("audit verb", "removed"),
    "succeeded": pgettext_lazy("audit verb", "succeeded"),
    "failed": pgettext_lazy("audit verb", "failed"),
}
_DEFAULT_REPR = re.compile(r"^\w+ object \((\w+)\)$")


def register_actions(sentences: dict[str, Any]) -> None:
    """Register {action code: translated sentence}; a later registration of a code wins."""
    ACTIONS.update(sentences)


RECORDS: dict[str, Callable[[Any], str | None]] = {}


def register_record(object_type: str, label: Callable[[Any], str | None]) -> None:
    """How a record of `object_type` is named in the reader's language: label(entry) -> str | None."""
    RECORDS[object_type] = label


def register_fields(fields: dict[str, Field]) -> None:
    """Register how detail keys read: {key: Field(label, renderer)}."""
    FIELDS.update(fields)


# --- renderers apps can reuse -------------------------------------------------------------------


def money(value: Any, ctx: Context) -> str:
    """Integer minor units in the studio's currency ("117,43 $")."""
    from studio.money import format_money

    if isinstance(value, bool) or not isinstance(value, int):
        return plain(value, ctx)
    return format_money(
        value, getattr(ctx.studio, "currency", "CAD") or "CAD", language=get_language() or "en"
    )


def permissions(value: Any, ctx: Context) -> str:
    """Permission codes by their names."""
    from studio.permissions import Perm

    labels = dict(Perm.choices)
    if not isinstance(value, (list, tuple)):
        return plain(value, ctx)
    if not value:
        return _("none")
    return ", ".join(str(labels.get(code, code)) for code in value)


def role(value: Any, ctx: Context) -> str:
    """A role id by the role's name (older entries stored the name itself)."""
    from studio.models import Role

    if isinstance(value, int) and not isinstance(value, bool):
        found = ctx.lookups.get(Role, value)  # scoped to the current studio by its manager
        return found.display_name if found is not None else _("a deleted role")
    return plain(value, ctx)


def plain(value: Any, ctx: Context) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v, ctx) for v in value) if value else _("none")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {plain(v, ctx)}" for k, v in value.items())
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        from studio.inputs import parse_date_param

        parsed = parse_date_param(value)
        return date_format(parsed, "DATE_FORMAT") if parsed else value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return _datetime_in_words(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        # Decimals are stored as text ("2.900"): the reader sees "2,9" in French, "2.9" in English.
        from django.utils.formats import number_format

        digits = value.rstrip("0").rstrip(".") if "." in value else value
        return number_format(Decimal(digits), use_l10n=True)
    return str(value)


# What JSON keeps of a datetime (DjangoJSONEncoder or str()): ISO 8601, often in UTC.
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_DECIMAL = re.compile(r"-?\d{1,15}\.\d{1,10}")


def _datetime_in_words(value: str) -> str:
    """A stored ISO datetime in the reader's (the studio's) zone, in the reader's format."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        return value
    if timezone.is_aware(parsed):
        try:
            parsed = timezone.localtime(parsed)
        except (OverflowError, ValueError):
            return value
    return date_format(parsed, "DATETIME_FORMAT")


# --- reading an entry ---------------------------------------------------------------------------


def _model_for(object_type: str) -> type | None:
    if not object_type:
        return None
    for model in apps.get_models():
        if model._meta.model_name == object_type.replace("_", ""):
            return model
    return None


def action_sentence(code: str) -> str:
    """The action in words; an unregistered "<record>.<verb>" reads "Record: verb"."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    thing, _sep, verb = code.partition(".")
    model = _model_for(thing)
    label = capfirst(str(model._meta.verbose_name)) if model else capfirst(thing.replace("_", " "))
    verb_label = str(VERBS.get(verb, verb.replace("_", " ")))
    return _("%(record)s: %(verb)s") % {"record": label, "verb": verb_label}


def record_label(entry) -> str:
    """The record by name: its stored text, or "Refund #2" where only Django's default was stored."""
    if entry.object_type in RECORDS:
        label = RECORDS[entry.object_type](entry)
        if label:
            return label
    model = _model_for(entry.object_type)
    stored = entry.object_repr or ""
    match = _DEFAULT_REPR.match(stored)
    if stored and not match:
        return stored
    if model is None:
        return stored
    if entry.object_id:
        return _("%(record)s #%(id)s") % {
            "record": capfirst(str(model._meta.verbose_name)),
            "id": entry.object_id,
        }
    return capfirst(str(model._meta.verbose_name))


def _field_label(key: str, model: type | None) -> str:
    registered = FIELDS.get(key)
    if registered is not None and registered.label is not None:
        return str(registered.label)
    if model is not None:
        try:
            verbose_name = getattr(model._meta.get_field(key), "verbose_name", None)
        except FieldDoesNotExist:
            verbose_name = None  # a detail that is not a field of the record: its key reads as words
        if verbose_name:
            return capfirst(str(verbose_name))
    return capfirst(key.replace("_", " "))


def _field_value(key: str, value: Any, ctx: Context) -> str:
    registered = FIELDS.get(key)
    if registered is not None and registered.render is not None:
        return registered.render(value, ctx)
    if ctx.model is not None:
        try:
            field = ctx.model._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        choices = dict(getattr(field, "flatchoices", None) or [])
        if choices and not isinstance(value, (list, dict)) and value in choices:
            return str(choices[value])
        if getattr(field, "many_to_one", False) and isinstance(value, int) and not isinstance(value, bool):
            related = ctx.lookups.get(field.related_model, value)
            return str(related) if related is not None else _("a deleted record")
    return plain(value, ctx)


def _as_change(key: str, value: Any, model: type | None) -> tuple[Any, Any] | None:
    """(old, new) when `value` records a change: {"from", "to"}, or an older entry's [old, new]."""
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return value["from"], value["to"]
    if isinstance(value, list) and len(value) == 2:
        if all(isinstance(v, list) for v in value):
            return value[0], value[1]
        concrete = {f.name for f in model._meta.concrete_fields} if model is not None else set()
        if key in concrete or key in ("role", "display_name"):
            return value[0], value[1]
    return None


def detail_lines(entry, *, studio, lookups: Lookups | None = None) -> list[tuple[str, str]]:
    """[(label, value in words)] for an entry's details; a change reads "old → new"."""
    model = _model_for(entry.object_type)
    ctx = Context(studio=studio, model=model, lookups=lookups or Lookups())
    lines = []
    for key, value in (entry.changes or {}).items():
        pair = _as_change(key, value, model)
        if pair is not None:
            text = f"{_field_value(key, pair[0], ctx)} → {_field_value(key, pair[1], ctx)}"
        else:
            text = _field_value(key, value, ctx)
        lines.append((_field_label(key, model), text))
    return lines


# --- the studio app's own codes and fields ------------------------------------------------------

register_actions(
    {
        "studio.created": gettext_lazy("Studio created"),
        "studio.settings_changed": gettext_lazy("Studio settings changed"),
        "location.created": gettext_lazy("Location added"),
        "location.changed": gettext_lazy("Location changed"),
        "location.archived": gettext_lazy("Location archived"),
        "location.restored": gettext_lazy("Location restored"),
        "room.created": gettext_lazy("Room added"),
        "room.changed": gettext_lazy("Room changed"),
        "room.archived": gettext_lazy("Room archived"),
        "room.restored": gettext_lazy("Room restored"),
        "role.created": gettext_lazy("Role created"),
        "role.changed": gettext_lazy("Role changed"),
        "staff.invited": gettext_lazy("Staff member invited"),
        "staff.invitation_resent": gettext_lazy("Invitation sent again"),
        "staff.invitation_revoked": gettext_lazy("Invitation revoked"),
        "staff.joined": gettext_lazy("Staff member joined"),
        "staff.role_changed": gettext_lazy("Staff member's role changed"),
        "staff.renamed": gettext_lazy("Staff member renamed"),
        "staff.activated": gettext_lazy("Staff member reactivated"),
        "staff.deactivated": gettext_lazy("Staff member deactivated"),
        "client.created": gettext_lazy("Client added"),
        "client.changed": gettext_lazy("Client changed"),
        "client.signed_up": gettext_lazy("Client signed up online"),
        "client.linked_login": gettext_lazy("Client signed in for the first time"),
        "family.linked": gettext_lazy("Family member linked"),
        "family.unlinked": gettext_lazy("Family member unlinked"),
    }
)

register_fields(
    {
        "permissions": Field(gettext_lazy("Permissions"), permissions),
        "role": Field(gettext_lazy("Role"), role),
        "email": Field(gettext_lazy("Email")),
        "guardian": Field(gettext_lazy("Guardian")),
        "amount": Field(gettext_lazy("Amount"), money),
    }
)


@dataclass(frozen=True)
class EntryInWords:
    entry: Any
    sentence: str
    record: str
    details: list[tuple[str, str]]


def entry_in_words(entry, *, studio, lookups: Lookups | None = None) -> EntryInWords:
    """An audit entry as a reader sees it, in the active language."""
    return EntryInWords(
        entry=entry,
        sentence=action_sentence(entry.action),
        record=record_label(entry),
        details=detail_lines(entry, studio=studio, lookups=lookups),
    )


def entries_in_words(entries, *, studio) -> list[EntryInWords]:
    """A page of entries, sharing one set of lookups (see `Lookups`)."""
    lookups = Lookups()
    return [entry_in_words(entry, studio=studio, lookups=lookups) for entry in entries]


def _role_label(entry) -> str | None:
    # Built-in roles are named in the reader's language; the stored name is the writer's.
    from studio.models import Role

    role = (
        Role.objects.filter(pk=entry.object_id).first()
        if entry.object_id.isascii() and entry.object_id.isdigit()
        else None
    )
    return role.display_name if role is not None else None


register_record("role", _role_label)
