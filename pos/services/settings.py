"""A studio's point-of-sale settings (POS-3): tips on the card reader.

One `PosSettings` row per studio, created on first read with the defaults (tips off; 15, 18 and
20 % offered when they are turned on). Saving writes the row (audited) and then, outside the
transaction, hands the tipping choice to payments (`terminal_tipping_apply`), which stores it and
sets the Terminal configuration of every account that has readers. Stripe may be unreachable at
that moment: the settings stay saved, and payments brings the readers in line later — its task
`payments.terminal_tipping_sync` (enqueued by `terminal_tipping_apply` itself) and again before
the next reader payment that asks for a tip — always from the stored wish, so a late retry never
undoes a newer save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pos.models import PosSettings
from studio.models import Studio
from studio.services import Actor, audit_record, change

logger = logging.getLogger(__name__)

TIP_CHOICES = 3  # the reader's screen shows three percentages (and a custom amount)
TIP_MIN = 1
TIP_MAX = 100


@dataclass(frozen=True)
class PosSettingsSaved:
    settings: PosSettings
    changed: bool
    # False: Stripe could not be told now; payments tries again (docs/pos.md, "Tips on the reader").
    tipping_applied: bool


def pos_settings_for(*, studio: Studio) -> PosSettings:
    """The studio's POS settings row, created with the defaults the first time it is asked for."""
    found = PosSettings.objects.filter(studio=studio).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PosSettings.objects.create(studio=studio)
    except IntegrityError:  # two first reads at once: the other one created it
        return PosSettings.objects.get(studio=studio)


def tip_percentages_validate(percentages: list[int]) -> list[int]:
    """Refuse what the reader could not offer; return the three percentages in increasing order.

    Exactly three whole numbers, each between 1 and 100, all different (the reader shows them as
    three buttons: two equal buttons would be a trap for the client).
    """
    if (
        not isinstance(percentages, (list, tuple))
        or len(percentages) != TIP_CHOICES
        or any(type(p) is not int for p in percentages)
    ):
        raise ValidationError(_("Enter three whole percentages."), code="tip_percentages")
    if any(not TIP_MIN <= p <= TIP_MAX for p in percentages):
        raise ValidationError(
            _("Each tip percentage is a whole number between %(min)d and %(max)d.")
            % {"min": TIP_MIN, "max": TIP_MAX},
            code="tip_percentages_range",
        )
    if len(set(percentages)) != TIP_CHOICES:
        raise ValidationError(_("The three tip percentages must be different."), code="tip_percentages_same")
    return sorted(percentages)


def _tipping_push(*, studio: Studio, settings: PosSettings) -> bool:
    """Tell payments (and so Stripe) the studio's tipping choice now; False when it could not."""
    from payments.services.terminal import terminal_tipping_apply

    try:
        return terminal_tipping_apply(
            studio=studio, tip_percentages=list(settings.tip_percentages) if settings.tips_enabled else None
        )
    except Exception:  # the settings are committed: a failure past this point must not answer a 500
        logger.exception("tipping settings not handed to payments for studio %s", studio.pk)
        return False


def pos_settings_update(
    *, studio: Studio, actor: Actor, tips_enabled: bool, tip_percentages: list[int]
) -> PosSettingsSaved:
    """Save whether the reader asks for a tip and the three percentages it offers; audited.

    Refuses (ValidationError, nothing saved) percentages that are not three different whole
    numbers between 1 and 100. Call outside any transaction: after the commit the choice is
    applied to every account's Terminal configuration; if Stripe fails, the settings stay saved,
    the result says `tipping_applied=False` and payments applies them again later.
    """
    percentages = tip_percentages_validate(tip_percentages)
    if type(tips_enabled) is not bool:
        raise ValidationError(_("Choose whether the reader asks for a tip."), code="tips_enabled")
    with transaction.atomic():
        settings = PosSettings.objects.select_for_update().get(pk=pos_settings_for(studio=studio).pk)
        before_enabled, before_percentages = settings.tips_enabled, list(settings.tip_percentages)
        changes = {}
        if before_enabled != tips_enabled:
            changes["tips_enabled"] = change(before_enabled, tips_enabled)
        if before_percentages != percentages:
            # As a person reads them: "15, 18, 20 → 10, 15, 20".
            changes["tip_percentages"] = change(
                ", ".join(map(str, before_percentages)), ", ".join(map(str, percentages))
            )
        if changes:
            settings.tips_enabled = tips_enabled
            settings.tip_percentages = percentages
            settings.save(update_fields=["tips_enabled", "tip_percentages", "updated_at"])
            audit_record(
                studio=studio, actor=actor, action="pos.settings_updated", obj=settings, changes=changes
            )
    # Outside the transaction (no Stripe call inside one). Applied even when nothing changed, so
    # that saving again is how a person retries at once after "will be retried".
    applied = _tipping_push(studio=studio, settings=settings)
    return PosSettingsSaved(settings=settings, changed=bool(changes), tipping_applied=applied)
