"""Paying a sale on a card reader and by a card typed by hand (tender), against the sandbox: approve
with a tip, decline then approve, cancel, timeout; the webhook before the poll and after (twice);
a lost answer settled by reconcile; the sale completes once when hook and poll race."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from payments.models import Payment
from payments.models.ledger import PaymentOutcome
from payments.services import terminal
from payments.services.charges import payment_client_secret
from payments.services.outcomes import outcomes_deliver_pending
from payments.tests.conftest import process_inbox
from pos.models import PosSettings, Sale, SaleStatus, SaleTender, TenderStatus
from pos.services import checkout
from pos.tests.tender_fixtures import *  # noqa: F403 - fixtures
from pos.tests.tender_fixtures import add_product, make_product, new_sale, token
from stripe_sandbox.resources.terminal import simulate
from studio.models import AuditLog
from studio.services import SYSTEM, Actor
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(sandbox, studio, laval, accounts):
    with scope(studio=studio):
        return terminal.reader_register(
            studio=studio,
            actor=SYSTEM,
            location=laval,
            label="Front desk",
            registration_code="simulated-wpe",
            request_token="reader-laval",
        )


@pytest.fixture
def sale(studio, actor, laval, buyer, accounts):
    pack = make_product(studio, name="Yoga mat", price=4000, stock={laval: 3})
    return add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), pack)


def _start(studio, actor, sale, reader, amount=4000, **kwargs):
    with scope(studio=studio):
        return checkout.tender_reader_start(
            studio=studio,
            actor=actor,
            sale=sale,
            amount=amount,
            reader=reader,
            save_card=False,
            token=token(),
            **kwargs,
        )


def _poll(studio, actor, tender):
    with scope(studio=studio), translation.override("en"):
        return checkout.tender_reader_poll(studio=studio, actor=actor, tender=tender)


def _charges(sandbox, account):
    return [
        c for c in sandbox.objects("charge", account=account.stripe_account_id) if c["status"] == "succeeded"
    ]


def _sale(studio, sale):
    with scopes_disabled():
        return Sale.objects.get(pk=sale.pk)


def _deliver(studio):
    with scope(studio=studio):
        return outcomes_deliver_pending(studio=studio, now=timezone.now() + timezone.timedelta(minutes=5))


def test_approved_on_the_laval_reader_with_a_tip_completes_the_sale(
    sandbox, studio, actor, sale, reader, accounts
):
    with scopes_disabled():
        PosSettings.objects.update_or_create(studio=studio, defaults={"tips_enabled": True})
    with scope(studio=studio):
        terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20])
    tender = _start(studio, actor, sale, reader)
    assert tender.status == TenderStatus.PENDING and _sale(studio, sale).status == SaleStatus.TENDERING
    action = sandbox.objects("terminal.reader", account=accounts["laval"].stripe_account_id)[0]["action"]
    assert action["process_payment_intent"]["process_config"]["tipping"] == {"amount_eligible": 4000}
    tender, state = _poll(studio, actor, tender)
    assert state.code == "waiting" and tender.status == TenderStatus.PENDING
    simulate(sandbox, reader.stripe_reader_id, "approve", amount_tip=600)
    tender, state = _poll(studio, actor, tender)
    assert state.code == "approved" and tender.status == TenderStatus.SUCCEEDED
    assert tender.tip_amount == 600 and tender.amount == 4000
    done = _sale(studio, sale)
    assert done.status == SaleStatus.COMPLETED and done.tip_amount == 600 and done.number == 1
    with scopes_disabled():
        assert done.tip_staff.user_id == actor.user.pk  # the tip goes to the clerk who took it
    with scopes_disabled():
        payment = Payment.objects.get(pk=tender.payment_id)
    assert (payment.amount, payment.tip_amount, payment.account_id) == (4600, 600, accounts["laval"].pk)
    assert payment.routing_rule == "pos_location" and payment.idempotency_key == f"pos_tender:{tender.pk}"
    assert [c["amount"] for c in _charges(sandbox, accounts["laval"])] == [4600]
    assert _charges(sandbox, accounts["plateau"]) == []


def test_declined_then_approved_takes_one_charge(sandbox, studio, actor, sale, reader, accounts):
    first = _start(studio, actor, sale, reader)
    simulate(sandbox, reader.stripe_reader_id, "decline_insufficient_funds")
    first, state = _poll(studio, actor, first)
    assert state.code == "declined" and "insufficient funds" in state.message
    assert first.status == TenderStatus.FAILED and _sale(studio, sale).status == SaleStatus.TENDERING
    with scope(studio=studio):
        assert checkout.sale_balance(sale=_sale(studio, sale)) == 4000
    second = _start(studio, actor, sale, reader)
    assert second.pk != first.pk
    simulate(sandbox, reader.stripe_reader_id, "approve")
    second, state = _poll(studio, actor, second)
    assert state.code == "approved" and _sale(studio, sale).status == SaleStatus.COMPLETED
    assert len(_charges(sandbox, accounts["laval"])) == 1


def test_the_clerk_cancels_and_nothing_is_charged(sandbox, studio, actor, sale, reader, accounts):
    tender = _start(studio, actor, sale, reader)
    with scope(studio=studio):
        tender = checkout.tender_reader_cancel(studio=studio, actor=actor, tender=tender)
    assert tender.status == TenderStatus.CANCELED
    assert _charges(sandbox, accounts["laval"]) == []
    # Another tender may follow: the sale is still being paid.
    with scope(studio=studio):
        cash = checkout.tender_cash(
            studio=studio, actor=actor, sale=sale, amount=4000, cash_received=4000, token=token()
        )
    assert cash.status == TenderStatus.SUCCEEDED and _sale(studio, sale).status == SaleStatus.COMPLETED


@pytest.mark.parametrize(("what", "code"), [("timeout", "timed_out"), ("customer_cancel", "canceled")])
def test_timed_out_or_cancelled_on_the_reader(sandbox, studio, actor, sale, reader, accounts, what, code):
    tender = _start(studio, actor, sale, reader)
    simulate(sandbox, reader.stripe_reader_id, what)
    tender, state = _poll(studio, actor, tender)
    assert state.code == code and tender.status == TenderStatus.FAILED
    assert _charges(sandbox, accounts["laval"]) == []


def test_a_second_tender_waits_for_the_card_in_progress(sandbox, studio, actor, sale, reader):
    _start(studio, actor, sale, reader, amount=1000)
    with (
        scope(studio=studio),
        translation.override("en"),
        pytest.raises(ValidationError, match="in progress"),
    ):
        checkout.tender_cash(
            studio=studio, actor=actor, sale=sale, amount=1000, cash_received=1000, token=token()
        )


def test_webhook_before_the_poll_settles_the_tender_through_the_hook(
    sandbox, studio, actor, sale, reader, accounts, webhooks_to_app
):
    tender = _start(studio, actor, sale, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    sandbox.deliver_pending()
    process_inbox()
    assert _deliver(studio) >= 1  # the worker runs the pos_tender hook
    done = _sale(studio, sale)
    assert done.status == SaleStatus.COMPLETED and done.number == 1
    tender, state = _poll(studio, actor, tender)  # the poll after: nothing more
    assert tender.status == TenderStatus.SUCCEEDED and state is None
    with scopes_disabled():
        assert AuditLog.objects.filter(action="pos.sale_completed", object_id=str(sale.pk)).count() == 1
    assert len(_charges(sandbox, accounts["laval"])) == 1


def test_webhook_after_the_poll_and_twice_changes_nothing(
    sandbox, studio, actor, sale, reader, accounts, webhooks_to_app
):
    tender = _start(studio, actor, sale, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    tender, state = _poll(studio, actor, tender)
    assert state.code == "approved" and _sale(studio, sale).status == SaleStatus.COMPLETED
    sandbox.deliver_pending()
    sandbox.deliver_pending()
    process_inbox()
    _deliver(studio)
    _deliver(studio)
    done = _sale(studio, sale)
    assert done.number == 1
    with scopes_disabled():
        assert Payment.objects.filter(source_type="pos_tender").count() == 1
        assert PaymentOutcome.objects.filter(payment_id=tender.payment_id).count() == 1
        assert AuditLog.objects.filter(action="pos.sale_completed", object_id=str(sale.pk)).count() == 1
    assert len(_charges(sandbox, accounts["laval"])) == 1


def test_a_lost_answer_waits_checking_with_stripe_then_reconcile_settles_it_with_one_charge(
    sandbox, studio, actor, sale, reader, accounts
):
    from payments.tasks.reconcile import payments_reconcile_studio

    sandbox.faults.next("lost_response", "/v1/payment_intents")
    tender = _start(studio, actor, sale, reader)
    with scopes_disabled():
        payment = Payment.objects.get(pk=tender.payment_id)
    assert payment.outcome_unknown and tender.status == TenderStatus.PENDING
    with scope(studio=studio), translation.override("en"):
        assert terminal.reader_payment_describe(payment=payment).code == "unknown"
    # The poll reconciles with the payment's own key (the same intent) and pushes it once.
    tender, state = _poll(studio, actor, tender)
    assert state.code == "waiting"
    simulate(sandbox, reader.stripe_reader_id, "approve")
    # Nobody polls any more (the tab was closed): payments' reconcile and the hook settle it.
    with scopes_disabled():
        Payment.objects.filter(pk=payment.pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=10)
        )
    payments_reconcile_studio(studio.pk)
    _deliver(studio)
    assert _sale(studio, sale).status == SaleStatus.COMPLETED
    intents = sandbox.objects("payment_intent", account=accounts["laval"].stripe_account_id)
    assert len(intents) == 1 and len(_charges(sandbox, accounts["laval"])) == 1


@pytest.mark.django_db(transaction=True)
def test_hook_and_poll_racing_complete_the_sale_once(sandbox, studio, actor, sale, reader, accounts):
    tender = _start(studio, actor, sale, reader)
    simulate(sandbox, reader.stripe_reader_id, "approve")
    with scope(studio=studio):
        terminal.reader_payment_state(
            payment=Payment.objects.get(pk=tender.payment_id)
        )  # recorded, not settled
    with scopes_disabled():
        assert SaleTender.objects.get(pk=tender.pk).status == TenderStatus.PENDING
    barrier = threading.Barrier(2)
    errors = []

    def settle_by_poll():
        try:
            barrier.wait()
            with scope(studio=studio):
                checkout.tender_settle(tender_id=tender.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def settle_by_hook():
        try:
            barrier.wait()
            _deliver(studio)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=settle_by_poll), threading.Thread(target=settle_by_hook)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    done = _sale(studio, sale)
    assert done.status == SaleStatus.COMPLETED and done.number == 1
    with scopes_disabled():
        assert AuditLog.objects.filter(action="pos.sale_completed", object_id=str(sale.pk)).count() == 1


def test_a_reader_of_another_location_is_refused(sandbox, studio, actor, buyer, location, reader, accounts):
    plateau_sale = add_product(
        studio,
        actor,
        new_sale(studio, actor, location, client=buyer),
        make_product(studio, stock={location: 2}),
    )
    with pytest.raises(ValidationError):
        _start(studio, actor, plateau_sale, reader, amount=2000)
    assert sandbox.objects("payment_intent", account=accounts["laval"].stripe_account_id) == []


# --- a card typed by hand -----------------------------------------------------------------------


def _confirm_in_browser(sandbox, secret, account, number="4242424242424242"):
    return sandbox.handle(
        "POST",
        "/_sandbox/js/confirm_payment_intent",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {
                "key": "pk_test_sandbox",
                "client_secret": secret,
                "stripe_account": account,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                },
            }
        ).encode(),
    ).data()


def test_a_hand_typed_card_saved_with_consent_on_the_sales_account(sandbox, studio, actor, sale, accounts):
    with scope(studio=studio):
        tender = checkout.tender_manual_card_start(
            studio=studio, actor=actor, sale=sale, amount=4000, save_card=True, consent=True, token=token()
        )
        payment = Payment.objects.get(pk=tender.payment_id)
        secret = payment_client_secret(payment=payment)
    assert tender.status == TenderStatus.PENDING and tender.save_card and payment.save_method
    intent = sandbox.objects("payment_intent", account=accounts["laval"].stripe_account_id)[0]
    assert intent["setup_future_usage"] == "off_session" and intent["status"] == "requires_payment_method"
    answer = _confirm_in_browser(sandbox, secret, accounts["laval"].stripe_account_id)
    assert answer.get("intent", {}).get("status") == "succeeded", answer
    with scope(studio=studio):
        tender = checkout.tender_manual_card_finish(studio=studio, actor=actor, tender=tender)
    assert tender.status == TenderStatus.SUCCEEDED and _sale(studio, sale).status == SaleStatus.COMPLETED
    assert len(_charges(sandbox, accounts["laval"])) == 1


def test_save_for_future_needs_the_permission_and_the_consent(studio, actor, sale, accounts):
    desk = StaffFactory(studio=studio, kind="front_desk")
    with scopes_disabled():
        desk.role.permissions = [p for p in desk.role.permissions if p != "add_saved_payment_method"]
        desk.role.save()
    with scope(studio=studio), translation.override("en"):
        with pytest.raises(PermissionDenied):
            checkout.tender_manual_card_start(
                studio=studio,
                actor=Actor(user=desk.user),
                sale=sale,
                amount=4000,
                save_card=True,
                consent=True,
                token=token(),
            )
        with pytest.raises(ValidationError, match="consent"):
            checkout.tender_manual_card_start(
                studio=studio,
                actor=actor,
                sale=sale,
                amount=4000,
                save_card=True,
                consent=False,
                token=token(),
            )
    with scopes_disabled():
        assert not SaleTender.objects.filter(sale=sale).exists()


def test_a_card_approved_after_the_sale_was_voided_is_refunded_by_the_worker(
    sandbox, studio, actor, sale, reader, accounts, celery_eager, django_capture_on_commit_callbacks
):
    tender = _start(studio, actor, sale, reader)
    # The cancel cannot reach Stripe: the card stays on the reader while the sale is abandoned…
    sandbox.faults.next("timeout", f"/v1/terminal/readers/{reader.stripe_reader_id}/cancel_action")
    with scope(studio=studio):
        voided = checkout.sale_void(studio=studio, actor=actor, sale=sale, reason="left")
    assert voided.status == SaleStatus.VOIDED
    with scopes_disabled():
        assert SaleTender.objects.get(pk=tender.pk).status == TenderStatus.PENDING
    # …and the client taps anyway: the tender is paid, then the worker gives the money back.
    simulate(sandbox, reader.stripe_reader_id, "approve")
    with django_capture_on_commit_callbacks(execute=True):
        tender, _state = _poll(studio, actor, tender)
    assert tender.status == TenderStatus.SUCCEEDED
    with scopes_disabled():
        payment = Payment.objects.get(pk=tender.payment_id)
    assert payment.amount_refunded == payment.amount == 4000
    refunds = sandbox.objects("refund", account=accounts["laval"].stripe_account_id)
    assert [r["amount"] for r in refunds] == [4000]
    assert _sale(studio, sale).status == SaleStatus.VOIDED and _sale(studio, sale).number is None


# --- the screen's side: the live state, polled ---------------------------------------------------


def test_the_panel_follows_the_reader_live_then_lands_on_the_receipt(
    sandbox, owner_client, studio, sale, reader, accounts
):
    from django.urls import reverse

    from pos.forms.tender import new_tender_token

    url = reverse("pos-tender", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    started = owner_client.post(
        url,
        {
            "kind": "reader",
            "reader-amount": "40.00",
            "reader-reader": reader.pk,
            "reader-token": new_tender_token(),
        },
        HTTP_HX_REQUEST="true",
    )
    body = started.content.decode()
    assert started.status_code == 200 and 'aria-live="polite"' in body and 'data-state="waiting"' in body
    assert "Front desk" in body and 'data-testid="tender-cancel"' in body
    assert 'data-testid="tender-cash"' not in body  # one card at a time: no other tender meanwhile
    with scopes_disabled():
        tender = SaleTender.objects.get(sale=sale)
    status_url = reverse("pos-tender-status", kwargs={"studio_slug": studio.slug, "pk": tender.pk})
    waiting = owner_client.get(status_url, HTTP_HX_REQUEST="true")
    assert 'data-state="waiting"' in waiting.content.decode()
    # The poll that sees no change answers nothing new: the live region is not announced again.
    assert owner_client.get(f"{status_url}?seen=waiting", HTTP_HX_REQUEST="true").status_code == 204
    simulate(sandbox, reader.stripe_reader_id, "decline_insufficient_funds")
    declined = owner_client.get(status_url, HTTP_HX_REQUEST="true")
    text = declined.content.decode()
    # Settled: the whole panel answers, with the bank's reason and the next tender's forms.
    assert declined["HX-Retarget"] == "#pos-tender" and "insufficient funds" in text
    assert 'data-testid="tender-reader"' in text
    again = owner_client.post(
        url,
        {
            "kind": "reader",
            "reader-amount": "40.00",
            "reader-reader": reader.pk,
            "reader-token": new_tender_token(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert again.status_code == 200
    with scopes_disabled():
        second = SaleTender.objects.filter(sale=sale).order_by("-id").first()
    simulate(sandbox, reader.stripe_reader_id, "approve")
    done = owner_client.get(
        reverse("pos-tender-status", kwargs={"studio_slug": studio.slug, "pk": second.pk}),
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 204 and f"/sales/{sale.pk}/" in done["HX-Redirect"]
    assert _sale(studio, sale).status == SaleStatus.COMPLETED
    assert len(_charges(sandbox, accounts["laval"])) == 1


def test_cancel_from_the_panel(sandbox, owner_client, studio, actor, sale, reader, accounts):
    from django.urls import reverse

    tender = _start(studio, actor, sale, reader)
    answer = owner_client.post(
        reverse("pos-tender-cancel", kwargs={"studio_slug": studio.slug, "pk": tender.pk}),
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200 and 'data-testid="tender-reader"' in answer.content.decode()
    with scopes_disabled():
        assert SaleTender.objects.get(pk=tender.pk).status == TenderStatus.CANCELED
    assert _charges(sandbox, accounts["laval"]) == []
