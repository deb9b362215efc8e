"""The Stripe event inbox (PAY-5): stored once by event id, handled by the worker."""

from __future__ import annotations

from django.db import models


class StripeEvent(models.Model):
    """Global table: an event arrives before we know its studio (the directory maps `account`)."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=80)
    account = models.CharField(max_length=64, blank=True)  # connected account; "" for platform events
    studio_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    livemode = models.BooleanField(default=False)
    created = models.BigIntegerField()  # Stripe's timestamp
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["studio_id", "-received_at"]),
            # The sweep's question: which events are stored but not processed yet.
            models.Index(
                fields=["received_at"],
                condition=models.Q(processed_at__isnull=True),
                name="stripe_event_unprocessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
