"""Studio credit in money given back for a cancelled drop-in (POL-1).

A booking paid by card (or cash) as a drop-in and cancelled in time under the studio's policy
turns what was paid into studio credit. The grant happens in the worker, after the cancel's
event; a redelivered event, a retried task or the sweep must not grant twice. This row is the
guard: at most one per cancelled booking or appointment, ever (unique on the event), written in
the same transaction as the credit entry it names.
"""

from __future__ import annotations

from django.db import models

from studio.tenancy import TenantModel


class CancelCreditGrant(TenantModel):
    """The studio credit one cancel turned into money. `event_kind` + `event_id` name
    scheduling's row ("class" → Booking, "appointment" → Appointment); `payment` is the drop-in's
    payment (the booking's `payment_ref`, `payment:<id>`); `credit_entry` the entry granted."""

    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="+")
    event_kind = models.CharField(max_length=12)
    event_id = models.BigIntegerField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="+")
    credit_entry = models.ForeignKey(
        "payments.CreditEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "event_kind", "event_id"], name="cancel_credit_once_per_event"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="cancel_credit_amount_positive"),
        ]
