"""The sale email (MEM-2) through the one mail path (`notification_send`): the membership the
client (or their guardians) now holds, its dates and what was paid.

Sent once, when the sale's payment makes the membership usable — by the sale itself (cash, a
card that answered at once) or by the payment's outcome hook (an answer that came later) — in
the transaction that records it, so one sale is one message.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from memberships.models import Membership
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.notifications.services import ReaderDate, notification_send

TEMPLATE = "memberships/sold"

register(
    MailTemplate(
        name=TEMPLATE,
        label=_("Membership sold"),
        files="memberships/email/sold",
        variables=(
            "client",
            "plan_name",
            "amount",
            "period_start",
            "period_end",
            "first_use",
            "receipt_number",
        ),
        placeholders=(
            ph.client_first_name(),
            ph.client_name(),
            ph.value("plan_name", _("Plan"), key="plan_name", sample=_("10-class pack")),
            ph.amount(),
            ph.when("period_start", _("Period start"), key="period_start", day_only=True),
            ph.when("period_end", _("Period end"), key="period_end", day_only=True),
            ph.value("receipt_number", _("Receipt number"), key="receipt_number", sample="1042"),
        ),
    )
)


def send_sale_email(*, membership: Membership, amount: int, payment_id: int | None) -> int:
    """Write to the member about the membership just sold; returns the number of messages."""
    from memberships.emails.renewals import ReaderMoney

    end = membership.current_period_end
    context = {
        "client": membership.client,
        "plan_name": membership.plan.name,
        "amount": ReaderMoney(amount, membership.currency),
        "period_start": ReaderDate(membership.current_period_start, "DATE_FORMAT")
        if membership.current_period_start
        else "",
        "period_end": ReaderDate(end - dt.timedelta(days=1), "DATE_FORMAT") if end else "",
        "first_use": membership.current_period_start is None,
        "receipt_number": str(payment_id or ""),
    }
    return len(
        notification_send(
            studio=membership.studio, recipient=membership.client, template=TEMPLATE, context=context
        )
    )
