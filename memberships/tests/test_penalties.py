"""Penalty fees (POL-4) against the Stripe sandbox: assessed once, charged once after the grace
delay, waived (before: nothing charged; after: refunded), failed → owed → retried, routed to the
client's home location's account, reversed when the attendance is corrected."""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import PenaltyStatus, PolicySettings
from memberships.selectors.penalties import amounts_owed_for
from memberships.services import penalties as engine
from memberships.tests.factories import MembershipFactory
from memberships.tests.penalty_helpers import (  # noqa: F401 - fixtures
    NOW,
    assess,
    charge_due,
    class_event,
    enabled,
    enqueued,
    fresh,
    make_account,
    penalties_of,
    plateau,
    rule,
    sandbox,
    save_method,
)
from memberships.tests.renewal_helpers import deliver_webhooks_and_outcomes
from payments.models import Payment, Refund
from payments.services.charges import payment_reconcile, payments_needing_reconcile
from scheduling import signals
from scheduling.models import BookingStatus
from studio.models import AuditLog, Message
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def succeeded_intents(sandbox, account) -> list[dict]:
    return [
        i
        for i in sandbox.objects("payment_intent", account=account.stripe_account_id)
        if i["status"] == "succeeded"
    ]


@pytest.fixture
def carded(sandbox, studio, a_client, plateau, enabled):
    save_method(sandbox, studio, a_client)
    return a_client


# --- assessing -------------------------------------------------------------------------------------


def test_the_same_no_show_signal_twice_makes_one_pending_fee_due_after_the_grace_delay(
    studio, other_studio, a_client, enqueued
):
    rule(studio, fee_amount=1500)
    booking = class_event(a_client)
    # Scheduling's event: the receiver only enqueues the assessment, by name.
    for _ in range(2):
        signals.booking_no_show.send(
            sender=None,
            studio_id=studio.pk,
            booking_id=booking.pk,
            session_id=booking.session_id,
            client_id=1,
        )
    assert [c for c in enqueued if c[0] == engine.ASSESS_TASK] == [
        (engine.ASSESS_TASK, studio.pk, "class", booking.pk)
    ] * 2
    for _call in enqueued:
        assess(studio, booking)
    [penalty] = penalties_of(studio)
    assert penalty.status == PenaltyStatus.PENDING and penalty.amount == 1500
    assert penalty.idempotency_key == f"penalty:class:{booking.pk}:{penalty.rule_id}"
    assert penalty.due_at == booking.session.ends_at + dt.timedelta(hours=24)
    assert penalty.client_id == a_client.pk
    assert penalties_of(other_studio) == []


def test_grace_hours_come_from_the_policy(studio, a_client):
    with scopes_disabled():
        PolicySettings.objects.create(studio=studio, grace_hours=2)
    rule(studio)
    booking = class_event(a_client)
    [penalty] = assess(studio, booking)
    assert penalty.due_at == booking.session.ends_at + dt.timedelta(hours=2)


def test_a_booking_that_is_no_longer_a_no_show_gets_no_fee(studio, a_client):
    rule(studio)
    booking = class_event(a_client, status=BookingStatus.CHECKED_IN)
    assert assess(studio, booking) == []
    assert penalties_of(studio) == []


def test_the_fee_names_the_membership_the_rule_applied_to(studio, a_client):
    membership = MembershipFactory(client=a_client, started_on=(NOW - dt.timedelta(days=10)).date())
    rule(studio, plans=[membership.plan])
    booking = class_event(a_client)
    [penalty] = assess(studio, booking)
    assert penalty.membership_id == membership.pk


# --- charging exactly once ---------------------------------------------------------------------------


