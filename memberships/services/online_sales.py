"""What an online order (checkout, CHK-2) makes of memberships' lines once it is paid.

The hosted checkout takes the money itself (source kind `checkout_order`, routed by PAY-3 rule 3
for a plan), so, as for the point of sale (`pos_sales`), nothing here charges anyone: each
function is told which succeeded payment paid and makes the thing bought exist. They differ from
the POS ones only in what keys them: a membership bought online is keyed by its order line
(`checkout_order:<order id>:<line id>`, a namespace of its own — an order and a sale may share an
id), and its audit names the online channel.
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


def online_membership_key(*, order_id: int, line_id: int) -> str:
    """The membership's `sale_token` for one online order line: the same line never sells twice."""
    return f"checkout_order:{order_id}:{line_id}"


def online_membership_grant(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    plan: Plan,
    payment: Payment,
    order_id: int,
    line_id: int,
    now: dt.datetime | None = None,
) -> Membership:
    """The membership an online order paid for: active, its first period open and paid by
    `payment` (a pass counted from its first class is usable at once, its period opening at the
    first booking; a pack carries its credits). Call inside the order's payment transaction.
    A second call for the same line returns the first membership. An archived plan is still
    granted: the client paid for it while it was on sale."""
    now = now or timezone.now()
    if payment.status != Payment.Status.SUCCEEDED or payment.studio_id != studio.pk:
        raise ValidationError(_("Only a succeeded payment of this studio can pay a membership."))
    if plan.studio_id != studio.pk or client.studio_id != studio.pk:
        raise ValidationError(_("This client or plan belongs to another studio."), code="studio")
    key = online_membership_key(order_id=order_id, line_id=line_id)
    existing = Membership.objects.filter(studio=studio, sale_token=key).first()
    if existing is not None:
        return existing
    membership = sales._new_membership(studio=studio, actor=actor, client=client, plan=plan, sale_token=key)
    membership = sales._settle_paid(
        membership_id=membership.pk, payment_id=payment.pk, on=studio_today(studio, now)
    )
    sales._audit_sold(studio, actor, membership, payment, "online")
    return membership


def online_owed_pay(
    *,
    studio: Studio,
    actor: Actor,
    owed_kind: str,
    owed_id: int,
    payment: Payment,
    order_id: int,
    now: dt.datetime | None = None,
) -> str:
    """Mark an amount owed ("penalty" or "renewal") paid by an online order's `payment`; returns
    the line's `fulfilment_ref` ("penalty:<id>" / "renewal:<id>"). The same steps as the POS's
    `pos_owed_pay`: a fee becomes PAID, a past-due renewal is recorded as succeeded with this
    payment (its period opens, the membership leaves past due)."""
    now = now or timezone.now()
    if owed_kind == "penalty":
        penalty = Penalty.objects.get(pk=owed_id, studio=studio)
        penalty_mark_paid(studio=studio, penalty=penalty, payment=payment, actor=actor)
        return f"penalty:{penalty.pk}"
    if owed_kind == "renewal":
        renewal = Renewal.objects.get(pk=owed_id, studio=studio)
        renewal_record(
            renewal_id=renewal.pk,
            key=f"checkout_order:{order_id}",
            status="succeeded",
            payment=payment,
            code="",
            now=now,
        )
        return f"renewal:{renewal.pk}"
    raise ValidationError(_("Unknown kind of amount owed."), code="owed_kind")
