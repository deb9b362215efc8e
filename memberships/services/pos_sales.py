"""What a point-of-sale sale makes of memberships' lines once it is paid (issue 14, POS-1).

The POS takes the money itself (its tenders, through payments' ledger, source kind
`pos_tender`), so nothing here charges anyone: each function is told which succeeded payment
paid, and makes the thing bought exist — a membership with its first period, a fee paid, a
past-due renewal paid — by calling the same internals the memberships app uses for its own
sales (`memberships.services.sales`), renewals and penalties. Each runs in the caller's
transaction and is idempotent: the sale's line names what it made (`fulfilment_ref`), and a
membership is keyed by its sale line (`sale_token` unique per studio), so a second call finds
the first membership instead of making another.
"""

from __future__ import annotations

import datetime as dt

from memberships.models import Membership, Plan
from memberships.services import paid_lines
from payments.models import Payment
from studio.models import Client, Studio
from studio.services import Actor


def pos_membership_key(*, sale_id: int, line_id: int) -> str:
    """The membership's `sale_token` for one POS sale line: the same line never sells twice."""
    return f"pos_sale:{sale_id}:{line_id}"


def pos_membership_grant(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    plan: Plan,
    payment: Payment,
    sale_id: int,
    line_id: int,
    now: dt.datetime | None = None,
) -> Membership:
    """The membership a POS sale paid for: active, its first period open and paid by `payment`
    (or, for a pass counted from its first class, usable at once). Call inside the sale's
    completion transaction. A second call for the same line returns the first membership."""
    return paid_lines.paid_membership_grant(
        studio=studio,
        actor=actor,
        client=client,
        plan=plan,
        payment=payment,
        key=pos_membership_key(sale_id=sale_id, line_id=line_id),
        channel="pos",
        now=now,
    )


def pos_owed_pay(
    *,
    studio: Studio,
    actor: Actor,
    owed_kind: str,
    owed_id: int,
    payment: Payment,
    now: dt.datetime | None = None,
) -> str:
    """Mark an amount owed (`amounts_owed_for`: "penalty" or "renewal") paid by a POS sale's
    `payment`; returns the line's `fulfilment_ref` ("penalty:<id>" / "renewal:<id>").

    A fee becomes PAID (`penalty_mark_paid`); a past-due renewal is recorded as succeeded with
    this payment (`renewal_record`), which opens the period it was for and brings the
    membership back from past due — the same step a successful retry takes."""
    return paid_lines.paid_owed_record(
        studio=studio,
        actor=actor,
        owed_kind=owed_kind,
        owed_id=owed_id,
        payment=payment,
        renewal_key=f"pos_tender:{payment.source_id}",
        now=now,
    )
