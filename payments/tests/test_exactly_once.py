"""Exactly one charge per payment, whatever the network does (issue #3's exactly-once tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope

from payments.models import Payment
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_reconcile, payment_submit
from payments.tasks.reconcile import payments_reconcile_studio
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


@pytest.fixture
def customer(sandbox, account):
    from payments import gateway

    return gateway.customer_create(
        account=account.stripe_account_id, idempotency_key="cus:test", email=None, name="Camille", metadata={}
    )


def _new_payment(studio, a_client, customer, key=None):
    with scope(studio=studio):
        return payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Monthly",
            idempotency_key=key,
            target=ChargeTarget(customer_id=customer.id, payment_method_id="pm_card_visa", off_session=True),
        )


def _charges(sandbox, account):
    return [
        c for c in sandbox.objects("charge", account=account.stripe_account_id) if c["status"] == "succeeded"
    ]


def test_key_is_deterministic_from_our_row(studio, a_client, customer, account):
    payment = _new_payment(studio, a_client, customer)
    assert payment.idempotency_key == f"payment:{payment.pk}"
    renewal = _new_payment(studio, a_client, customer, key="renewal:7:2026-12-01")
    again = _new_payment(studio, a_client, customer, key="renewal:7:2026-12-01")
    assert again.pk == renewal.pk  # a second attempt at the same renewal is the same payment row


@pytest.mark.parametrize("fault", ["lost_response", "timeout", "server_error", "rate_limit"])
def test_faults_then_retry_and_reconcile_charge_exactly_once(
    sandbox, studio, a_client, customer, account, fault
):
    payment = _new_payment(studio, a_client, customer)
    sandbox.faults.next(fault, "/v1/payment_intents")
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
        assert payment.status == Payment.Status.PENDING and payment.outcome_unknown
        # Our own retry (a person clicking again) reuses the key…
        payment = payment_submit(payment=payment)
        assert payment.status == Payment.Status.SUCCEEDED
        # …and the reconcile task, run twice, changes nothing more.
        payment = payment_reconcile(payment=payment)
        payment = payment_reconcile(payment=payment)
    assert payment.status == Payment.Status.SUCCEEDED
    assert len(_charges(sandbox, account)) == 1
    intents = sandbox.objects("payment_intent", account=account.stripe_account_id)
    assert len(intents) == 1 and intents[0]["id"] == payment.stripe_payment_intent_id


def test_reconcile_task_settles_a_lost_response(sandbox, studio, a_client, customer, account):
    payment = _new_payment(studio, a_client, customer)
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    with scope(studio=studio):
        payment_submit(payment=payment)
    Payment.objects.with_scopes_disabled().filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert payments_reconcile_studio(studio.pk) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and not payment.outcome_unknown
    assert len(_charges(sandbox, account)) == 1
    assert payments_reconcile_studio(studio.pk) == 0


def test_reconcile_never_resubmits_past_the_key_window(sandbox, studio, a_client, customer, account):
    payment = _new_payment(studio, a_client, customer)
    sandbox.faults.next("timeout", "/v1/payment_intents")
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
        later = timezone.now() + timedelta(hours=30)
        assert payment_reconcile(payment=payment, now=later).status == Payment.Status.PENDING
    assert _charges(sandbox, account) == []


def test_decline_is_definite(sandbox, studio, a_client, customer, account):
    with scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=2500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Monthly",
            target=ChargeTarget(
                customer_id=customer.id, payment_method_id="pm_card_chargeDeclined", off_session=True
            ),
        )
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_code == "generic_decline"
    assert not payment.outcome_unknown


def test_direct_charge_carries_the_platform_fee_and_escrow_does_not(
    sandbox, studio, other_studio, a_client, customer, account
):
    from decimal import Decimal

    from payments.models import PaymentSettings

    with scope(studio=studio):
        PaymentSettings.objects.update_or_create(
            studio=studio, defaults={"application_fee_percent": Decimal("1"), "application_fee_fixed": 25}
        )
        payment = payment_submit(payment=_new_payment(studio, a_client, customer))
    assert payment.status == Payment.Status.SUCCEEDED and payment.application_fee_amount == 25 + 25
    intent = sandbox.get(payment.stripe_payment_intent_id, account=account.stripe_account_id)
    assert intent["application_fee_amount"] == 50 and intent["amount"] == payment.amount

    from tests.factories import ClientFactory

    stranger = ClientFactory(studio=other_studio)
    with scope(studio=other_studio):
        escrow = payment_submit(
            payment=payment_create(
                studio=other_studio,
                actor=SYSTEM,
                client=stranger,
                subtotal=1000,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.ONLINE,
                description="Before Stripe",
                target=ChargeTarget(payment_method_id="pm_card_visa"),
            )
        )
    assert escrow.is_escrow and escrow.stripe_account_id == "" and escrow.application_fee_amount == 0
    assert sandbox.get(escrow.stripe_payment_intent_id)["application_fee_amount"] is None
