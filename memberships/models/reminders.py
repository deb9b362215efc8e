"""Reminders sent about a membership's payment method (H6): each one once, whatever reruns."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class MembershipReminder(TenantModel):
    """One reminder email sent to a client about a membership's payment method.

    `key` names what the reminder is about, so a beat run twice, a retried task or two workers
    send it once: `card_expiring:<method_id>:<renewal ISO>` (a card expiring before that
    renewal), `method_needed:<membership_id>:<account_id>:<renewal ISO>` (no usable method on the
    account the renewal moved to after a home-location change).
    """

    class Kind(models.TextChoices):
        CARD_EXPIRING = "card_expiring", _("Card expiring before the renewal")
        METHOD_NEEDED = "method_needed", _("Payment method needed on the new account")

    membership = models.ForeignKey(
        "memberships.Membership", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=120)
    renewal_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["studio", "key"], name="membership_reminder_once")]
