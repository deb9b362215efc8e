"""Paying on a card reader (POS-3) and by a card typed into Stripe's fields, against the sandbox.

Approve, decline then approve, cancel (clerk and client), timeout, offline; the webhook before
the poll and after, twice; the tip; the card saved from the sale on the same account; a lost
answer from Stripe settled by reconcile with one charge.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from payments import gateway
from payments.models import Payment, PaymentStatusChange, SavedPaymentMethod
from payments.models.ledger import PaymentOutcome
from payments.models.settings import Channel, ItemKind
from payments.services import terminal
from payments.services.charges import payment_client_secret, payment_create, payment_reconcile, payment_submit
from payments.services.saved_methods import saved_method_from_payment, saved_methods_enable
from payments.services.terminal import ReaderState
from payments.tests.conftest import process_inbox
from stripe_sandbox.resources.terminal import simulate
from studio.services import SYSTEM
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval", city="Laval")


@pytest.fixture
def accounts(make_account, studio, location, laval):
    main = make_account(studio, name="Plateau Inc.", default=True, locations=[location])
    own = make_account(studio, name="Laval Inc.", locations=[laval])
    return main, own


@pytest.fixture
def reader(sandbox, studio, laval, accounts):
    with scope(studio=studio):
        return terminal.reader_register(
            studio=studio,
            actor=SYSTEM,
            location=laval,
            label="Front desk",
            registration_code="simulated-wpe",
            request_token="reader-1",
        )


@pytest.fixture
def heard():
    """A source kind to pay for, so that final changes are recorded as outcomes (once each)."""
    from payments.services import sources

    calls: list[str] = []
    sources.source_kind_register("tpay_test", on_outcome=lambda outcome: calls.append(outcome.state))
    yield calls
    sources.source_kind_unregister("tpay_test")


def _pay(
    studio,
    a_client,
    reader,
    *,
    subtotal=2500,
    save=False,
    key=None,
    method=Payment.Method.CARD_PRESENT,
    source_id="",
):
    with scope(studio=studio):
        return payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=subtotal,
            item_kind=ItemKind.POS_SALE,
            channel=Channel.POS,
            description="POS sale",
            method=method,
            pos_location=reader.location,
            reader=reader if method == Payment.Method.CARD_PRESENT else None,
            save_method=save,
            idempotency_key=key,
            source_type="tpay_test" if source_id else "",
            source_id=source_id,
        )


def _start(studio, payment, reader, tipping=False):
    with scope(studio=studio):
        return terminal.reader_payment_start(payment=payment, reader=reader, tipping=tipping)


def _poll(studio, payment):
    with scope(studio=studio):
        return terminal.reader_payment_state(payment=payment)


def _charges(sandbox, account):
    return [
        c for c in sandbox.objects("charge", account=account.stripe_account_id) if c["status"] == "succeeded"
    ]


def _history(payment, status):
    with scopes_disabled():
        return PaymentStatusChange.objects.filter(payment=payment, status=status).count()


def test_approved_on_the_reader_of_the_selling_location(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    assert payment.account_id == accounts[1].pk and payment.reader_id == reader.pk  # PAY-3 rule 1
    with translation_en():
        state = _start(studio, payment, reader)
        assert state.code == ReaderState.WAITING and "Front desk" in state.message
        assert _poll(studio, payment).code == ReaderState.WAITING
        simulate(sandbox, reader.stripe_reader_id, "approve")
        state = _poll(studio, payment)
    assert state.code == ReaderState.APPROVED and state.is_final
    assert "4242" in state.message
    paid = state.payment
    assert paid.status == Payment.Status.SUCCEEDED and paid.amount == 2500
    assert (paid.card_last4, paid.card_brand) == ("4242", "visa")
    charges = _charges(sandbox, accounts[1])
    assert len(charges) == 1 and charges[0]["amount"] == 2500
    assert _charges(sandbox, accounts[0]) == []
    intent = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]
    assert intent["payment_method_types"] == ["card_present"] and not intent.get("setup_future_usage")
    # Polling a settled payment asks nothing more of Stripe and changes nothing.
    assert _poll(studio, payment).code == ReaderState.APPROVED
    assert _history(payment, Payment.Status.SUCCEEDED) == 1


def test_declined_then_approved_is_two_payments_and_one_charge(sandbox, studio, a_client, reader, accounts):
    first = _pay(studio, a_client, reader)
    _start(studio, first, reader)
    simulate(sandbox, reader.stripe_reader_id, "decline_insufficient_funds")
    with translation_en():
        state = _poll(studio, first)
    assert state.code == ReaderState.DECLINED and "insufficient funds" in state.message
    assert (
        state.payment.status == Payment.Status.FAILED and state.payment.failure_code == "insufficient_funds"
    )
    second = _pay(studio, a_client, reader)
    assert second.pk != first.pk
    assert _start(studio, second, reader).code == ReaderState.WAITING
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, second).code == ReaderState.APPROVED
    first.refresh_from_db()
    assert first.status == Payment.Status.FAILED
    assert len(_charges(sandbox, accounts[1])) == 1


def test_the_clerk_cancels_and_nothing_can_be_charged(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    with scope(studio=studio), translation_en():
        state = terminal.reader_payment_cancel(payment=payment)
    assert state.code == ReaderState.CANCELED and "counter" in state.message
    assert state.payment.status == Payment.Status.CANCELED
    intent = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]
    assert intent["status"] == "canceled"
    assert sandbox.objects("terminal.reader", account=accounts[1].stripe_account_id)[0]["action"] is None
    with scope(studio=studio):
        assert terminal.reader_payment_cancel(payment=payment).code == ReaderState.CANCELED  # twice: same


def test_cancel_after_the_card_went_through_says_approved(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    with scope(studio=studio):
        state = terminal.reader_payment_cancel(payment=payment)
    assert state.code == ReaderState.APPROVED and state.payment.status == Payment.Status.SUCCEEDED


def test_cancel_while_the_card_is_with_the_bank_waits_for_the_bank(
    sandbox, studio, a_client, reader, accounts
):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "hold")
    assert _poll(studio, payment).code == ReaderState.PRESENTED
    with scope(studio=studio):
        state = terminal.reader_payment_cancel(payment=payment)
    assert state.code == ReaderState.PRESENTED and not state.is_final
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    assert len(_charges(sandbox, accounts[1])) == 1


@pytest.mark.parametrize(
    ("what", "code"),
    [("customer_cancel", ReaderState.CANCELED), ("timeout", ReaderState.TIMED_OUT)],
)
def test_cancelled_on_the_reader_or_timed_out(sandbox, studio, a_client, reader, accounts, what, code):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, what)
    state = _poll(studio, payment)
    assert state.code == code and state.payment.status == Payment.Status.FAILED
    assert _charges(sandbox, accounts[1]) == []


def test_an_offline_reader_refuses_the_payment_with_a_sentence(sandbox, studio, a_client, reader, accounts):
    simulate(sandbox, reader.stripe_reader_id, "offline")
    payment = _pay(studio, a_client, reader)
    with translation_en():
        state = _start(studio, payment, reader)
    assert state.code == ReaderState.OFFLINE and "offline" in state.message
    assert state.payment.status == Payment.Status.CANCELED  # its intent cancelled: a new payment is next
    reader.refresh_from_db()
    assert reader.status == reader.Status.OFFLINE
    intent = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]
    assert intent["status"] == "canceled"


def test_a_reader_going_offline_while_waiting_says_so(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "offline")
    # The sandbox keeps the action while offline, as Stripe does: the reader still shows the amount.
    state = _poll(studio, payment)
    assert state.code in (ReaderState.WAITING, ReaderState.OFFLINE) and not state.is_final
    reader.refresh_from_db()
    assert reader.status == reader.Status.OFFLINE


def test_a_reader_of_another_account_is_refused(sandbox, studio, a_client, reader, location, accounts):
    with scope(studio=studio), pytest.raises(ValidationError):
        payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=1000,
            item_kind=ItemKind.POS_SALE,
            channel=Channel.POS,
            description="POS sale at Plateau",
            method=Payment.Method.CARD_PRESENT,
            pos_location=location,  # Plateau's account; the reader is Laval's
            reader=reader,
        )


# --- webhook and poll: whichever comes first wins -----------------------------------------------


def test_webhook_before_the_poll(sandbox, studio, a_client, reader, accounts, webhooks_to_app, heard):
    payment = _pay(studio, a_client, reader, source_id="sale-1")
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    sandbox.deliver_pending()
    process_inbox()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.card_last4 == "4242"
    assert _poll(studio, payment).code == ReaderState.APPROVED
    assert _history(payment, Payment.Status.SUCCEEDED) == 1
    with scopes_disabled():
        assert PaymentOutcome.objects.filter(payment=payment).count() == 1


def test_webhook_after_the_poll_and_twice(
    sandbox, studio, a_client, reader, accounts, webhooks_to_app, heard
):
    from payments.models import StripeEvent
    from payments.services.webhooks import webhook_process, webhook_receive

    payment = _pay(studio, a_client, reader, source_id="sale-1")
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    sandbox.deliver_pending()
    sandbox.deliver_pending()
    process_inbox()
    # The same event delivered again (Stripe retries) is stored once and does nothing more.
    event = StripeEvent.objects.get(type="terminal.reader.action_succeeded")
    again = webhook_receive(event=gateway.types.Event.from_stripe(event.payload))
    assert again.pk == event.pk and process_inbox() == []
    assert webhook_process(event_row=event) == "skipped"
    # Even handled a second time (a retried task), the handler records nothing new.
    with scope(studio=studio):
        from payments.services.webhooks import _reader_action

        assert _reader_action(event, studio.pk) == "recorded"
    assert _history(payment, Payment.Status.SUCCEEDED) == 1
    with scopes_disabled():
        assert PaymentOutcome.objects.filter(payment=payment).count() == 1
    assert len(_charges(sandbox, accounts[1])) == 1


def test_the_failed_action_webhook_records_the_decline(
    sandbox, studio, a_client, reader, accounts, webhooks_to_app
):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "timeout")
    sandbox.deliver_pending()
    process_inbox()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED and payment.failure_code == "terminal_reader_timeout"
    assert _poll(studio, payment).code == ReaderState.TIMED_OUT


# --- tips -------------------------------------------------------------------------------------


def test_the_tip_is_recorded_and_charged(sandbox, studio, a_client, reader, accounts):
    with scope(studio=studio):
        terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20])
    payment = _pay(studio, a_client, reader, subtotal=4000)
    _start(studio, payment, reader, tipping=True)
    action = sandbox.objects("terminal.reader", account=accounts[1].stripe_account_id)[0]["action"]
    assert action["process_payment_intent"]["process_config"]["tipping"] == {"amount_eligible": 4000}
    simulate(sandbox, reader.stripe_reader_id, "approve", amount_tip=600)  # 15 % of 40.00
    state = _poll(studio, payment)
    assert state.code == ReaderState.APPROVED
    paid = state.payment
    assert (paid.amount, paid.tip_amount, paid.subtotal) == (4600, 600, 4000)
    assert _charges(sandbox, accounts[1])[0]["amount"] == 4600
    _poll(studio, payment)  # recorded again: the tip is not added twice
    paid.refresh_from_db()
    assert paid.amount == 4600


def test_tips_that_could_not_reach_stripe_are_applied_by_the_next_reader_payment(
    sandbox, studio, a_client, reader, accounts
):
    sandbox.faults.next("server_error", "/v1/terminal/configurations")
    with scope(studio=studio):
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20]) is False
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader, tipping=True)
    configurations = sandbox.objects("terminal.configuration", account=accounts[1].stripe_account_id)
    assert configurations[0]["tipping"][studio.currency.lower()]["percentages"] == [15, 18, 20]
    location = sandbox.objects("terminal.location", account=accounts[1].stripe_account_id)[0]
    assert location["configuration_overrides"] == configurations[0]["id"]


def test_without_tipping_the_reader_skips_the_tip_screen(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader, tipping=False)
    action = sandbox.objects("terminal.reader", account=accounts[1].stripe_account_id)[0]["action"]
    assert action["process_payment_intent"]["process_config"]["skip_tipping"] is True


# --- saving the card (SPM-3) ---------------------------------------------------------------------


def test_the_card_generated_on_the_reader_is_saved_on_the_same_account(
    sandbox, studio, a_client, reader, accounts, django_capture_on_commit_callbacks
):
    with scope(studio=studio):
        saved_methods_enable(studio=studio, actor=SYSTEM, accept_terms=True)
    payment = _pay(studio, a_client, reader, save=True)
    _start(studio, payment, reader)
    intent = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]
    assert intent["setup_future_usage"] == "off_session" and intent["customer"]
    simulate(sandbox, reader.stripe_reader_id, "approve")
    with django_capture_on_commit_callbacks() as callbacks:
        state = _poll(studio, payment)
    assert state.code == ReaderState.APPROVED and len(callbacks) >= 1  # the save task, enqueued after commit
    with scope(studio=studio):
        method = saved_method_from_payment(payment=state.payment)
        again = saved_method_from_payment(payment=state.payment)
    assert method is not None and again.pk == method.pk
    assert method.account_id == accounts[1].pk and method.source == SavedPaymentMethod.Source.POS
    assert method.consent_at is not None and method.last4 == "4242" and method.is_default
    assert (
        method.stripe_payment_method_id
        == gateway.payment_intent_retrieve(
            account=accounts[1].stripe_account_id, payment_intent_id=state.payment.stripe_payment_intent_id
        ).generated_card_id
    )
    # The same card saved again from another sale is a duplicate: nothing added.
    second = _pay(studio, a_client, reader, save=True)
    _start(studio, second, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    second = _poll(studio, second).payment
    with scope(studio=studio):
        assert saved_method_from_payment(payment=second) is None
    with scopes_disabled():
        assert SavedPaymentMethod.objects.filter(client=a_client).count() == 1


def test_the_save_task_runs_in_the_worker(
    sandbox, studio, a_client, reader, accounts, celery_eager, django_capture_on_commit_callbacks
):
    with scope(studio=studio):
        saved_methods_enable(studio=studio, actor=SYSTEM, accept_terms=True)
    payment = _pay(studio, a_client, reader, save=True)
    _start(studio, payment, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    with django_capture_on_commit_callbacks(execute=True):
        assert _poll(studio, payment).code == ReaderState.APPROVED
    with scopes_disabled():
        method = SavedPaymentMethod.objects.get(client=a_client)
    assert method.source == SavedPaymentMethod.Source.POS and method.account_id == accounts[1].pk


def test_the_limit_of_five_saved_methods_is_kept(sandbox, studio, a_client, reader, accounts):
    from payments.models import StripeCustomer

    with scope(studio=studio):
        saved_methods_enable(studio=studio, actor=SYSTEM, accept_terms=True)
    payment = _pay(studio, a_client, reader, save=True)
    _start(studio, payment, reader)
    with scopes_disabled():
        customer = StripeCustomer.objects.get(client=a_client, account=accounts[1])
        for n in range(5):
            SavedPaymentMethod.objects.create(
                studio=studio,
                client=a_client,
                account=accounts[1],
                customer=customer,
                stripe_payment_method_id=f"pm_old_{n}",
                kind="card",
                last4=f"000{n}",
                fingerprint=f"fp{n}",
                source=SavedPaymentMethod.Source.STAFF,
            )
    simulate(sandbox, reader.stripe_reader_id, "approve")
    paid = _poll(studio, payment).payment
    with scope(studio=studio):
        assert saved_method_from_payment(payment=paid) is None
    with scopes_disabled():
        assert SavedPaymentMethod.objects.filter(client=a_client).count() == 5
        from studio.models import AuditLog

        assert AuditLog.objects.get(action="payments.saved_method_refused").changes["save_refused"] == "limit"


def test_manual_card_with_save_is_an_unconfirmed_intent_that_stripe_js_confirms(
    sandbox, studio, a_client, reader, accounts
):
    with scope(studio=studio):
        saved_methods_enable(studio=studio, actor=SYSTEM, accept_terms=True)
    payment = _pay(studio, a_client, reader, save=True, method=Payment.Method.CARD)
    assert payment.account_id == accounts[1].pk and payment.reader_id is None
    with scope(studio=studio):
        payment = payment_submit(payment=payment)
        secret = payment_client_secret(payment=payment)
    assert payment.status == Payment.Status.PENDING and secret
    intent = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]
    assert intent["status"] == "requires_payment_method" and intent["setup_future_usage"] == "off_session"
    assert intent["customer"] == payment.stripe_customer_id and intent["payment_method_types"] == ["card"]
    answer = sandbox.handle(
        "POST",
        "/_sandbox/js/confirm_payment_intent",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {
                "key": "pk_test_sandbox",
                "stripe_account": accounts[1].stripe_account_id,
                "client_secret": secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                },
            }
        ).encode(),
    ).data()
    assert answer["intent"]["status"] == "succeeded"
    with scope(studio=studio):
        payment = payment_reconcile(payment=payment)
        assert payment.status == Payment.Status.SUCCEEDED and payment.card_last4 == "4242"
        method = saved_method_from_payment(payment=payment)
    assert method.account_id == accounts[1].pk and method.source == SavedPaymentMethod.Source.POS
    assert method.stripe_payment_method_id == answer["intent"]["payment_method"]


def test_a_manual_card_left_unfinished_is_cancelled_at_stripe(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader, method=Payment.Method.CARD)
    with scope(studio=studio):
        payment_submit(payment=payment)
        state = terminal.reader_payment_cancel(payment=payment)
    assert state.payment.status == Payment.Status.CANCELED
    assert sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)[0]["status"] == "canceled"


# --- exactly once ------------------------------------------------------------------------------


def test_a_lost_answer_is_settled_by_reconcile_with_one_charge(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    state = _start(studio, payment, reader)
    assert state.code == ReaderState.UNKNOWN and state.payment.outcome_unknown
    assert state.payment.status == Payment.Status.PENDING
    # The next poll reconciles with the payment's own key (the same intent), then pushes it.
    state = _poll(studio, payment)
    assert state.code == ReaderState.WAITING
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    intents = sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)
    assert len(intents) == 1 and len(_charges(sandbox, accounts[1])) == 1


def test_a_lost_answer_from_the_reader_push_is_not_pushed_twice(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    sandbox.faults.next(
        "lost_response", f"/v1/terminal/readers/{reader.stripe_reader_id}/process_payment_intent"
    )
    assert _start(studio, payment, reader).code == ReaderState.UNKNOWN
    assert _poll(studio, payment).code == ReaderState.WAITING  # the reader has it: found, not pushed again
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    payment.refresh_from_db()
    with scope(studio=studio):
        assert payment_reconcile(payment=payment).status == Payment.Status.SUCCEEDED
    assert len(_charges(sandbox, accounts[1])) == 1


def test_a_push_that_never_arrived_is_sent_again_by_the_poll(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    sandbox.faults.next("timeout", f"/v1/terminal/readers/{reader.stripe_reader_id}/process_payment_intent")
    assert _start(studio, payment, reader).code == ReaderState.UNKNOWN
    assert sandbox.objects("terminal.reader", account=accounts[1].stripe_account_id)[0]["action"] is None
    assert _poll(studio, payment).code == ReaderState.WAITING
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    assert len(_charges(sandbox, accounts[1])) == 1


def test_a_payment_never_started_is_started_by_the_poll(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)  # committed; the request died before calling Stripe
    assert _poll(studio, payment).code == ReaderState.WAITING
    simulate(sandbox, reader.stripe_reader_id, "approve")
    assert _poll(studio, payment).code == ReaderState.APPROVED
    assert len(_charges(sandbox, accounts[1])) == 1


def test_the_reconcile_task_settles_a_reader_payment_nobody_watches(
    sandbox, studio, a_client, reader, accounts
):
    from datetime import timedelta

    from django.utils import timezone

    from payments.tasks.reconcile import payments_reconcile_studio

    timed_out = _pay(studio, a_client, reader)
    _start(studio, timed_out, reader)
    simulate(sandbox, reader.stripe_reader_id, "timeout")  # the screen was closed, the webhook lost
    Payment.objects.with_scopes_disabled().filter(pk=timed_out.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert payments_reconcile_studio(studio.pk) == 1
    timed_out.refresh_from_db()
    assert timed_out.status == Payment.Status.FAILED and timed_out.failure_code == "terminal_reader_timeout"
    approved = _pay(studio, a_client, reader)
    _start(studio, approved, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    Payment.objects.with_scopes_disabled().filter(pk=approved.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert payments_reconcile_studio(studio.pk) == 1
    approved.refresh_from_db()
    assert approved.status == Payment.Status.SUCCEEDED and approved.card_last4 == "4242"


def test_starting_twice_pushes_once(sandbox, studio, a_client, reader, accounts):
    payment = _pay(studio, a_client, reader)
    _start(studio, payment, reader)
    assert _start(studio, payment, reader).code == ReaderState.WAITING
    assert len(sandbox.objects("payment_intent", account=accounts[1].stripe_account_id)) == 1


def translation_en():
    from django.utils import translation

    return translation.override("en")
