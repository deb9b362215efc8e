"""Cancellation policy and penalty rules (POL-1 … POL-5).

`PolicySettings` is one row per studio (the late-cancel window itself stays on `Studio`, where
scheduling reads it). `PenaltyRule` rows are ordered by `position`; `PolicySettings.rules_match`
says whether the first matching rule charges or every matching one does. A `Penalty` is one fee
for one triggering event (a late cancel or a no-show of one booking or appointment) and one rule:
at most one row per (rule, event), whose idempotency key is built from both.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class CreditReturn(models.TextChoices):
    ALWAYS = "always", _("Credits returned for everything")
    BEFORE_CUTOFF = "before_cutoff", _("Credits returned only before the cut-off")
    NEVER = "never", _("Credits never returned")


class RulesMatch(models.TextChoices):
    FIRST = "first", _("Only the first matching rule charges")
    ALL = "all", _("Every matching rule charges")


class PolicySettings(TenantModel):
    """A studio's cancellation policy, separately for classes and appointments, and how its
    penalty rules are applied. `saved_at` is set the first time staff save it (the dashboard's
    "policy" step)."""

    class_credit_return = models.CharField(
        max_length=16, choices=CreditReturn.choices, default=CreditReturn.BEFORE_CUTOFF
    )
    class_cutoff_hours = models.PositiveSmallIntegerField(default=24, validators=[MaxValueValidator(24 * 30)])
    appointment_credit_return = models.CharField(
        max_length=16, choices=CreditReturn.choices, default=CreditReturn.BEFORE_CUTOFF
    )
    appointment_cutoff_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(24 * 30)]
    )
    rules_match = models.CharField(max_length=8, choices=RulesMatch.choices, default=RulesMatch.FIRST)
    # Hours after the class ends before a fee is charged: staff may waive it meanwhile.
    grace_hours = models.PositiveSmallIntegerField(default=24, validators=[MaxValueValidator(24 * 14)])
    saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio"], name="policy_settings_one_per_studio")]


class PenaltyTrigger(models.TextChoices):
    LATE_CANCEL = "late_cancel", _("Late cancel")
    NO_SHOW = "no_show", _("No-show")


class PenaltyFrequency(models.TextChoices):
    EVERY = "every", _("Every")  # every N-th occurrence: N, 2N, 3N…
    AT_LEAST = "at_least", _("At least")  # the N-th occurrence and every one after it
    EXACTLY = "exactly", _("Exactly")  # the N-th occurrence only


class PenaltyWindow(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")
    RENEWAL_PERIOD = "renewal_period", _("within the current renewal period")


class PenaltyRule(TenantModel):
    """A fee charged when a client's late cancels or no-shows reach a count.

    Occurrences are counted over the last `window_length` `window_unit` before (and including)
    the event, or within the membership period the event falls in (`renewal_period`, resetting
    at each renewal). `all_plans` matches every client (drop-ins too); otherwise only events
    whose membership is of one of `plans`."""

    trigger = models.CharField(max_length=12, choices=PenaltyTrigger.choices)
    all_plans = models.BooleanField(default=True)
    plans = models.ManyToManyField(
        "memberships.Plan", through="PenaltyRulePlan", related_name="+", blank=True
    )
    frequency = models.CharField(
        max_length=10, choices=PenaltyFrequency.choices, default=PenaltyFrequency.EVERY
    )
    count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    window_unit = models.CharField(max_length=16, choices=PenaltyWindow.choices, default=PenaltyWindow.MONTHS)
    window_length = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    fee_amount = models.BigIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]


class PenaltyRulePlan(TenantModel):
    rule = models.ForeignKey(PenaltyRule, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("memberships.Plan", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "rule", "plan"], name="penalty_rule_plan_unique")
        ]


class PenaltyStatus(models.TextChoices):
    PENDING = "pending", _("Pending (grace delay)")
    CHARGING = "charging", _("Being charged")
    CHARGED = "charged", _("Charged")
    FAILED = "failed", _("Failed, owed")  # no method or declined: an amount owed, retryable
    WAIVED = "waived", _("Waived")  # before any charge, or after one (then refunded)
    REVERSED = "reversed", _("Reversed")  # the attendance was corrected: not a no-show after all
    PAID = "paid", _("Paid")  # collected later (POS, checkout) after a failed charge


class EventKind(models.TextChoices):
    CLASS = "class", _("Class")
    APPOINTMENT = "appointment", _("Appointment")


class Penalty(TenantModel):
    """One fee for one event and one rule. `idempotency_key` is
    `penalty:<event_kind>:<event_id>:<rule_id>` (attempt n > 1 after a definite failure adds
    `:<n>`); `due_at` ends the grace delay. `membership` is the one the rule applied to (its
    home location routes the charge, PAY-3 rule 3); empty for a rule matching everyone on a
    client without one. `occurred_at` is the class's (appointment's) start."""

    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(PenaltyRule, on_delete=models.PROTECT, related_name="penalties")
    trigger = models.CharField(max_length=12, choices=PenaltyTrigger.choices)
    event_kind = models.CharField(max_length=12, choices=EventKind.choices)
    event_id = models.BigIntegerField()  # scheduling's Booking or Appointment id
    occurred_at = models.DateTimeField()
    membership = models.ForeignKey(
        "memberships.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=PenaltyStatus.choices, default=PenaltyStatus.PENDING)
    due_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=80)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_code = models.CharField(max_length=40, blank=True)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["studio", "status", "due_at"], name="penalty_due"),
            models.Index(fields=["studio", "client", "status"], name="penalty_client"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "rule", "event_kind", "event_id"], name="penalty_once_per_event_rule"
            ),
            models.UniqueConstraint(fields=["studio", "idempotency_key"], name="penalty_key_unique"),
        ]
