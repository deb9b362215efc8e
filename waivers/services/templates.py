"""Writing waivers and their versions (WAI-1, WAI-2).

A waiver's words live in numbered versions. The latest version is either a draft (edited in
place) or published (frozen: a database trigger refuses to change its text). Saving a waiver
whose latest version is published opens draft n+1, copied from nothing but what was typed; the
published text stays readable, and every signature keeps pointing at the version it agreed to.

Every write locks the waiver's row first, so two editors saving at once make one draft, not two,
and a publish cannot race a save. Every text goes through `waiver_html_clean` here, whatever
called the service (pages, demo data, imports).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.inputs import clean_text
from studio.models import Studio
from studio.services import Actor, audit_record, change
from waivers.models import Waiver, WaiverKind, WaiverSettings, WaiverVersion
from waivers.sanitize import waiver_html_clean, waiver_html_is_blank
from waivers.standard_texts import standard_text

NAME_MAX_LENGTH = 120  # Waiver.name
TITLE_MAX_LENGTH = 200  # WaiverVersion.title_*
# A long waiver is a few thousand characters; this bound keeps a paste of a whole book (and the
# PDF it would make) out, while leaving room for the markup Trix adds.
BODY_MAX_LENGTH = 50_000

# Direction overrides and isolates: invisible, and they turn the text after them around.
_DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _clean_name(name: str) -> str:
    name = clean_text(name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the waiver a name.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Keep the name to %(max)s characters or fewer.") % {"max": NAME_MAX_LENGTH}}
        )
    if any(ch in _DIRECTION_CONTROLS for ch in name):
        raise ValidationError({"name": _("Remove the invisible text-direction character from this text.")})
    return name


def _clean_title(title: str, field: str) -> str:
    title = clean_text(title or "").strip()
    title = "".join(ch for ch in title if ch not in _DIRECTION_CONTROLS)
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            {field: _("Keep the title to %(max)s characters or fewer.") % {"max": TITLE_MAX_LENGTH}}
        )
    return title


# French spacing (OQLF): a non-breaking space before a colon and inside « ». Trix turns every
# non-breaking space into a plain one, so they are put back on each save of a French text; that
# also makes opening a text in the editor and saving it unchanged give back the same string.
_FR_SPACE_BEFORE = re.compile(r"[ \u202f]+(?=[:»])")
_FR_SPACE_AFTER = re.compile(r"(?<=«)[ \u202f]+")


def _french_spacing(html: str) -> str:
    return _FR_SPACE_AFTER.sub("\u00a0", _FR_SPACE_BEFORE.sub("\u00a0", html))


def _clean_body(body: str, field: str) -> str:
    if field == "body_fr":
        body = _french_spacing(body or "")
    cleaned = waiver_html_clean(body)
    if len(cleaned) > BODY_MAX_LENGTH:
        raise ValidationError(
            {field: _("This text is too long: keep it under %(max)s characters.") % {"max": BODY_MAX_LENGTH}}
        )
    # An editor emptied of words still leaves markup behind: store it as empty.
    return "" if waiver_html_is_blank(cleaned) else cleaned


def _lock(*, studio: Studio, waiver: Waiver) -> Waiver:
    return Waiver.objects.select_for_update().get(pk=waiver.pk, studio=studio)


def _latest(waiver: Waiver) -> WaiverVersion | None:
    return WaiverVersion.objects.filter(studio_id=waiver.studio_id, waiver=waiver).order_by("-number").first()


def _refuse_if_archived(waiver: Waiver) -> None:
    if waiver.archived_at is not None:
        raise ValidationError(_("This waiver is archived. Restore it before changing it."))


def waiver_create(*, studio: Studio, actor: Actor, kind: str, name: str) -> Waiver:
    """Create a waiver of `kind` named `name`, with draft version 1 holding our standard text of
    that kind in French and in English (the studio edits it before publishing).

    Refused (ValidationError by field): an unknown kind, an empty or too long name, a name with
    a text-direction control, a name another of the studio's waivers already has."""
    if kind not in WaiverKind.values:
        raise ValidationError({"kind": _("Choose what kind of waiver this is.")})
    name = _clean_name(name)
    title_fr, body_fr = standard_text(kind=kind, language="fr")
    title_en, body_en = standard_text(kind=kind, language="en")
    try:
        with transaction.atomic():
            waiver = Waiver.objects.create(studio=studio, kind=kind, name=name)
            WaiverVersion.objects.create(
                studio=studio,
                waiver=waiver,
                number=1,
                title_fr=title_fr,
                title_en=title_en,
                body_fr=waiver_html_clean(body_fr),
                body_en=waiver_html_clean(body_en),
                created_by=actor.user,
            )
            audit_record(
                studio=studio, actor=actor, obj=waiver, action="waiver.created", changes={"kind": kind}
            )
    except IntegrityError as exc:
        if "waiver_name_unique" not in str(exc):
            raise
        raise ValidationError({"name": _("Another waiver already has this name.")}) from exc
    return waiver


def waiver_rename(*, studio: Studio, actor: Actor, waiver: Waiver, name: str) -> Waiver:
    """Rename a waiver (the name staff see; signers see the version's title)."""
    name = _clean_name(name)
    try:
        with transaction.atomic():
            locked = _lock(studio=studio, waiver=waiver)
            if locked.name == name:
                return locked
            before = locked.name
            locked.name = name
            locked.save(update_fields=["name", "updated_at"])
            audit_record(
                studio=studio,
                actor=actor,
                obj=locked,
                action="waiver.renamed",
                changes={"name": change(before, name)},
            )
    except IntegrityError as exc:
        if "waiver_name_unique" not in str(exc):
            raise
        raise ValidationError({"name": _("Another waiver already has this name.")}) from exc
    waiver.name = name
    return locked


