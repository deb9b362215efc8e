"""Making a line another app was paid for exist: a membership, an amount owed paid.

The point of sale (`pos_sales`) and the online checkout (`online_sales`) take the money
themselves, so nothing here charges anyone: each function is told which succeeded payment paid
and makes the thing bought exist, by the same internals memberships uses for its own sales
(`memberships.services.sales`), renewals and penalties. They run in the caller's transaction and
are idempotent: a membership is keyed by the caller's line (`sale_token` unique per studio), so a
second call finds the first membership instead of making another.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import Membership, Penalty, Plan, Renewal
from memberships.periods import studio_today
from memberships.services import sales
from memberships.services.penalties import penalty_mark_paid
from memberships.services.renewals import renewal_record
from payments.models import Payment
from studio.models import Client, Studio
from studio.services import Actor


def paid_membership_grant(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    plan: Plan,
    payment: Payment,
    key: str,
    channel: str,
    now: dt.datetime | None = None,
) -> Membership:
    """The membership `payment` paid for: active, its first period open and paid (a pass counted
    from its first class is usable at once; a pack carries its credits). `key` names the caller's
    line (the same key again returns the first membership); `channel` ("pos", "online") is what
    the audit entry says. An archived plan is still granted: the client paid while it was on sale."""
    now = now or timezone.now()
    if payment.status != Payment.Status.SUCCEEDED or payment.studio_id != studio.pk:
        raise ValidationError(_("Only a succeeded payment of this studio can pay a membership."))
    if plan.studio_id != studio.pk or client.studio_id != studio.pk:
        raise ValidationError(_("This client or plan belongs to another studio."), code="studio")
    existing = Membership.objects.filter(studio=studio, sale_token=key).first()
    if existing is not None:
        return existing
    membership = sales._new_membership(studio=studio, actor=actor, client=client, plan=plan, sale_token=key)
    membership = sales._settle_paid(
        membership_id=membership.pk, payment_id=payment.pk, on=studio_today(studio, now)
    )
    sales._audit_sold(studio, actor, membership, payment, channel)
    return membership


def paid_owed_record(
    *,
    studio: Studio,
    actor: Actor,
    owed_kind: str,
    owed_id: int,
    payment: Payment,
    renewal_key: str,
    now: dt.datetime | None = None,
) -> str:
    """Mark an amount owed (`amounts_owed_for`: "penalty" or "renewal") paid by `payment`; returns
    the line's `fulfilment_ref` ("penalty:<id>" / "renewal:<id>").

    A fee becomes PAID (`penalty_mark_paid`); a past-due renewal is recorded as succeeded with
    this payment under `renewal_key` (`renewal_record`), which opens the period it was for and
    brings the membership back from past due — the same step a successful retry takes."""
    now = now or timezone.now()
    if owed_kind == "penalty":
        penalty = Penalty.objects.get(pk=owed_id, studio=studio)
        penalty_mark_paid(studio=studio, penalty=penalty, payment=payment, actor=actor)
        return f"penalty:{penalty.pk}"
    if owed_kind == "renewal":
        renewal = Renewal.objects.get(pk=owed_id, studio=studio)
        renewal_record(
            renewal_id=renewal.pk, key=renewal_key, status="succeeded", payment=payment, code="", now=now
        )
        return f"renewal:{renewal.pk}"
    raise ValidationError(_("Unknown kind of amount owed."), code="owed_kind")
