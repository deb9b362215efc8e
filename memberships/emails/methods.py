"""Payment-method reminders about a renewing membership (H6), through `notification_send`.

Two kinds, each in the client's language with the link to the hosted page where the client adds
a saved method (on the account their renewals go to):
- `memberships/method_needed`: after a home-location change, the renewals now go to an account
  where the client has no usable method;
- `memberships/card_expiring`: the default card will have expired by the next renewal.
Sent by the worker (memberships.tasks.methods); each at most once (MembershipReminder).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from memberships.models import Membership
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.notifications.services import ReaderDate, notification_send

register(
    MailTemplate(
        name="memberships/method_needed",
        label=_("Membership: add a payment method before the renewal"),
        files="memberships/lifecycle/email_method_needed",
        variables=("client", "plan_name", "renewal_on", "account_name", "url"),
        placeholders=(
            ph.client_first_name(),
            ph.value("plan_name", _("Plan"), key="plan_name", sample=_("Unlimited monthly")),
            ph.when("renewal_on", _("Renewal date"), key="renewal_on", day_only=True),
            ph.value("account_name", _("Studio location billed"), key="account_name", sample=_("Laval")),
            ph.link("link", _("Link to add a payment method"), key="url"),
        ),
    )
)
register(
    MailTemplate(
        name="memberships/card_expiring",
        label=_("Membership: the card expires before the renewal"),
        files="memberships/lifecycle/email_card_expiring",
        variables=("client", "plan_names", "renewal_on", "method_label", "expiry", "url"),
        placeholders=(
            ph.client_first_name(),
            ph.value("plan_names", _("Plans renewing"), key="plan_names", sample=_("“Unlimited monthly”")),
            ph.when("renewal_on", _("Renewal date"), key="renewal_on", day_only=True),
            ph.value("card", _("Card"), key="method_label", sample="Visa •••• 4242"),
            ph.value("expiry", _("Card expiry"), key="expiry", sample="12/2026"),
            ph.link("link", _("Link to update the card"), key="url"),
        ),
    )
)


def send_method_needed(*, membership: Membership, status, url: str) -> int:
    """Write to the client (or their guardians): add a method on `status.account_name`'s account."""
    return len(
        notification_send(
            studio=membership.studio,
            recipient=membership.client,
            template="memberships/method_needed",
            context={
                "client": membership.client,
                "plan_name": membership.plan.name,
                "renewal_on": ReaderDate(membership.next_renewal_on, "DATE_FORMAT"),
                "account_name": status.account_name,
                "url": url,
            },
        )
    )


def send_card_expiring(*, memberships: list[Membership], method, renewal_on: dt.date, url: str) -> int:
    """Write to the client: their default card expires before `renewal_on`, when these renew."""
    first = memberships[0]
    return len(
        notification_send(
            studio=first.studio,
            recipient=first.client,
            template="memberships/card_expiring",
            context={
                "client": first.client,
                "plan_names": ", ".join(f"“{m.plan.name}”" for m in memberships),
                "renewal_on": ReaderDate(renewal_on, "DATE_FORMAT"),
                "method_label": f"{method.label} •••• {method.last4}",
                "expiry": f"{method.exp_month:02d}/{method.exp_year}",
                "url": url,
            },
        )
    )
