"""A studio's point-of-sale settings: tips on the card reader (POS-3)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


def default_tip_percentages() -> list[int]:
    return [15, 18, 20]


class PosSettings(TenantModel):
    tips_enabled = models.BooleanField(_("ask for a tip on the card reader"), default=False)
    # Whole percentages offered on the reader's screen, besides a custom amount.
    tip_percentages = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)]),
        size=3,
        default=default_tip_percentages,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["studio"], name="one_pos_settings_per_studio")]
