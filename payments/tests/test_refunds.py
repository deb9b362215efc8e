"""Refunds (PAY-7) against the Stripe sandbox: arithmetic, reservation, faults, reconcile, escrow,
credit, permissions, and concurrent refunds through separate database connections."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from payments.models import CreditEntry, Payment, Refund
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.credit import credit_balance, credit_grant
from payments.services.refunds import refund_create, refund_reconcile, refund_record
from payments.services.tenders import payment_record_tender
from payments.tasks.refunds import refunds_reconcile_studio
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.services import SYSTEM, Actor
from tests.factories import make_studio

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


def _paid(studio, a_client, subtotal=2500, method=Payment.Method.CARD):
    """A succeeded card payment on whatever account routing picks (escrow when there is none)."""
    with scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=subtotal,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Monthly",
            method=method,
            target=ChargeTarget(payment_method_id="pm_card_visa"),
        )
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.SUCCEEDED, payment.failure_message
    return payment


def _stripe_refunds(sandbox, account_id=None):
    return sandbox.objects("refund", account=account_id)


def _refund(studio, payment, amount, destination=Refund.Destination.ORIGINAL, actor=SYSTEM, reason="test"):
    with scope(studio=studio):
        return refund_create(
            studio=studio, actor=actor, payment=payment, amount=amount, destination=destination, reason=reason
        )


def _fresh(payment):
    with scopes_disabled():
        return Payment.objects.get(pk=payment.pk)


def test_full_refund_goes_to_the_connected_account_with_our_key(sandbox, studio, a_client, account):
    payment = _paid(studio, a_client)
    refund = _refund(studio, payment, payment.amount)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.idempotency_key == f"refund:{refund.pk}"
    assert refund.stripe_refund_id.startswith("re_")
    assert _fresh(payment).amount_refunded == payment.amount
    remote = _stripe_refunds(sandbox, account.stripe_account_id)
    assert [(r["id"], r["amount"]) for r in remote] == [(refund.stripe_refund_id, payment.amount)]
    assert remote[0]["metadata"]["atelier_refund"] == str(refund.pk)
    with scopes_disabled():
        assert AuditLog.objects.filter(
            studio=studio, action="refund.created", object_id=str(refund.pk)
        ).exists()


def test_partial_refunds_add_up_and_never_exceed(sandbox, studio, a_client, account):
    payment = _paid(studio, a_client, subtotal=2500)
    _refund(studio, payment, 1000)
    _refund(studio, payment, 1000)
    with pytest.raises(ValidationError):
        _refund(studio, _fresh(payment), 501)  # 500 left
    last = _refund(studio, _fresh(payment), 500)
    assert last.status == Refund.Status.SUCCEEDED
    with pytest.raises(ValidationError):
        _refund(studio, _fresh(payment), 1)
    assert _fresh(payment).amount_refunded == 2500
    assert _fresh(payment).refundable == 0
    assert sum(r["amount"] for r in _stripe_refunds(sandbox, account.stripe_account_id)) == 2500
    with scopes_disabled():
        assert Refund.objects.filter(payment=payment).count() == 3  # the refused attempts left no row


@pytest.mark.parametrize("amount", [0, -5])
def test_amount_must_be_positive(sandbox, studio, a_client, account, amount):
    payment = _paid(studio, a_client)
    with pytest.raises(ValidationError):
        _refund(studio, payment, amount)


def test_only_succeeded_payments_are_refunded(sandbox, studio, a_client, account):
    with scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=1000,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.ONLINE,
            description="Mat",
            target=ChargeTarget(payment_method_id="pm_card_chargeDeclined"),
        )
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.FAILED
    with pytest.raises(ValidationError):
        _refund(studio, payment, 100)


def test_refund_as_studio_credit_never_calls_stripe(sandbox, studio, a_client, account):
    payment = _paid(studio, a_client)
    refund = _refund(studio, payment, 700, destination=Refund.Destination.CREDIT, reason="class cancelled")
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund_id == ""
    assert _stripe_refunds(sandbox, account.stripe_account_id) == []
    with scope(studio=studio):
        assert credit_balance(client=a_client) == 700
        entry = CreditEntry.objects.get(refund=refund)
    assert entry.kind == CreditEntry.Kind.REFUND and entry.payment_id == payment.pk
    assert _fresh(payment).amount_refunded == 700


def test_cash_and_credit_payments_refund_without_stripe(sandbox, studio, a_client, account):
    with scope(studio=studio):
        cash = payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CASH,
            client=a_client,
            subtotal=1000,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="Water",
            pos_location=a_client.home_location,
        )
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1000, note="gift")
        by_credit = payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CREDIT,
            client=a_client,
            subtotal=400,
            item_kind=ItemKind.PRODUCT,
            channel=Channel.POS,
            description="Bar",
            pos_location=a_client.home_location,
        )
        assert credit_balance(client=a_client) == 1000 - by_credit.amount
    assert _refund(studio, cash, 1000).status == Refund.Status.SUCCEEDED
    back = _refund(studio, by_credit, by_credit.amount)  # to the original method: credit again
    assert back.status == Refund.Status.SUCCEEDED
    with scope(studio=studio):
        assert credit_balance(client=a_client) == 1000
    assert _stripe_refunds(sandbox, account.stripe_account_id) == []


def test_credit_refund_needs_a_client(sandbox, studio, account):
    payment = _paid(studio, None)
    with pytest.raises(ValidationError):
        _refund(studio, payment, 100, destination=Refund.Destination.CREDIT)


def test_escrow_payments_refund_on_the_platform_account(sandbox, studio, a_client):
    payment = _paid(studio, a_client)  # no connected account: escrow, on the platform
    assert payment.is_escrow and payment.stripe_account_id == ""
    refund = _refund(studio, payment, 300)
    assert refund.status == Refund.Status.SUCCEEDED
    platform = _stripe_refunds(sandbox)
    assert [(r["id"], r["amount"]) for r in platform] == [(refund.stripe_refund_id, 300)]


def test_staff_without_refund_permission_is_refused(sandbox, studio, a_client, account, staff_factory):
    payment = _paid(studio, a_client)
    clerk = staff_factory(RoleKind.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        _refund(studio, payment, 100, actor=Actor(user=clerk.user))
    manager = staff_factory(RoleKind.MANAGER)
    assert _refund(studio, payment, 100, actor=Actor(user=manager.user)).status == Refund.Status.SUCCEEDED
    stranger = staff_factory(RoleKind.OWNER, on=make_studio("charlie"))
    with pytest.raises(PermissionDenied):
        _refund(studio, payment, 100, actor=Actor(user=stranger.user))
    assert _fresh(payment).amount_refunded == 100


def test_definite_failure_releases_the_reservation(sandbox, studio, a_client, account):
    payment = _paid(studio, a_client)
    with scopes_disabled():  # Stripe no longer knows this intent: a definite "invalid request"
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id="pi_unknown")
    refund = _refund(studio, _fresh(payment), 1000)
    assert refund.status == Refund.Status.FAILED and refund.failure_message
    assert _fresh(payment).amount_refunded == 0
    assert _fresh(payment).refundable == payment.amount


@pytest.mark.parametrize("fault", ["lost_response", "timeout", "server_error", "rate_limit"])
def test_ambiguous_outcome_stays_reserved_then_reconcile_refunds_exactly_once(
    sandbox, studio, a_client, account, fault
):
    payment = _paid(studio, a_client)
    sandbox.faults.next(fault, "/v1/refunds")
    refund = _refund(studio, payment, 1200)
    assert refund.status == Refund.Status.PENDING
    assert _fresh(payment).amount_refunded == 1200  # still reserved: nobody can refund it twice meanwhile
    with pytest.raises(ValidationError):
        _refund(studio, _fresh(payment), payment.amount - 1200 + 1)
    with scopes_disabled():
        Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert refunds_reconcile_studio(studio.pk) == 1
    assert refunds_reconcile_studio(studio.pk) == 0
    with scopes_disabled():
        refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund_id
    remote = _stripe_refunds(sandbox, account.stripe_account_id)
    assert len(remote) == 1 and remote[0]["amount"] == 1200
    assert _fresh(payment).amount_refunded == 1200


def test_reconcile_never_resubmits_past_the_key_window(sandbox, studio, a_client, account):
    payment = _paid(studio, a_client)
    sandbox.faults.next("timeout", "/v1/refunds")
    refund = _refund(studio, payment, 500)
    with scope(studio=studio):
        later = timezone.now() + timedelta(hours=30)
        assert refund_reconcile(refund=refund, now=later).status == Refund.Status.PENDING
    assert _stripe_refunds(sandbox, account.stripe_account_id) == []


def test_reconcile_rereads_a_known_refund(sandbox, studio, a_client, account):
    from payments import gateway

    payment = _paid(studio, a_client)
    sandbox.faults.next("lost_response", "/v1/refunds")
    refund = _refund(studio, payment, 500)  # done at Stripe, but its answer was lost
    [remote] = _stripe_refunds(sandbox, account.stripe_account_id)
    with scope(studio=studio):  # Stripe had answered "pending" and we kept its id (the service records that)
        refund = refund_record(
            refund=refund,
            remote=gateway.types.Refund(
                id=remote["id"],
                status="pending",
                amount=500,
                payment_intent=payment.stripe_payment_intent_id,
                raw={},
            ),
        )
        assert (refund.status, refund.stripe_refund_id) == (Refund.Status.PENDING, remote["id"])
        settled = refund_reconcile(refund=refund)
    assert settled.status == Refund.Status.SUCCEEDED
    assert len(_stripe_refunds(sandbox, account.stripe_account_id)) == 1


def test_another_studios_payment_is_refused(sandbox, studio, other_studio, a_client, account):
    payment = _paid(studio, a_client)
    with scope(studio=other_studio), pytest.raises(ValidationError):
        refund_create(
            studio=other_studio,
            actor=SYSTEM,
            payment=payment,
            amount=100,
            destination=Refund.Destination.ORIGINAL,
        )
    assert _fresh(payment).amount_refunded == 0


# --- concurrency: real separate connections ----------------------------------------------------


def race(workers: int, job):
    """Run `job(i)` in `workers` threads released together; returns each outcome (value or exception)."""
    barrier = threading.Barrier(workers)
    outcomes: list = [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = job(i)
        except Exception as exc:  # the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("destination", [Refund.Destination.ORIGINAL, Refund.Destination.CREDIT])
def test_concurrent_refunds_cannot_over_refund(sandbox, studio, a_client, account, destination):
    payment = _paid(studio, a_client, subtotal=2500)

    def job(_i):
        return _refund(studio, payment, 1000, destination=destination)

    outcomes = race(5, job)
    refunds = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refunds) == 2 and len(refused) == 3, outcomes  # 2 × 10.00 fit in 25.00, a third would not
    assert all(r.status == Refund.Status.SUCCEEDED for r in refunds)
    assert _fresh(payment).amount_refunded == 2000
    if destination == Refund.Destination.ORIGINAL:
        assert sum(r["amount"] for r in _stripe_refunds(sandbox, account.stripe_account_id)) == 2000
    else:
        with scope(studio=studio):
            assert credit_balance(client=a_client) == 2000


def test_beat_task_fans_out_to_studios_with_pending_refunds(
    sandbox, studio, other_studio, a_client, account, monkeypatch
):
    from payments.tasks import refunds as tasks_refunds

    sent = []
    monkeypatch.setattr(tasks_refunds.refunds_reconcile_studio, "delay", sent.append)
    assert tasks_refunds.refunds_reconcile_all() == 0
    payment = _paid(studio, a_client)
    sandbox.faults.next("timeout", "/v1/refunds")
    _refund(studio, payment, 100)
    assert tasks_refunds.refunds_reconcile_all() == 1
    assert sent == [studio.pk]
