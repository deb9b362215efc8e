"""A studio's membership settings (MEM-3, MEM-4): the dunning schedule and the studio's choices.

One `MembershipSettings` row per studio, created on first read with the defaults (retries after
1, 3 and 5 days; stay past due; bookings allowed while past due; no proration; the night's run
at 3 h). The renewal engine and the lifecycle services read it through `membership_settings_for`.
"""

from __future__ import annotations

from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from memberships.models import AfterLastRetry, MembershipSettings, PastDueBookings, Proration
from studio.models import Studio
from studio.services import Actor, audit_record, change, field_changes, snapshot

RETRY_DAY_MIN = 1
RETRY_DAY_MAX = 60
RETRIES_MAX = 10  # the column's ArrayField size
SETTINGS_FIELDS = ["retry_days", "after_last_retry", "past_due_bookings", "cancel_proration", "renewal_hour"]


def membership_settings_for(*, studio: Studio) -> MembershipSettings:
    """The studio's settings row, created with the defaults the first time it is asked for."""
    found = MembershipSettings.objects.filter(studio=studio).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MembershipSettings.objects.create(studio=studio)
    except IntegrityError:  # two first reads at once: the other one created it
        return MembershipSettings.objects.get(studio=studio)


def retry_days_validate(days: list[int]) -> list[int]:
    """Refuse a retry schedule the engine could not follow; return it as a plain list of ints.

    Each number is days after the first failure: between 1 and 60, at most 10 of them, each later
    than the one before. An empty schedule is allowed (no retry: the first failure is the last).
    """
    if not isinstance(days, (list, tuple)) or any(type(d) is not int for d in days):
        raise ValidationError(_("Enter whole numbers of days."), code="retry_days")
    if len(days) > RETRIES_MAX:
        raise ValidationError(_("At most %(max)d retries.") % {"max": RETRIES_MAX}, code="retry_days_count")
    for day in days:
        if not RETRY_DAY_MIN <= day <= RETRY_DAY_MAX:
            raise ValidationError(
                _("Each retry is between %(min)d and %(max)d days after the first failure.")
                % {"min": RETRY_DAY_MIN, "max": RETRY_DAY_MAX},
                code="retry_days_range",
            )
    if any(later <= earlier for earlier, later in pairwise(days)):
        raise ValidationError(
            _("List the retries in order, each later than the one before (e.g. 1, 3, 5)."),
            code="retry_days_order",
        )
    return list(days)


def membership_settings_update(
    *,
    studio: Studio,
    actor: Actor,
    retry_days: list[int],
    after_last_retry: str,
    past_due_bookings: str,
    cancel_proration: str,
    renewal_hour: int,
) -> MembershipSettings:
    """Save the studio's dunning schedule and membership rules; audited with what changed.

    Refuses (ValidationError, nothing saved) an impossible schedule, an unknown choice or an hour
    outside 0–23. Applies from the next run: a renewal already retrying keeps its next attempt.
    """
    retry_days = retry_days_validate(retry_days)
    if after_last_retry not in AfterLastRetry.values:
        raise ValidationError(_("Choose what happens after the last retry."), code="after_last_retry")
    if past_due_bookings not in PastDueBookings.values:
        raise ValidationError(_("Choose whether past-due members may book."), code="past_due_bookings")
    if cancel_proration not in Proration.values:
        raise ValidationError(_("Choose what a cancellation now gives back."), code="cancel_proration")
    if type(renewal_hour) is not int or not 0 <= renewal_hour <= 23:
        raise ValidationError(_("The hour is between 0 and 23."), code="renewal_hour")
    with transaction.atomic():
        settings = MembershipSettings.objects.select_for_update().get(
            pk=membership_settings_for(studio=studio).pk
        )
        before = snapshot(settings, SETTINGS_FIELDS)
        before["retry_days"] = list(before["retry_days"])
        settings.retry_days = retry_days
        settings.after_last_retry = after_last_retry
        settings.past_due_bookings = past_due_bookings
        settings.cancel_proration = cancel_proration
        settings.renewal_hour = renewal_hour
        changes = field_changes(settings, SETTINGS_FIELDS[1:], before)
        if before["retry_days"] != retry_days:
            # As the person typed them, so the audit line reads "1, 3, 5 → 2, 4".
            changes["retry_days"] = change(
                ", ".join(map(str, before["retry_days"])), ", ".join(map(str, retry_days))
            )
        if changes:
            settings.save(update_fields=[*SETTINGS_FIELDS])
            audit_record(
                studio=studio,
                actor=actor,
                action="memberships.settings_updated",
                obj=settings,
                changes=changes,
            )
    return settings
