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

from memberships.models import Membership, Plan
from memberships.services import paid_lines
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
    return paid_lines.paid_membership_grant(
        studio=studio,
        actor=actor,
        client=client,
        plan=plan,
        payment=payment,
        key=online_membership_key(order_id=order_id, line_id=line_id),
        channel="online",
        now=now,
    )


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
    return paid_lines.paid_owed_record(
        studio=studio,
        actor=actor,
        owed_kind=owed_kind,
        owed_id=owed_id,
        payment=payment,
        renewal_key=f"checkout_order:{order_id}",
        now=now,
    )
