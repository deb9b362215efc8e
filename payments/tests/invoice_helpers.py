"""Fixtures and builders of the invoice tests (PAY-11): two home locations each with its account
on the sandbox (Plateau the default, Laval), a payer living in Laval, invoices made through the
service, a card confirmed as Stripe.js would, and the outcome hooks run as the worker would.

Import into a test module with `from payments.tests.invoice_helpers import *  # noqa: F403`."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from payments.models import Invoice, InvoicePayment, Payment
from payments.models.ledger import PaymentOutcome
from payments.services import invoices as services
from payments.services.invoices import LineInput
from payments.services.outcomes import outcome_deliver
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory, owner_of

__all__ = [
    "accounts",
    "confirm_card",
    "deliver_outcomes",
    "laval",
    "make_invoice",
    "pay_token",
    "payer",
    "staff_actor",
]


def pay_token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval")


@pytest.fixture
def accounts(make_account, studio, location, laval):
    return {
        "plateau": make_account(studio, name="Plateau", default=True, locations=[location]),
        "laval": make_account(studio, name="Laval", locations=[laval]),
    }


@pytest.fixture
def payer(studio, laval):
    return ClientFactory(
        studio=studio,
        first_name="Léa",
        last_name="Gagnon",
        home_location=laval,
        email="lea@example.com",
        language="fr",
    )


@pytest.fixture
def staff_actor(studio):
    return Actor(user=owner_of(studio).user)


def make_invoice(
    studio,
    client,
    *,
    lines=None,
    deposit_kind="percent",
    deposit_value=Decimal(30),
    due_in: int = 10,
    location=None,
    actor=None,
) -> Invoice:
    with scope(studio=studio):
        return services.invoice_create(
            studio=studio,
            actor=actor or Actor(user=owner_of(studio).user),
            client=client,
            lines=lines or [LineInput(description="Private lessons", quantity=2, unit_amount=5000)],
            due_date=services.studio_today(studio=studio) + dt.timedelta(days=due_in),
            deposit_kind=deposit_kind,
            deposit_value=deposit_value,
            location=location,
        )


def confirm_card(
    sandbox, part: InvoicePayment, *, pm: str = "pm_card_visa", authenticate: bool = True
) -> str:
    """What Stripe.js does on the card page: confirm the part's intent with the card (and pass
    3-D Secure when the bank asks). Returns the intent's status at Stripe."""
    with scopes_disabled():
        payment = Payment.objects.get(pk=part.payment_id)
    intent = sandbox.client().v1.payment_intents.confirm(
        payment.stripe_payment_intent_id,
        params={"payment_method": pm},
        options={"stripe_account": payment.stripe_account_id},
    )
    if intent.status == "requires_action" and authenticate:
        sandbox.authenticate(intent.id, account=payment.stripe_account_id)
        return "authenticated"
    return intent.status


def deliver_outcomes(studio) -> int:
    """Run every undelivered outcome hook, as the worker would; returns how many ran."""
    delivered = 0
    with scope(studio=studio):
        for pk in list(
            PaymentOutcome.objects.filter(studio=studio, delivered_at__isnull=True).values_list(
                "pk", flat=True
            )
        ):
            if outcome_deliver(outcome_id=pk) == "delivered":
                delivered += 1
    return delivered
