"""The penalty-fee email (POL-4) through the one mail path (`notification_send`).

Two kinds under one template name, "memberships/penalty_fee": the fee was charged (amount, the
event, the card's account), or it could not be charged (what is owed and why, with the link to
the client's account page where they fix their card). Sent by the penalty engine inside the
transaction that records the outcome, so one state change is one message. The client's (or their
guardians') language is the notification service's business.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from memberships.emails.renewals import ReaderMoney
from memberships.models import Penalty
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.notifications.services import ReaderDate, absolute_url, notification_send

TEMPLATE = "memberships/penalty_fee"
KINDS = ("charged", "failed")

register(
    MailTemplate(
        name=TEMPLATE,
        label=_("Late-cancel or no-show fee"),
        files="memberships/email/penalty_fee",
        variables=("kind", "client", "fee", "amount", "event_name", "event_at", "reason", "account_url"),
        placeholders=(
            ph.client_first_name(),
            ph.client_name(),
            ph.value("fee", _("Kind of fee"), key="fee", sample=_("Late-cancel fee")),
            ph.amount(sample=1500),
            ph.value("class_name", _("Class or appointment"), key="event_name", sample=_("Morning flow")),
            ph.when("starts_at", _("Its date and time"), key="event_at"),
            ph.value("reason", _("Why the charge failed"), key="reason", sample=_("The card was declined.")),
            ph.link("link", _("Link to the client's account"), key="account_url", required=False),
        ),
    )
)


class ReaderText:
    """A code worded in the reader's language when rendered (the code is what is stored)."""

    def __init__(self, word) -> None:
        self.word = word

    def __str__(self) -> str:
        return str(self.word())


def send_penalty_email(*, penalty: Penalty, kind: str) -> int:
    """Write to the client (or their guardians) that the fee was charged or failed; returns the
    number of messages."""
    from memberships.selectors.penalties import FEE_LABELS, event_facts, penalty_failure_reason

    if kind not in KINDS:
        raise ValueError(f"unknown penalty email kind {kind!r}")
    studio = penalty.studio
    facts = event_facts(studio=studio, event_kind=penalty.event_kind, event_id=penalty.event_id)
    code = penalty.failure_code
    context = {
        "kind": kind,
        "client": penalty.client,
        "fee": FEE_LABELS.get(penalty.trigger, penalty.trigger),  # lazy: the reader's language
        "amount": ReaderMoney(
            penalty.payment.amount if penalty.payment else penalty.amount, penalty.currency
        ),
        "event_name": facts.name if facts else "",
        # The class's local time, where it took place.
        "event_at": ReaderDate(penalty.occurred_at.astimezone(ZoneInfo(facts.time_zone if facts else "UTC"))),
        "reason": ReaderText(lambda: penalty_failure_reason(code)) if code else "",
        "account_url": absolute_url(reverse("account-home", kwargs={"studio_slug": studio.slug})),
    }
    return len(notification_send(studio=studio, recipient=penalty.client, template=TEMPLATE, context=context))