def test_inside_the_grace_delay_nothing_is_charged_then_the_beat_charges_once(
    sandbox, studio, carded, plateau
):
    rule(studio, fee_amount=1200)
    booking = class_event(carded, starts_at=NOW - dt.timedelta(hours=3))  # ended 2 h ago
    [penalty] = assess(studio, booking)
    assert charge_due(studio, NOW) == 0
    assert fresh(penalty).status == PenaltyStatus.PENDING
    later = penalty.due_at + dt.timedelta(minutes=1)
    assert charge_due(studio, later) == 1
    assert charge_due(studio, later + dt.timedelta(minutes=5)) == 0  # the beat firing again
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGED
    assert penalty.payment.status == Payment.Status.SUCCEEDED and penalty.payment.amount == 1200
    assert penalty.payment.source_type == "penalty" and penalty.payment.source_id == str(penalty.pk)
    assert penalty.payment.item_kind == "penalty"  # its own kind: the studio's taxes decide
    assert len(succeeded_intents(sandbox, plateau)) == 1
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action="penalty.charged").count() == 1
        [message] = Message.objects.filter(studio=studio, template="memberships/penalty_fee")
    assert "12.00" in message.subject


def test_waiving_inside_the_grace_delay_means_no_charge_at_all(sandbox, studio, owner, carded, plateau):
    rule(studio)
    [penalty] = assess(studio, class_event(carded, starts_at=NOW - dt.timedelta(hours=3)))
    with scope(studio=studio):
        engine.penalty_waive(
            studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason="First time"
        )
    assert charge_due(studio, penalty.due_at + dt.timedelta(hours=1)) == 0
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.WAIVED and penalty.payment_id is None
    assert penalty.waive_reason == "First time" and penalty.waived_by_id == owner.user.pk
    assert sandbox.objects("payment_intent", account=plateau.stripe_account_id) == []
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="penalty.waived")
    assert entry.changes["waive_reason"] == "First time" and entry.actor_id == owner.user.pk


@pytest.mark.parametrize("fault", ["lost_response", "timeout", "server_error", "rate_limit"])
def test_sandbox_faults_and_the_beat_twice_still_charge_one_fee(sandbox, studio, carded, plateau, fault):
    rule(studio)
    booking = class_event(carded)
    assess(studio, booking)
    assess(studio, booking)  # the same signal delivered twice
    sandbox.faults.next(fault, "/v1/payment_intents", method="POST")
    charge_due(studio, NOW)
    charge_due(studio, NOW)  # the beat again while the first answer is unknown
    # Later sweeps resubmit a row left charging under its key; reconcile settles lost answers.
    charge_due(studio, timezone.now() + engine.STALE_CHARGING + dt.timedelta(minutes=1))
    with scope(studio=studio):
        for payment in payments_needing_reconcile(studio=studio, older_than=dt.timedelta(0)):
            payment_reconcile(payment=payment)
    deliver_webhooks_and_outcomes(sandbox, studio)
    [penalty] = penalties_of(studio)
    assert penalty.status == PenaltyStatus.CHARGED, (penalty.status, penalty.failure_code)
    assert len(succeeded_intents(sandbox, plateau)) == 1
    with scopes_disabled():
        assert Payment.objects.filter(studio=studio, source_type="penalty").count() == 1


