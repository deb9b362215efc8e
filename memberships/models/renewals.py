"""Renewals (MEM-3, MEM-5) and the studio's dunning settings."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class RenewalStatus(models.TextChoices):
    DUE = "due", _("Due")
    PROCESSING = "processing", _("Processing")  # a bank debit, settled by the webhook days later
    RETRYING = "retrying", _("Failed, retrying")
    SUCCEEDED = "succeeded", _("Renewed")
    FAILED = "failed", _("Failed")  # retries exhausted
    SKIPPED = "skipped", _("Not charged")  # cancelled or paused before it was charged


class Renewal(TenantModel):
    """The charge of one period of one membership: exactly one row per (membership, period start).

    `idempotency_key` is `renewal:<membership_id>:<period_start>` (`instalment:…` for a payment
    plan); attempt n > 1 after a definite failure charges under `<key>:<n>`. `failure_code` is a
    code (a decline code, "no_method", "authentication_required"), worded at display time.
    """

    membership = models.ForeignKey(
        "memberships.Membership", on_delete=models.PROTECT, related_name="renewals"
    )
    period_start = models.DateField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=RenewalStatus.choices, default=RenewalStatus.DUE)
    idempotency_key = models.CharField(max_length=80)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the first attempt failed: the studio's retry days count from here (H4).
    first_failed_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period_start", "id"]
        indexes = [models.Index(fields=["studio", "status", "next_attempt_at"], name="renewal_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "membership", "period_start"], name="renewal_once_per_period"
            ),
            models.UniqueConstraint(fields=["studio", "idempotency_key"], name="renewal_key_unique"),
        ]


class AfterLastRetry(models.TextChoices):
    STAY_PAST_DUE = "past_due", _("Stay past due")
    CANCEL = "cancel", _("Cancel the membership")


class PastDueBookings(models.TextChoices):
    ALLOW = "allow", _("Allowed")
    BLOCK = "block", _("Blocked until paid")


class Proration(models.TextChoices):
    NONE = "none", _("No refund")
    REFUND = "refund", _("Prorated refund")
    CREDIT = "credit", _("Prorated studio credit")


def default_retry_days() -> list[int]:
    return [1, 3, 5]


class MembershipSettings(TenantModel):
    """One row per studio (created on first read): the dunning schedule and membership rules."""

    retry_days = ArrayField(
        models.PositiveSmallIntegerField(),
        default=default_retry_days,
        size=10,
        verbose_name=_("retry after (days)"),
    )
    after_last_retry = models.CharField(
        _("after the last retry"),
        max_length=10,
        choices=AfterLastRetry.choices,
        default=AfterLastRetry.STAY_PAST_DUE,
    )
    past_due_bookings = models.CharField(
        _("bookings while past due"),
        max_length=8,
        choices=PastDueBookings.choices,
        default=PastDueBookings.ALLOW,
    )
    cancel_proration = models.CharField(
        _("when cancelling now"), max_length=8, choices=Proration.choices, default=Proration.NONE
    )
    # The studio's local hour at which the night's renewals run.
    renewal_hour = models.PositiveSmallIntegerField(_("renewal hour"), default=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio"], name="membership_settings_one_per_studio")]
