"""What requires a waiver (WAI-5): the whole studio, or chosen plans, classes and services.

A waiver's kind says where it is asked, and so what it may be required for:
- membership waivers: every purchase (studio-wide) or chosen membership plans;
- client and child waivers: every booking (studio-wide) or chosen classes and appointment
  services (a child waiver is asked when the person booked is a dependant);
- custom waivers: nothing (they are signed from the client's profile).
The targets belong to other apps, which register them in `studio.registries.requirement_targets`;
ids are checked against the registered choices for the studio, so another studio's ids (or an
archived class) are refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from studio.models import Studio
from studio.registries import requirement_targets
from studio.services import Actor, audit_record, change
from waivers.models import RequirementScope, Waiver, WaiverKind, WaiverRequirement

# Which scopes each kind of waiver may be required for.
KIND_SCOPES: dict[str, tuple[str, ...]] = {
    WaiverKind.MEMBERSHIP: (RequirementScope.STUDIO, RequirementScope.PLAN),
    WaiverKind.CLIENT: (RequirementScope.STUDIO, RequirementScope.CLASS_TEMPLATE, RequirementScope.SERVICE),
    WaiverKind.CHILD: (RequirementScope.STUDIO, RequirementScope.CLASS_TEMPLATE, RequirementScope.SERVICE),
    WaiverKind.CUSTOM: (),
}

# The audit detail key of each scope (its label is registered in waivers.registrations).
AUDIT_KEYS = {
    RequirementScope.STUDIO: "required_everywhere",
    RequirementScope.PLAN: "required_plans",
    RequirementScope.CLASS_TEMPLATE: "required_classes",
    RequirementScope.SERVICE: "required_services",
}


def _ids(values: Iterable) -> list[int]:
    out: list[int] = []
    for value in values or ():
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("Choose from the list."), code="invalid") from exc
        if number not in out:
            out.append(number)
    return out


def _target_names(*, studio: Studio, scope: str) -> dict[int, str]:
    target = requirement_targets.requirement_target(scope)
    return dict(target.choices(studio)) if target is not None else {}


def waiver_requirements_set(
    *,
    studio: Studio,
    actor: Actor,
    waiver: Waiver,
    studio_wide: bool,
    plan_ids: Iterable[int] = (),
    class_template_ids: Iterable[int] = (),
    service_ids: Iterable[int] = (),
) -> list[WaiverRequirement]:
    """Replace what requires `waiver` with exactly this: `studio_wide` (every purchase for a
    membership waiver, every booking for a client or child waiver) and the chosen targets.

    Refuses (ValidationError, nothing written) a target its kind cannot be required for, an id
    that is not one of the studio's registered choices (another studio's, archived, unknown),
    and any change to an archived waiver. Audited as "waiver.requirements_set" with the names
    before and after, only when something changed. Returns the waiver's requirements."""
    if waiver.studio_id != studio.pk:
        raise ValidationError(_("This waiver belongs to another studio."), code="studio")
    if waiver.archived_at is not None:
        raise ValidationError(_("This waiver is archived: restore it before changing where it is asked."))
    chosen = {
        RequirementScope.PLAN: _ids(plan_ids),
        RequirementScope.CLASS_TEMPLATE: _ids(class_template_ids),
        RequirementScope.SERVICE: _ids(service_ids),
    }
    allowed = KIND_SCOPES.get(waiver.kind, ())
    if studio_wide and RequirementScope.STUDIO not in allowed:
        raise ValidationError(_("A custom waiver is signed from the client's profile: it is never required."))
    names: dict[str, dict[int, str]] = {}
    wanted: set[tuple[str, int | None]] = {(RequirementScope.STUDIO, None)} if studio_wide else set()
    for scope, ids in chosen.items():
        if not ids:
            continue
        if scope not in allowed:
            raise ValidationError(_("This kind of waiver cannot be required for that."), code="scope")
        names[scope] = _target_names(studio=studio, scope=scope)
        unknown = [i for i in ids if i not in names[scope]]
        if unknown:
            raise ValidationError(_("Choose from the list."), code="invalid")
        wanted |= {(scope, i) for i in ids}

    with transaction.atomic():
        # One save at a time per waiver: two staff saving at once end with one of the two sets.
        Waiver.objects.select_for_update().filter(pk=waiver.pk).first()
        existing = {(r.scope, r.target_id): r for r in WaiverRequirement.objects.filter(waiver=waiver)}
        removed = [r.pk for key, r in existing.items() if key not in wanted]
        added = [key for key in wanted if key not in existing]
        if removed:
            WaiverRequirement.objects.filter(pk__in=removed).delete()
        WaiverRequirement.objects.bulk_create(
            [WaiverRequirement(studio=studio, waiver=waiver, scope=scope, target_id=t) for scope, t in added]
        )
        if removed or added:
            audit_record(
                studio=studio,
                actor=actor,
                action="waiver.requirements_set",
                obj=waiver,
                changes=_audit_changes(studio, set(existing), wanted, names),
            )
    return list(WaiverRequirement.objects.filter(waiver=waiver).order_by("scope", "target_id"))


def _audit_changes(studio: Studio, before: set, after: set, names: dict[str, dict[int, str]]) -> dict:
    changes: dict = {}
    was_wide, is_wide = (RequirementScope.STUDIO, None) in before, (RequirementScope.STUDIO, None) in after
    if was_wide != is_wide:
        changes[AUDIT_KEYS[RequirementScope.STUDIO]] = change(was_wide, is_wide)
    for scope in (RequirementScope.PLAN, RequirementScope.CLASS_TEMPLATE, RequirementScope.SERVICE):
        old = sorted(t for s, t in before if s == scope)
        new = sorted(t for s, t in after if s == scope)
        if old == new:
            continue
        labels = names.get(scope) or _target_names(studio=studio, scope=scope)
        # Names, not ids: the entry stays readable after a class is renamed or archived.
        changes[AUDIT_KEYS[scope]] = change(
            [labels.get(i, f"#{i}") for i in old], [labels.get(i, f"#{i}") for i in new]
        )
    return changes