def test_a_lost_answer_leaves_the_fee_charging_until_the_outcome_hook_settles_it(
    sandbox, studio, carded, plateau, owner
):
    rule(studio)
    [penalty] = assess(studio, class_event(carded))
    sandbox.faults.next("lost_response", "/v1/payment_intents", method="POST")
    charge_due(studio, NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGING
    # A waive now is refused: the charge's outcome is not known yet.
    with scope(studio=studio), pytest.raises(ValidationError) as refused:
        engine.penalty_waive(studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason="x")
    assert refused.value.code == "charging"
    with scope(studio=studio):
        for payment in payments_needing_reconcile(studio=studio, older_than=dt.timedelta(0)):
            payment_reconcile(payment=payment)
    deliver_webhooks_and_outcomes(sandbox, studio)
    assert fresh(penalty).status == PenaltyStatus.CHARGED
    assert len(succeeded_intents(sandbox, plateau)) == 1


def test_a_worker_killed_after_stripe_answered_charges_once_on_the_next_sweep(
    sandbox, studio, carded, plateau, monkeypatch
):
    rule(studio)
    [penalty] = assess(studio, class_event(carded))

    class Killed(Exception):
        pass

    real = engine.penalty_record

    def die(**kwargs):
        raise Killed

    monkeypatch.setattr(engine, "penalty_record", die)
    with pytest.raises(Killed):
        charge_due(studio, NOW)
    monkeypatch.setattr(engine, "penalty_record", real)
    assert fresh(penalty).status == PenaltyStatus.CHARGING
    # The row's `updated_at` is the wall clock's: "stale" is measured from now, not from NOW.
    assert charge_due(studio, timezone.now() + dt.timedelta(minutes=1)) == 0  # not stale yet
    charge_due(studio, timezone.now() + engine.STALE_CHARGING + dt.timedelta(minutes=1))
    assert fresh(penalty).status == PenaltyStatus.CHARGED
    assert len(succeeded_intents(sandbox, plateau)) == 1


# --- waive after the charge: refunded ---------------------------------------------------------------


def test_waiving_a_charged_fee_refunds_it_to_the_card(sandbox, studio, owner, carded, plateau):
    rule(studio, fee_amount=1000)
    [penalty] = assess(studio, class_event(carded))
    charge_due(studio, NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGED
    with scope(studio=studio):
        engine.penalty_waive(studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason="Sick")
        # A second waive (a double submit) is refused; nothing is refunded twice.
        with pytest.raises(ValidationError):
            engine.penalty_waive(studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason="Sick")
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.WAIVED
    with scopes_disabled():
        [refund] = Refund.objects.filter(payment=penalty.payment)
        payment = Payment.objects.get(pk=penalty.payment_id)
    assert refund.destination == Refund.Destination.ORIGINAL and refund.amount == payment.amount
    assert payment.amount_refunded == payment.amount
    refunds = sandbox.objects("refund", account=plateau.stripe_account_id)
    assert len(refunds) == 1


def test_waiving_a_charged_fee_needs_the_refund_permission(sandbox, studio, carded, plateau):
    rule(studio)
    [penalty] = assess(studio, class_event(carded))
    charge_due(studio, NOW)
    teacher = StaffFactory(studio=studio, kind="teacher")
    with scope(studio=studio), pytest.raises(PermissionDenied):
        engine.penalty_waive(
            studio=studio, actor=Actor(user=teacher.user), penalty=fresh(penalty), reason="x"
        )
    assert fresh(penalty).status == PenaltyStatus.CHARGED


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301, "bad\x00byte"])
def test_a_waive_needs_a_short_clean_reason(studio, owner, a_client, reason):
    rule(studio)
    [penalty] = assess(studio, class_event(a_client))
    with scope(studio=studio), pytest.raises(ValidationError):
        engine.penalty_waive(studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason=reason)
    assert fresh(penalty).status == PenaltyStatus.PENDING


# --- failed → owed → retried ------------------------------------------------------------------------