def waiver_draft_save(
    *,
    studio: Studio,
    actor: Actor,
    waiver: Waiver,
    title_fr: str,
    title_en: str,
    body_fr: str,
    body_en: str,
    name: str | None = None,
) -> WaiverVersion:
    """Save the waiver's text: sanitised, into its draft (edited in place), or, when its latest
    version is published, into a new draft numbered after it. Saving the published text
    unchanged opens no draft and returns the published version. With `name`, the waiver is
    renamed in the same transaction (the edit page saves both, or neither).

    Refused (ValidationError): both bodies empty (after sanitising), a title or a body too long,
    an archived waiver, a name refused as by `waiver_rename`."""
    cleaned = {
        "title_fr": _clean_title(title_fr, "title_fr"),
        "title_en": _clean_title(title_en, "title_en"),
        "body_fr": _clean_body(body_fr, "body_fr"),
        "body_en": _clean_body(body_en, "body_en"),
    }
    if not cleaned["body_fr"] and not cleaned["body_en"]:
        raise ValidationError(
            {"body_fr": _("Write the waiver's text in French, in English, or in both languages.")}
        )
    with transaction.atomic():
        locked = _lock(studio=studio, waiver=waiver)
        _refuse_if_archived(locked)
        if name is not None:
            locked = waiver_rename(studio=studio, actor=actor, waiver=locked, name=name)
            waiver.name = locked.name
        latest = _latest(locked)
        if latest is not None and latest.published_at is None:
            changed = [key for key, value in cleaned.items() if getattr(latest, key) != value]
            if not changed:
                return latest
            for key in changed:
                setattr(latest, key, cleaned[key])
            latest.save(update_fields=changed)
            version = latest
            action_changes = {"version": version.number, "fields": changed}
        else:
            if latest is not None and all(getattr(latest, key) == value for key, value in cleaned.items()):
                return latest  # the published text, unchanged: nothing to version
            version = WaiverVersion.objects.create(
                studio=studio,
                waiver=locked,
                number=(latest.number + 1) if latest is not None else 1,
                created_by=actor.user,
                **cleaned,
            )
            action_changes = {"version": version.number, "fields": sorted(cleaned)}
        locked.save(update_fields=["updated_at"])
        audit_record(
            studio=studio, actor=actor, obj=locked, action="waiver.draft_saved", changes=action_changes
        )
    return version


def waiver_publish(*, studio: Studio, actor: Actor, waiver: Waiver, resign_required: bool) -> WaiverVersion:
    """Publish the waiver's draft: it becomes the version clients are asked to sign, and its text
    is frozen from now on. With `resign_required`, everyone who signed an earlier version is asked
    to sign again at their next booking or purchase; without, their signatures still count
    (meaningless for version 1, which is stored without it).

    Refused (ValidationError): nothing to publish (no draft), a draft without text, an archived
    waiver."""
    with transaction.atomic():
        locked = _lock(studio=studio, waiver=waiver)
        _refuse_if_archived(locked)
        draft = _latest(locked)
        if draft is None or draft.published_at is not None:
            raise ValidationError(_("There is no draft to publish: edit the waiver's text first."))
        if waiver_html_is_blank(draft.body_fr) and waiver_html_is_blank(draft.body_en):
            raise ValidationError(_("This draft has no text yet: write it before publishing."))
        resign = bool(resign_required) and locked.current_version_id is not None
        draft.published_at = timezone.now()
        draft.resign_required = resign
        draft.save(update_fields=["published_at", "resign_required"])
        locked.current_version = draft
        locked.save(update_fields=["current_version", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            obj=locked,
            action="waiver.published",
            changes={"version": draft.number, "resign_required": resign},
        )
    waiver.current_version = draft
    return draft


def waiver_archive(*, studio: Studio, actor: Actor, waiver: Waiver, archived: bool = True) -> Waiver:
    """Archive (or, with `archived=False`, restore) a waiver: archived, it is no longer asked for
    nor offered for signing; its versions and signatures stay readable. Never deleted."""
    with transaction.atomic():
        locked = _lock(studio=studio, waiver=waiver)
        if (locked.archived_at is not None) == archived:
            return locked
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            studio=studio,
            actor=actor,
            obj=locked,
            action="waiver.archived" if archived else "waiver.restored",
        )
    waiver.archived_at = locked.archived_at
    return locked


LINK_VALID_DAYS_MIN = 1
LINK_VALID_DAYS_MAX = 90


def waiver_settings_save(*, studio: Studio, actor: Actor, link_valid_days: int) -> WaiverSettings:
    """Save the studio's waiver settings: how many days an emailed signing link stays valid
    (1 to 90; links already sent keep the expiry they were sent with)."""
    if (
        isinstance(link_valid_days, bool)
        or not isinstance(link_valid_days, int)
        or not LINK_VALID_DAYS_MIN <= link_valid_days <= LINK_VALID_DAYS_MAX
    ):
        raise ValidationError(
            {
                "link_valid_days": _("Choose between %(min)s and %(max)s days.")
                % {"min": LINK_VALID_DAYS_MIN, "max": LINK_VALID_DAYS_MAX}
            }
        )
    with transaction.atomic():
        WaiverSettings.objects.get_or_create(studio=studio)
        row = WaiverSettings.objects.select_for_update().get(studio=studio)
        if row.link_valid_days == link_valid_days:
            return row
        before = row.link_valid_days
        row.link_valid_days = link_valid_days
        row.save(update_fields=["link_valid_days"])
        audit_record(
            studio=studio,
            actor=actor,
            obj=row,
            action="waiver.settings_updated",
            changes={"link_valid_days": change(before, link_valid_days)},
        )
    return row
