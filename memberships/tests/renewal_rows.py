"""Renewal rows for the renewals page's tests and isolation cases (H7), written with scopes disabled."""

from __future__ import annotations

import datetime as dt

from django_scopes import scopes_disabled

from memberships.models import Membership, Renewal, RenewalStatus


def renewal_for(
    membership: Membership,
    *,
    period_start: dt.date | None = None,
    status: str = RenewalStatus.RETRYING,
    failure_code: str = "card_declined",
    attempts: int = 1,
    next_attempt_at: dt.datetime | None = None,
) -> Renewal:
    """A renewal of `membership`'s next period (by default a declined card, retrying)."""
    start = period_start or membership.next_renewal_on or membership.current_period_end
    with scopes_disabled():
        return Renewal.objects.create(
            studio_id=membership.studio_id,
            membership=membership,
            period_start=start,
            amount=membership.price_amount,
            currency=membership.currency,
            status=status,
            idempotency_key=f"renewal:{membership.pk}:{start.isoformat()}",
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            failure_code=failure_code if status in (RenewalStatus.RETRYING, RenewalStatus.FAILED) else "",
        )