def test_no_method_leaves_an_amount_owed_then_a_retry_charges_under_a_new_key(
    sandbox, studio, owner, a_client, plateau, enabled, enqueued
):
    rule(studio, fee_amount=800)
    [penalty] = assess(studio, class_event(a_client))
    charge_due(studio, NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.FAILED and penalty.failure_code == "no_method"
    with scope(studio=studio):
        [owed] = amounts_owed_for(client=a_client)
    assert (owed.kind, owed.id, owed.amount) == ("penalty", penalty.pk, 800)
    with scopes_disabled():
        [message] = Message.objects.filter(studio=studio, template="memberships/penalty_fee")
    assert "owed" in message.subject

    save_method(sandbox, studio, a_client)  # the client fixes their card
    with scope(studio=studio):
        engine.penalty_retry(studio=studio, actor=Actor(user=owner.user), penalty=penalty)
        with pytest.raises(ValidationError):  # a second click: already being charged
            engine.penalty_retry(studio=studio, actor=Actor(user=owner.user), penalty=penalty)
    assert (engine.CHARGE_TASK, studio.pk, penalty.pk) in enqueued
    with scope(studio=studio):
        engine.penalty_charge(studio=studio, penalty_id=penalty.pk, now=NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGED and penalty.attempts == 2
    assert penalty.payment.idempotency_key == f"{penalty.idempotency_key}:2"
    with scope(studio=studio):
        assert amounts_owed_for(client=a_client) == []


def test_a_declined_card_fails_with_its_code(sandbox, studio, a_client, plateau, enabled):
    save_method(sandbox, studio, a_client, pm="pm_card_chargeCustomerFail")
    rule(studio)
    [penalty] = assess(studio, class_event(a_client))
    charge_due(studio, NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.FAILED
    assert penalty.failure_code and penalty.failure_code != "no_method"
    assert penalty.payment.status == Payment.Status.FAILED


def test_mark_paid_settles_an_owed_fee_with_the_clients_payment_only(studio, a_client, location):
    from payments.services.tenders import payment_record_tender
    from studio.services import SYSTEM

    rule(studio)
    [penalty] = assess(studio, class_event(a_client))
    with scopes_disabled():
        type(penalty).objects.filter(pk=penalty.pk).update(status=PenaltyStatus.FAILED)
    other = ClientFactory(studio=studio)
    with scope(studio=studio):
        cash = {
            "studio": studio,
            "actor": SYSTEM,
            "tender": Payment.Method.CASH,
            "subtotal": 1000,
            "item_kind": "other",
            "channel": "pos",
            "description": "fee",
            "pos_location": location,
        }
        someone_elses = payment_record_tender(client=other, **cash)
        with pytest.raises(ValidationError):
            engine.penalty_mark_paid(studio=studio, penalty=penalty, payment=someone_elses)
        theirs = payment_record_tender(client=a_client, **cash)
        engine.penalty_mark_paid(studio=studio, penalty=penalty, payment=theirs)
        assert amounts_owed_for(client=a_client) == []
        with pytest.raises(ValidationError):  # not owed any more
            engine.penalty_mark_paid(studio=studio, penalty=penalty, payment=theirs)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.PAID and penalty.payment_id == theirs.pk


# --- routing (PAY-3 rule 3) ----------------------------------------------------------------------------


def test_the_fee_goes_to_the_account_of_the_clients_home_location_and_says_why(
    sandbox, studio, location, plateau, enabled, make_account
):
    mile_end = LocationFactory(studio=studio, name="Mile End")
    mile_end_account = make_account(studio, name="Mile End Inc", locations=[mile_end])
    member = ClientFactory(studio=studio, home_location=mile_end, first_name="Rosa")
    save_method(sandbox, studio, member)
    membership = MembershipFactory(client=member, started_on=(NOW - dt.timedelta(days=10)).date())
    rule(studio, plans=[membership.plan])
    # The class was at the Plateau; the membership's client lives at Mile End.
    [penalty] = assess(studio, class_event(member, location=location))
    charge_due(studio, NOW)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGED and penalty.membership_id == membership.pk
    payment = penalty.payment
    assert payment.account_id == mile_end_account.pk
    assert payment.routing_rule == "client_home_location"
    assert payment.routing_params["location_name"] == "Mile End"
    assert len(succeeded_intents(sandbox, mile_end_account)) == 1
    assert succeeded_intents(sandbox, plateau) == []
    with translation.override("en"):
        from payments.services.routing import route_reason

        assert "client's home location" in route_reason(
            rule=payment.routing_rule, params=payment.routing_params
        )


# --- attendance corrected: reversed ---------------------------------------------------------------


def test_attendance_corrected_reverses_a_pending_fee(studio, a_client, enqueued):
    rule(studio)
    booking = class_event(a_client)
    [penalty] = assess(studio, booking)
    signals.attendance_corrected.send(
        sender=None,
        studio_id=studio.pk,
        booking_id=booking.pk,
        session_id=1,
        client_id=1,
        old="checked_in",
        new="no_show",
    )
    assert not [c for c in enqueued if c[0] == engine.REVERSE_TASK]
    signals.attendance_corrected.send(
        sender=None,
        studio_id=studio.pk,
        booking_id=booking.pk,
        session_id=1,
        client_id=1,
        old="no_show",
        new="checked_in",
    )
    assert (engine.REVERSE_TASK, studio.pk, "class", booking.pk) in enqueued
    with scope(studio=studio):
        assert engine.penalties_reverse_for_event(studio=studio, event_kind="class", event_id=booking.pk) == 0
    assert fresh(penalty).status == PenaltyStatus.REVERSED
    assert charge_due(studio, penalty.due_at + dt.timedelta(hours=1)) == 0


def test_attendance_corrected_refunds_a_charged_fee_then_reverses_it(sandbox, studio, carded, plateau):
    rule(studio)
    booking = class_event(carded)
    [penalty] = assess(studio, booking)
    charge_due(studio, NOW)
    assert fresh(penalty).status == PenaltyStatus.CHARGED
    with scope(studio=studio):
        engine.penalties_reverse_for_event(studio=studio, event_kind="class", event_id=booking.pk)
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.REVERSED
    with scopes_disabled():
        assert (
            Refund.objects.filter(payment_id=penalty.payment_id, status=Refund.Status.SUCCEEDED).count() == 1
        )


def test_a_fee_still_charging_is_waited_for_by_the_reversal(sandbox, studio, carded, plateau):
    rule(studio)
    booking = class_event(carded)
    [penalty] = assess(studio, booking)
    sandbox.faults.next("lost_response", "/v1/payment_intents", method="POST")
    charge_due(studio, NOW)
    with scope(studio=studio):
        assert engine.penalties_reverse_for_event(studio=studio, event_kind="class", event_id=booking.pk) == 1
    assert fresh(penalty).status == PenaltyStatus.CHARGING


# --- the email, in French ---------------------------------------------------------------------------


def test_the_fee_email_is_in_the_clients_language(sandbox, studio, carded, plateau):
    with scopes_disabled():
        type(carded).objects.filter(pk=carded.pk).update(language="fr")
    rule(studio, fee_amount=1050)
    [_penalty] = assess(studio, class_event(carded))
    charge_due(studio, NOW)
    with scopes_disabled():
        [message] = Message.objects.filter(studio=studio, template="memberships/penalty_fee")
    assert "10,50" in message.subject, message.subject


# --- a waive racing the charge sweep --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("waive_first", [True, False])
def test_a_waive_racing_the_sweep_never_leaves_money_taken_for_a_waived_fee(
    sandbox, studio, owner, carded, plateau, waive_first, celery_eager
):
    import threading

    from django.db import connection

    rule(studio)
    [penalty] = assess(studio, class_event(carded))
    barrier = threading.Barrier(2)
    results: dict = {}

    def waive():
        try:
            barrier.wait()
            if not waive_first:
                threading.Event().wait(0.05)
            with scope(studio=studio):
                engine.penalty_waive(
                    studio=studio, actor=Actor(user=owner.user), penalty=penalty, reason="Race"
                )
            results["waive"] = "ok"
        except ValidationError as exc:
            results["waive"] = exc.code
        finally:
            connection.close()

    def sweep():
        try:
            barrier.wait()
            if waive_first:
                threading.Event().wait(0.05)
            results["sweep"] = charge_due(studio, NOW)
        finally:
            connection.close()

    threads = [threading.Thread(target=waive), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    penalty = fresh(penalty)
    charged = succeeded_intents(sandbox, plateau)
    assert len(charged) <= 1
    if penalty.status == PenaltyStatus.WAIVED:
        # Waived before the sweep took it (nothing charged), or after the charge (refunded: the
        # ledger's refund row covers the whole payment, submitted now or settled by reconcile).
        from payments.models import Refund

        with scopes_disabled():
            refunded = sum(r.amount for r in Refund.objects.filter(payment_id=penalty.payment_id))
            taken = penalty.payment.amount if penalty.payment_id and charged else 0
        assert refunded == taken
    else:
        # The sweep won: the waive was told the fee is being charged; it is charged once.
        assert results["waive"] == "charging" and penalty.status == PenaltyStatus.CHARGED
        assert len(charged) == 1


# --- what a client owes: THE list POS and checkout collect ------------------------------------------


def test_amounts_owed_are_failed_fees_and_past_due_renewals_only(studio, other_studio, a_client):
    from memberships.models import MembershipStatus, RenewalStatus
    from memberships.tests.penalty_helpers import failed_penalty
    from memberships.tests.renewal_rows import renewal_for

    fee = failed_penalty(a_client, amount=900)
    rule(studio)
    assess(studio, class_event(a_client))  # pending: not owed yet
    past_due = MembershipFactory(client=a_client, status=MembershipStatus.PAST_DUE)
    owed_renewal = renewal_for(past_due, status=RenewalStatus.RETRYING)
    cancelled = MembershipFactory(client=a_client, status=MembershipStatus.CANCELLED)
    renewal_for(cancelled, status=RenewalStatus.FAILED)  # cancelled after its last retry: nothing owed
    failed_penalty(ClientFactory(studio=studio))  # someone else's
    failed_penalty(ClientFactory(studio=other_studio))
    with scope(studio=studio), translation.override("en"):
        owed = amounts_owed_for(client=a_client)
    assert [(o.kind, o.id, o.amount) for o in owed] == [
        ("penalty", fee.pk, 900),
        ("renewal", owed_renewal.pk, past_due.price_amount),
    ]
    assert owed[0].label.startswith("No-show fee — ")
    assert past_due.plan.name in owed[1].label
    # The compiled reads are the ORM's own rows (and the other studio's client owes nothing here).
    from memberships.selectors.penalties import _owed_fees, _owed_renewals
    from studio.compiled_sql import compiled_rows

    with scope(studio=studio):
        for key, build in (("owed-penalties", _owed_fees), ("owed-renewals", _owed_renewals)):
            orm = list(build(studio_id=studio.pk, client_id=a_client.pk))
            assert compiled_rows(key, build, client_id=a_client.pk) == orm and len(orm) == 1


def test_money_arriving_for_a_fee_waived_meanwhile_is_given_back(
    sandbox, studio, carded, plateau, django_capture_on_commit_callbacks, celery_eager
):
    """A fee waived while its charge's answer was unknown (or read as failed) must not keep the
    money when the payment turns out to have succeeded: the outcome enqueues a full refund."""
    from payments.models import Refund

    rule(studio, fee_amount=1000)
    [penalty] = assess(studio, class_event(carded, starts_at=NOW - dt.timedelta(days=3)))
    assert charge_due(studio, NOW) == 1
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGED
    with scopes_disabled():  # as if the waive had won while the answer was still unknown
        type(penalty).objects.filter(pk=penalty.pk).update(status=PenaltyStatus.WAIVED)
    with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):
        engine.penalty_record(
            penalty_id=penalty.pk,
            key=penalty.payment.idempotency_key,
            status="succeeded",
            payment=penalty.payment,
        )
    with scopes_disabled():
        refunds = list(Refund.objects.filter(payment_id=penalty.payment_id))
    assert sum(r.amount for r in refunds) == penalty.payment.amount
    with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):  # the outcome again
        engine.penalty_record(
            penalty_id=penalty.pk,
            key=penalty.payment.idempotency_key,
            status="succeeded",
            payment=penalty.payment,
        )
    with scopes_disabled():
        assert Refund.objects.filter(payment_id=penalty.payment_id).count() == len(refunds)
