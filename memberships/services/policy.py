"""Writes of the cancellation policy and its penalty rules (POL-1 … POL-3), audited.

The policy is one `PolicySettings` row per studio; the late-cancel window stays on the studio
(scheduling reads it there) and is saved through studio's own settings service. Rules are
ordered by `position`; archiving keeps a rule (its penalties point at it) but stops it firing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import (
    CreditReturn,
    PenaltyFrequency,
    PenaltyRule,
    PenaltyRulePlan,
    PenaltyTrigger,
    PenaltyWindow,
    Plan,
    PolicySettings,
    RulesMatch,
)
from memberships.selectors.policy import penalty_rule_list, policy_settings_get
from studio.models import Studio
from studio.services import Actor, audit_record, change, field_changes, snapshot, studio_update

POLICY_FIELDS = [
    "class_credit_return",
    "class_cutoff_hours",
    "appointment_credit_return",
    "appointment_cutoff_hours",
    "rules_match",
    "grace_hours",
]
RULE_FIELDS = ["trigger", "all_plans", "frequency", "count", "window_unit", "window_length", "fee_amount"]
CUTOFF_HOURS_MAX = 24 * 30
GRACE_HOURS_MAX = 24 * 14
LATE_CANCEL_WINDOW_MAX_MINUTES = 7 * 24 * 60
COUNT_MAX = 100
WINDOW_LENGTH_MAX = 366
FEE_MAX = 100_000_00  # minor units: a fee above 100 000 is a typo


def policy_settings_for(*, studio: Studio) -> PolicySettings:
    """The studio's policy row, created with the defaults the first time it is asked for
    (`saved_at` stays empty until staff save it: the dashboard step)."""
    found = policy_settings_get(studio=studio)
    if found.pk:
        return found
    try:
        with transaction.atomic():
            return PolicySettings.objects.create(studio=studio)
    except IntegrityError:  # two first reads at once: the other one created it
        return PolicySettings.objects.get(studio=studio)


def _bounded_int(value, *, low: int, high: int, message: str, code: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValidationError(message, code=code)
    return value


def policy_settings_save(*, studio: Studio, actor: Actor, cleaned: dict) -> PolicySettings:
    """Save the studio's cancellation policy (classes, appointments, how rules match, the grace
    delay) and its late-cancel window; sets `saved_at`. Audited with what changed (the window by
    studio's own service, as a studio settings change). Refuses (ValidationError, nothing saved)
    an unknown choice or a number out of bounds."""
    for key in ("class_credit_return", "appointment_credit_return"):
        if cleaned.get(key) not in CreditReturn.values:
            raise ValidationError(_("Choose what a cancel gives back."), code=key)
    if cleaned.get("rules_match") not in RulesMatch.values:
        raise ValidationError(
            _("Choose whether the first matching rule or every one charges."), code="rules_match"
        )
    for key in ("class_cutoff_hours", "appointment_cutoff_hours"):
        _bounded_int(
            cleaned.get(key),
            low=0,
            high=CUTOFF_HOURS_MAX,
            message=_("The cut-off is between 0 and %(max)d hours.") % {"max": CUTOFF_HOURS_MAX},
            code=key,
        )
    _bounded_int(
        cleaned.get("grace_hours"),
        low=0,
        high=GRACE_HOURS_MAX,
        message=_("The grace delay is between 0 and %(max)d hours.") % {"max": GRACE_HOURS_MAX},
        code="grace_hours",
    )
    window = _bounded_int(
        cleaned.get("late_cancel_window_minutes"),
        low=0,
        high=LATE_CANCEL_WINDOW_MAX_MINUTES,
        message=_("The late-cancel window is between 0 and %(max)d minutes.")
        % {"max": LATE_CANCEL_WINDOW_MAX_MINUTES},
        code="late_cancel_window_minutes",
    )
    with transaction.atomic():
        policy = PolicySettings.objects.select_for_update().get(pk=policy_settings_for(studio=studio).pk)
        before = snapshot(policy, POLICY_FIELDS)
        for name in POLICY_FIELDS:
            setattr(policy, name, cleaned[name])
        changes = field_changes(policy, POLICY_FIELDS, before)
        first_save = policy.saved_at is None
        policy.saved_at = timezone.now()
        policy.save(update_fields=[*POLICY_FIELDS, "saved_at"])
        if changes or first_save:
            audit_record(
                studio=studio, actor=actor, action="policy.settings_saved", obj=policy, changes=changes
            )
        if studio.late_cancel_window_minutes != window:
            studio_update(
                studio=studio,
                actor=actor,
                data={"late_cancel_window_minutes": window},
                fields=["late_cancel_window_minutes"],
            )
    return policy


def _rule_validate(rule: PenaltyRule) -> None:
    if rule.trigger not in PenaltyTrigger.values:
        raise ValidationError(_("Choose late cancel or no-show."), code="trigger")
    if rule.frequency not in PenaltyFrequency.values:
        raise ValidationError(_("Choose every, at least or exactly."), code="frequency")
    if rule.window_unit not in PenaltyWindow.values:
        raise ValidationError(_("Choose how far back the rule counts."), code="window_unit")
    _bounded_int(
        rule.count,
        low=1,
        high=COUNT_MAX,
        message=_("The number of times is between 1 and %(max)d.") % {"max": COUNT_MAX},
        code="count",
    )
    if rule.window_unit == PenaltyWindow.RENEWAL_PERIOD:
        rule.window_length = 1  # unused: the period is the membership's
    _bounded_int(
        rule.window_length,
        low=1,
        high=WINDOW_LENGTH_MAX,
        message=_("Count over 1 to %(max)d days, weeks or months.") % {"max": WINDOW_LENGTH_MAX},
        code="window_length",
    )
    _bounded_int(
        rule.fee_amount,
        low=1,
        high=FEE_MAX,
        message=_("Enter a fee above zero."),
        code="fee_amount",
    )


def penalty_rule_save(
    *, studio: Studio, actor: Actor, rule: PenaltyRule, plan_ids: Iterable[int] = ()
) -> PenaltyRule:
    """Create or update a rule (a new one goes last) with its plans — this studio's plans only,
    none when it covers everyone. Audited. Refuses (ValidationError, nothing saved) a rule the
    engine could not follow, or a plan that is not the studio's."""
    if rule.studio_id is not None and rule.studio_id != studio.pk:
        raise ValidationError(_("This rule is not this studio's."), code="studio")
    rule.studio = studio
    rule.currency = studio.currency
    _rule_validate(rule)
    wanted = set() if rule.all_plans else {int(p) for p in plan_ids}
    known = set(Plan.objects.filter(studio=studio, pk__in=wanted).values_list("pk", flat=True))
    if wanted - known:
        raise ValidationError(_("Choose plans of this studio."), code="plans")
    if not rule.all_plans and not wanted:
        raise ValidationError(_("Choose at least one plan, or everyone."), code="plans")
    with transaction.atomic():
        creating = rule.pk is None
        if creating:
            before = {}
            last = (
                PenaltyRule.objects.filter(studio=studio)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            rule.position = (last + 1) if last is not None else 0
            old_plans: set[int] = set()
        else:
            stored = PenaltyRule.objects.select_for_update().get(studio=studio, pk=rule.pk)
            before = snapshot(stored, RULE_FIELDS)
            old_plans = set(
                PenaltyRulePlan.objects.filter(studio=studio, rule=rule).values_list("plan_id", flat=True)
            )
        rule.save()
        if old_plans != wanted:
            PenaltyRulePlan.objects.filter(studio=studio, rule=rule).exclude(plan_id__in=wanted).delete()
            PenaltyRulePlan.objects.bulk_create(
                [PenaltyRulePlan(studio=studio, rule=rule, plan_id=p) for p in sorted(wanted - old_plans)]
            )
        changes = field_changes(rule, RULE_FIELDS, before) if not creating else {}
        if old_plans != wanted:
            changes["plans"] = change(sorted(old_plans), sorted(wanted))
        if creating or changes:
            audit_record(
                studio=studio,
                actor=actor,
                action="penalty_rule.created" if creating else "penalty_rule.changed",
                obj=rule,
                changes=changes,
            )
    rule.plan_ids = sorted(wanted)
    return rule


def penalty_rule_archive(*, studio: Studio, actor: Actor, rule: PenaltyRule) -> PenaltyRule:
    """Stop a rule firing; its penalties keep pointing at it. Archiving twice changes nothing."""
    with transaction.atomic():
        stored = PenaltyRule.objects.select_for_update().get(studio=studio, pk=rule.pk)
        if stored.archived_at is None:
            stored.archived_at = timezone.now()
            stored.save(update_fields=["archived_at", "updated_at"])
            audit_record(studio=studio, actor=actor, action="penalty_rule.archived", obj=stored)
    return stored


def penalty_rules_reorder(*, studio: Studio, actor: Actor, ordered_ids: list[int]) -> list[PenaltyRule]:
    """Put the studio's active rules in the order of `ordered_ids` (every active rule once).
    Refuses a list naming another studio's rule, an archived one, or missing one."""
    with transaction.atomic():
        rules = {
            r.pk: r
            for r in PenaltyRule.objects.select_for_update().filter(studio=studio, archived_at__isnull=True)
        }
        if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != set(rules):
            raise ValidationError(_("The list of rules changed meanwhile: try again."), code="order")
        before = [r.pk for r in sorted(rules.values(), key=lambda r: (r.position, r.pk))]
        for position, pk in enumerate(ordered_ids):
            rules[pk].position = position
        PenaltyRule.objects.bulk_update(list(rules.values()), ["position"])
        if before != list(ordered_ids):
            audit_record(
                studio=studio,
                actor=actor,
                action="penalty_rules.reordered",
                changes={"order": change(before, list(ordered_ids))},
            )
    return penalty_rule_list(studio=studio)
