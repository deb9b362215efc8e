"""Shared set-up of the renewal tests (H4): accounts, saved methods, due memberships, the clock."""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django_scopes import scope, scopes_disabled

from memberships.models import Membership, Renewal
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.services import saved_methods as svc
from payments.tests.conftest import make_account, sandbox, webhooks_to_app  # noqa: F401 - fixtures for importers
from studio.services import SYSTEM, Actor

TORONTO = ZoneInfo("America/Toronto")


def at(day: dt.date, hour: int = 4) -> dt.datetime:
    """That day at `hour` in the studio's zone (after the default renewal hour, 3 h)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TORONTO)


@pytest.fixture
def enabled(studio, owner):
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)


@pytest.fixture
def plateau(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


BANK = {"institution_number": "000", "transit_number": "11000", "account_number": "000123456789"}
BANK_FAILING = {**BANK, "account_number": "900123456789"}


def save_method(sandbox, studio, client, *, pm="pm_card_visa", bank=None):
    """Save a default method for `client` on their home location's account, as the client would."""
    kind = "acss_debit" if bank else "card"
    with scope(studio=studio):
        request = svc.setup_start(
            studio=studio, actor=SYSTEM, client=client, kind=kind, source="staff", make_default=True
        )
        params = {"payment_method": pm}
        if bank:
            params = {
                "payment_method_data": {
                    "type": "acss_debit",
                    "billing_details": {"name": client.full_name, "email": client.email or "c@example.test"},
                    "acss_debit": bank,
                },
                "mandate_data": {
                    "customer_acceptance": {
                        "type": "online",
                        "online": {"ip_address": "127.0.0.1", "user_agent": "test"},
                    }
                },
            }
        intent = sandbox.client().v1.setup_intents.confirm(
            request.stripe_setup_intent_id,
            params=params,
            options={"stripe_account": request.account.stripe_account_id},
        )
        if intent.status == "requires_action":  # a 3-D Secure card: the client authenticates once
            sandbox.authenticate(intent.id, account=request.account.stripe_account_id)
        return svc.setup_complete(studio=studio, actor=SYSTEM, setup_request=request, consent=True)


def due_membership(client, *, started: dt.date, plan=None, **kwargs) -> Membership:
    """An active monthly membership bought on `started`: its first renewal falls a month later."""
    plan = plan or PlanFactory(studio=client.studio, credits_per_period=8)
    return MembershipFactory(client=client, plan=plan, started_on=started, **kwargs)


def renewals_of(membership) -> list[Renewal]:
    with scopes_disabled():
        return list(Renewal.objects.filter(membership=membership).order_by("period_start"))


def fresh(obj):
    with scopes_disabled():
        obj.refresh_from_db()
    return obj


def succeeded_charges_per_renewal(sandbox, account) -> dict[int, int]:
    """The sandbox's succeeded payment intents on `account`, counted per renewal they paid for
    (through the payment each one names in its metadata): exactly-once means every count is 1."""
    from payments.models import Payment

    with scopes_disabled():
        renewal_of = {
            str(pk): int(source_id)
            for pk, source_id in Payment.objects.filter(source_type="membership_renewal").values_list(
                "pk", "source_id"
            )
        }
    counts: dict[int, int] = {}
    for intent in sandbox.objects("payment_intent", account=account.stripe_account_id):
        if intent["status"] == "succeeded":
            renewal_id = renewal_of[intent["metadata"]["atelier_payment"]]
            counts[renewal_id] = counts.get(renewal_id, 0) + 1
    return counts


def deliver_webhooks_and_outcomes(sandbox, studio) -> None:
    """What the worker does after Stripe's events: store and process them, then run the outcome
    hooks of the payments they settled (in tests nothing is sent to a broker)."""
    from payments.services.outcomes import outcome_deliver, outcomes_needing_delivery
    from payments.tests.conftest import process_inbox

    sandbox.deliver_pending()
    with scope(studio=studio):
        process_inbox()
        for outcome_id in list(
            outcomes_needing_delivery(studio=studio, older_than=dt.timedelta(0)).values_list("pk", flat=True)
        ):
            outcome_deliver(outcome_id=outcome_id)
