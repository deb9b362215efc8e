"""Renewal emails (MEM-3, MEM-5) through the one mail path (`notification_send`).

Three kinds: the renewal went through (with its receipt's figures), it failed (the reason, the
link to fix it on the hosted account page and when the next attempt is), and the bank asks the
client to confirm the payment themselves (3-D Secure: the link opens the page where they do).
Sent by the renewal engine inside the transaction that records the outcome, so one state change
is one message. Reasons, dates and amounts are rendered in each reader's language.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from memberships.models import Renewal, RenewalStatus
from studio.money import format_money
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.notifications.services import ReaderDate, absolute_url, notification_send

KINDS = {
    "succeeded": _("Membership renewed"),
    "failed": _("Membership renewal failed"),
    "action_required": _("Membership renewal: confirm the payment"),
}
_VARIABLES = (
    "kind",
    "client",
    "plan_name",
    "amount",
    "period_start",
    "period_end",
    "reason",
    "next_attempt",
    "final",
    "fix_url",
    "receipt_number",
)

# What a studio's own version may say (CHK-3, docs/emails.md).
_PLACEHOLDERS = (
    ph.client_first_name(),
    ph.client_name(),
    ph.value("plan_name", _("Plan"), key="plan_name", sample=_("10-class pack")),
    ph.amount(),
    ph.when("period_start", _("Period start"), key="period_start", day_only=True),
    ph.when("period_end", _("Period end"), key="period_end", day_only=True),
    ph.value("reason", _("Why the payment failed"), key="reason", sample=_("The card was declined.")),
    ph.when("next_attempt", _("Next attempt"), key="next_attempt", day_only=True),
    ph.value("receipt_number", _("Receipt number"), key="receipt_number", sample="1042"),
)

for _kind, _label in KINDS.items():
    register(
        MailTemplate(
            name=f"memberships/renewal_{_kind}",
            label=_label,
            files="memberships/email/renewal",
            variables=_VARIABLES,
            placeholders=(
                *_PLACEHOLDERS,
                # The page where the client fixes the card or confirms the payment: the point of
                # these two messages.
                ph.link("link", _("Link to fix the payment"), key="fix_url", required=_kind != "succeeded"),
            ),
        )
    )


class ReaderMoney:
    """An amount that formats itself in the language active when the message is rendered."""

    def __init__(self, amount: int, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    def __str__(self) -> str:
        return format_money(self.amount, self.currency, language=get_language() or "en")


class ReaderReason:
    """A failure code, worded in the reader's language when rendered (the code is what is stored)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        from memberships.selectors.renewals import renewal_failure_reason

        return renewal_failure_reason(self.code)


def renewal_page_url(renewal: Renewal) -> str:
    """The client's hosted page for this renewal (fix the payment method, confirm the payment)."""
    return absolute_url(
        reverse(
            "account-membership-renewal",
            kwargs={"studio_slug": renewal.studio.slug, "pk": renewal.pk},
        )
    )


def send_renewal_email(*, renewal: Renewal, kind: str) -> int:
    """Write to the member (or their guardians) about `kind`; returns the number of messages."""
    if kind not in KINDS:
        raise ValueError(f"unknown renewal email kind {kind!r}")
    membership = renewal.membership
    period = membership.periods.filter(starts_on=renewal.period_start).first()
    context = {
        "kind": kind,
        "client": membership.client,
        "plan_name": membership.plan.name,
        "amount": ReaderMoney(
            renewal.payment.amount if renewal.payment else renewal.amount, renewal.currency
        ),
        "period_start": ReaderDate(renewal.period_start, "DATE_FORMAT"),
        "period_end": ReaderDate(period.ends_on, "DATE_FORMAT") if period and period.ends_on else "",
        "reason": ReaderReason(renewal.failure_code) if renewal.failure_code else "",
        # A date of the studio's calendar, whichever zone the sending worker runs in.
        "next_attempt": ReaderDate(
            timezone.localtime(renewal.next_attempt_at, ZoneInfo(renewal.studio.time_zone or "UTC")).date(),
            "DATE_FORMAT",
        )
        if renewal.next_attempt_at
        else "",
        "final": renewal.status == RenewalStatus.FAILED,
        "fix_url": renewal_page_url(renewal),
        "receipt_number": str(renewal.payment_id or ""),
    }
    messages = notification_send(
        studio=renewal.studio,
        recipient=membership.client,
        template=f"memberships/renewal_{kind}",
        context=context,
    )
    return len(messages)
