"""Cash sessions (POS-7): the till opened with a counted float, closed with counted cash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class CashSession(TenantModel):
    """One till at one location, from opening to closing. A location has at most one open."""

    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    opening_float = models.BigIntegerField(_("float counted at opening"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    # Filled when the till is closed: what the clerk counted, what the sales say should be there.
    counted_cash = models.BigIntegerField(_("cash counted at closing"), null=True, blank=True)
    expected_cash = models.BigIntegerField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "location"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_till_per_location",
            ),
            models.CheckConstraint(condition=models.Q(opening_float__gte=0), name="till_float_not_negative"),
        ]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def over_short(self) -> int | None:
        """Counted minus expected: positive is over, negative short (None while open)."""
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash
