"""Creating, editing and archiving plans (MEM-1).

`plan_save` is the one writer of a plan and its links (class templates, appointment types,
selling locations): the form's checks are repeated here because POS, demo data and imports
call it too, and ids from elsewhere must never link another studio's rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import (
    IntervalUnit,
    PassStart,
    Plan,
    PlanClassTemplate,
    PlanKind,
    PlanLocation,
    PlanService,
)
from memberships.selectors.plans import plan_has_members, plan_links
from scheduling import selectors as scheduling_selectors
from studio import selectors as studio_selectors
from studio.inputs import date_in_range
from studio.models import Studio
from studio.services import Actor, audit_record, change, field_changes, snapshot

# What the audit log compares on an edit.
PLAN_FIELDS = [
    "name",
    "description",
    "kind",
    "price_amount",
    "tax_kind",
    "interval_unit",
    "interval_count",
    "commitment_periods",
    "signup_fee_amount",
    "pass_starts_on",
    "pass_ends_on",
    "pass_start",
    "pack_credits",
    "pack_expires_after_days",
    "credits_per_period",
    "instalment_count",
    "location",
    "all_classes",
    "all_services",
    "sold_everywhere",
    "featured",
]

# The ItemKind codes (payments.models.settings) a plan may be taxed as.
PLAN_TAX_KINDS = ("membership", "class_booking", "product", "other")

# The fields each kind uses; the others are put back to their defaults on save, so a plan
# switched from a pack to a subscription keeps no stale credit count.
_KIND_FIELDS = {
    PlanKind.SUBSCRIPTION: {"interval", "commitment_periods", "signup_fee_amount", "credits_per_period"},
    PlanKind.PASS: {"interval", "pass_dates", "pass_start", "credits_per_period"},
    PlanKind.PACK: {"pack_credits", "pack_expires_after_days"},
    PlanKind.PAYMENT_PLAN: {"interval", "instalment_count", "location", "credits_per_period"},
}


def _normalise_for_kind(plan: Plan) -> None:
    used = _KIND_FIELDS.get(plan.kind, set())
    if "interval" not in used:
        plan.interval_unit, plan.interval_count = IntervalUnit.MONTH, 1
    if "commitment_periods" not in used:
        plan.commitment_periods = 0
    if "signup_fee_amount" not in used:
        plan.signup_fee_amount = 0
    if "credits_per_period" not in used:
        plan.credits_per_period = None
    if "pass_dates" not in used:
        plan.pass_starts_on = plan.pass_ends_on = None
    if "pass_start" not in used:
        plan.pass_start = PassStart.PURCHASE
    if "pack_credits" not in used:
        plan.pack_credits = None
    if "pack_expires_after_days" not in used:
        plan.pack_expires_after_days = None
    if "instalment_count" not in used:
        plan.instalment_count = None
    if "location" not in used:
        plan.location = None


def _check_kind_rules(*, studio: Studio, plan: Plan, kept_location_id: int | None = None) -> None:
    """Per-kind rules, as field errors (the form shows them beside the field)."""
    errors: dict[str, str] = {}
    if plan.kind not in PlanKind.values:
        errors["kind"] = _("Choose what kind of plan this is.")
    if plan.tax_kind not in PLAN_TAX_KINDS:
        errors["tax_kind"] = _("Choose a tax kind from the list.")
    if plan.kind in (PlanKind.SUBSCRIPTION, PlanKind.PAYMENT_PLAN) and not plan.interval_count:
        errors["interval_count"] = _("Say how often it is charged.")
    if plan.kind == PlanKind.PASS:
        starts, ends = plan.pass_starts_on, plan.pass_ends_on
        if (starts is None) != (ends is None):
            errors["pass_ends_on" if ends is None else "pass_starts_on"] = _(
                "A pass of fixed dates needs both its first and its last day."
            )
        elif starts is not None:
            if not (date_in_range(starts) and date_in_range(ends)):
                errors["pass_starts_on"] = _("These dates are outside the calendar the studio can use.")
            elif ends < starts:
                errors["pass_ends_on"] = _("The last day comes before the first day.")
        elif not plan.interval_count:
            errors["interval_count"] = _("Give the pass fixed dates or a duration.")
    if plan.kind == PlanKind.PACK and not plan.pack_credits:
        errors["pack_credits"] = _("Say how many classes the pack holds.")
    if plan.kind == PlanKind.PAYMENT_PLAN:
        if not plan.instalment_count or plan.instalment_count < 2:
            errors["instalment_count"] = _("A payment plan has at least 2 instalments.")
        if plan.location_id is None:
            errors["location"] = _("Choose the home location where the course is held.")
        elif (
            plan.location_id != kept_location_id
            and not studio_selectors.home_locations(studio=studio).filter(pk=plan.location_id).exists()
        ):
            errors["location"] = _("Choose one of the studio's home locations.")
    if errors:
        raise ValidationError(errors)


def _own_ids(ids: Iterable[int], allowed: set[int], *, field: str) -> list[int]:
    wanted = sorted(set(ids))
    if set(wanted) - allowed:
        raise ValidationError({field: _("Choose from the studio's own list.")})
    return wanted


def _sync_links(plan: Plan, model, attr: str, wanted: list[int], current: list[int]) -> None:
    gone = set(current) - set(wanted)
    if gone:
        model.objects.filter(plan=plan, **{f"{attr}_id__in": gone}).delete()
    model.objects.bulk_create(
        [
            model(studio_id=plan.studio_id, plan=plan, **{f"{attr}_id": pk})
            for pk in wanted
            if pk not in current
        ]
    )


def plan_save(
    *,
    studio: Studio,
    actor: Actor,
    plan: Plan,
    class_template_ids: Iterable[int] = (),
    service_ids: Iterable[int] = (),
    location_ids: Iterable[int] = (),
) -> Plan:
    """Create or edit `plan` and its links in one transaction, and write the audit log.

    The ids are ignored where the plan says "all" (`all_classes`, `all_services`,
    `sold_everywhere`). Refused (ValidationError by field): a kind change once anyone holds the
    plan, ids of another studio's (or archived) rows, and the per-kind rules. A new price
    applies to new sales only: memberships keep the price they were sold at.
    """
    creating = plan.pk is None
    plan.studio = studio
    if creating or not plan.currency:
        plan.currency = studio.currency
    _normalise_for_kind(plan)
    with transaction.atomic():
        before: dict = {}
        links_before = plan_links(plan=plan)
        if not creating:
            stored = Plan.objects.select_for_update().get(pk=plan.pk, studio=studio)
            before = snapshot(stored, PLAN_FIELDS) | {"location_id": stored.location_id}
            if stored.kind != plan.kind and plan_has_members(plan=stored):
                raise ValidationError(
                    {
                        "kind": _(
                            "Clients hold this plan, so its kind cannot change. Archive it and create "
                            "a new plan instead."
                        )
                    }
                )
        # A location the plan already had stays valid even if archived since (its members' course).
        _check_kind_rules(studio=studio, plan=plan, kept_location_id=before.get("location_id"))
        plan.full_clean(exclude=["studio", "location"])
        # Rows already linked stay choosable even once archived: an edit must not drop them.
        templates = _own_ids(
            [] if plan.all_classes else class_template_ids,
            set(scheduling_selectors.active_templates(studio=studio).values_list("pk", flat=True))
            | set(links_before["class_templates"]),
            field="class_templates",
        )
        services = _own_ids(
            [] if plan.all_services else service_ids,
            set(scheduling_selectors.service_list(studio=studio).values_list("pk", flat=True))
            | set(links_before["services"]),
            field="services",
        )
        locations = _own_ids(
            [] if plan.sold_everywhere else location_ids,
            set(scheduling_selectors.active_locations(studio=studio).values_list("pk", flat=True))
            | set(links_before["locations"]),
            field="locations",
        )
        if not plan.sold_everywhere and not locations:
            raise ValidationError({"locations": _("Choose at least one location that sells it.")})
        plan.save()
        _sync_links(plan, PlanClassTemplate, "template", templates, links_before["class_templates"])
        _sync_links(plan, PlanService, "service", services, links_before["services"])
        _sync_links(plan, PlanLocation, "location", locations, links_before["locations"])
        if creating:
            audit_record(studio=studio, actor=actor, obj=plan, action="plan.created")
        else:
            changes = field_changes(plan, PLAN_FIELDS, before)
            for key, new in (
                ("class_templates", templates),
                ("services", services),
                ("locations", locations),
            ):
                if links_before[key] != new:
                    changes[key] = change(links_before[key], new)
            if changes:
                audit_record(studio=studio, actor=actor, obj=plan, changes=changes, action="plan.changed")
    return plan


def plan_archive(*, studio: Studio, actor: Actor, plan: Plan, archived: bool = True) -> Plan:
    """Archive (or restore) a plan: archived, it is no longer offered for sale; the memberships
    already sold keep running and renewing. A plan is never deleted."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk, studio=studio)
        if locked.is_archived == archived:
            return locked
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            studio=studio, actor=actor, obj=locked, action="plan.archived" if archived else "plan.restored"
        )
    plan.archived_at = locked.archived_at
    return locked
