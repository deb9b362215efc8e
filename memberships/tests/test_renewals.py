"""The renewal engine (MEM-3) and payment-plan instalments (MEM-5), against the Stripe sandbox."""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail  # noqa: F401
from django.utils import translation
from django_scopes import scope, scopes_disabled

from memberships.models import (
    AfterLastRetry,
    MembershipPeriod,
    MembershipSettings,
    MembershipStatus,
    RenewalStatus,
)
from memberships.services import renewals as engine
from memberships.tests.factories import PlanFactory
from memberships.tests.renewal_helpers import (  # noqa: F401 - fixtures
    at,
    deliver_webhooks_and_outcomes,
    due_membership,
    enabled,
    fresh,
    make_account,
    plateau,
    renewals_of,
    sandbox,
    save_method,
    webhooks_to_app,
)
from payments.models import Payment
from studio.models import Message

pytestmark = pytest.mark.django_db

JAN_31 = dt.date(2027, 1, 31)
FEB_28 = dt.date(2027, 2, 28)


@pytest.fixture
def enqueued(monkeypatch):
    """The attempt tasks the run asks for, instead of sending them to a broker."""
    calls: list[tuple] = []
    monkeypatch.setattr(engine, "enqueue_by_name", lambda name, *args: calls.append((name, *args)))
    return calls


def run_and_attempt(studio, now, enqueued) -> list:
    """One beat run, then every attempt it enqueued, as the worker would."""
    enqueued.clear()
    with scope(studio=studio):
        engine.renewals_run_due(studio=studio, now=now)
        return [engine.renewal_attempt(renewal_id=call[2], now=now) for call in list(enqueued)]


def test_success_resets_credits_and_opens_the_next_period_on_the_anchor_day(
    sandbox, studio, a_client, plateau, enabled, enqueued
):
    save_method(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    assert membership.next_renewal_on == FEB_28
    with scopes_disabled():
        type(membership).objects.filter(pk=membership.pk).update(credits_remaining=2)

    assert run_and_attempt(studio, at(FEB_28 - dt.timedelta(days=1)), enqueued) == []  # not due yet
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)

    assert renewal.status == RenewalStatus.SUCCEEDED
    assert renewal.idempotency_key == f"renewal:{membership.pk}:2027-02-28"
    membership = fresh(membership)
    assert (membership.current_period_start, membership.current_period_end) == (FEB_28, dt.date(2027, 3, 31))
    assert membership.next_renewal_on == dt.date(2027, 3, 31)  # back to the 31st
    assert membership.credits_remaining == 8 and membership.status == MembershipStatus.ACTIVE
    with scopes_disabled():
        payment = Payment.objects.get(pk=renewal.payment_id)
        period = MembershipPeriod.objects.get(membership=membership, starts_on=FEB_28)
        receipt = Message.objects.get(template="memberships/renewal_succeeded")
    assert payment.status == Payment.Status.SUCCEEDED and payment.item_kind == "renewal"
    assert payment.source_type == "membership_renewal" and payment.source_id == str(renewal.pk)
    assert period.kind == "renewal" and period.payment_id == payment.pk
    assert receipt.to_email == a_client.email and "renewed" in receipt.subject
    assert f"Receipt no. {payment.pk}" in receipt.body_text
    # A second run the same day finds the period paid: nothing more.
    assert run_and_attempt(studio, at(FEB_28, 10), enqueued) == []
    assert len(renewals_of(membership)) == 1


# --- routing at renewal time (PAY-3 rule 3, SPM-4) ------------------------------------------------


@pytest.fixture
def laval(make_account, studio):
    from tests.factories import LocationFactory

    place = LocationFactory(studio=studio, name="Laval")
    return place, make_account(studio, name="Laval", locations=[place])


def _move_home(client, place):
    with scopes_disabled():
        type(client).objects.filter(pk=client.pk).update(home_location=place)
    return fresh(client)


def test_renewal_lands_on_the_current_home_locations_account(
    sandbox, studio, a_client, plateau, laval, enabled, enqueued
):
    save_method(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    with scopes_disabled():
        payment = Payment.objects.get(pk=renewal.payment_id)
    assert payment.account == plateau and payment.routing_rule == "client_home_location"

    # The client moves to Laval and saves a card there: the next renewal is charged on Laval's account.
    place, laval_account = laval
    a_client = _move_home(a_client, place)
    save_method(sandbox, studio, a_client, pm="pm_card_mastercard")
    [second] = run_and_attempt(studio, at(dt.date(2027, 3, 31)), enqueued)
    assert second.status == RenewalStatus.SUCCEEDED
    with scopes_disabled():
        moved = Payment.objects.get(pk=second.payment_id)
    assert moved.account == laval_account and moved.client_home_location_id == place.pk
    assert fresh(membership).next_renewal_on == dt.date(2027, 4, 30)


def test_after_a_home_change_without_a_method_there_it_fails_with_the_reason(
    sandbox, studio, a_client, plateau, laval, enabled, enqueued
):
    save_method(sandbox, studio, a_client)  # on Plateau's account only: it never crosses accounts
    membership = due_membership(a_client, started=JAN_31)
    a_client = _move_home(a_client, laval[0])
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert renewal.status == RenewalStatus.RETRYING and renewal.failure_code == "no_method"
    assert renewal.payment_id is None
    assert fresh(membership).status == MembershipStatus.PAST_DUE
    with scopes_disabled():
        email = Message.objects.get(template="memberships/renewal_failed")
        assert not Payment.objects.filter(source_type="membership_renewal").exists()
    assert "No usable payment method" in email.body_text
    assert f"/alpha/account/memberships/renewals/{renewal.pk}/" in email.body_text


# --- dunning (MEM-3) --------------------------------------------------------------------------------


def _declining(sandbox, studio, a_client):
    # A card that attaches but is declined on every charge.
    save_method(sandbox, studio, a_client, pm="pm_card_chargeCustomerFail")


def test_dunning_retries_after_1_3_5_days_then_stays_past_due(
    sandbox, studio, a_client, plateau, enabled, enqueued
):
    _declining(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    first_failure = at(FEB_28)
    assert renewal.status == RenewalStatus.RETRYING and renewal.failure_code
    assert renewal.next_attempt_at == first_failure + dt.timedelta(days=1)
    assert fresh(membership).status == MembershipStatus.PAST_DUE

    # Not before the time has come.
    assert run_and_attempt(studio, at(FEB_28, 23), enqueued) == []
    expected = [3, 5]
    for days_after, next_days in [(1, 3), (3, 5)]:
        [renewal] = run_and_attempt(studio, first_failure + dt.timedelta(days=days_after), enqueued)
        assert renewal.status == RenewalStatus.RETRYING
        assert renewal.next_attempt_at == first_failure + dt.timedelta(days=next_days)
        expected.pop(0)
    [renewal] = run_and_attempt(studio, first_failure + dt.timedelta(days=5), enqueued)
    assert renewal.status == RenewalStatus.FAILED and renewal.attempts == 4
    assert renewal.next_attempt_at is None
    assert fresh(membership).status == MembershipStatus.PAST_DUE  # the default choice
    with scopes_disabled():
        keys = sorted(
            Payment.objects.filter(source_id=str(renewal.pk)).values_list("idempotency_key", flat=True)
        )
        failed_emails = Message.objects.filter(template="memberships/renewal_failed").count()
    base = f"renewal:{membership.pk}:2027-02-28"
    assert keys == sorted([base, f"{base}:2", f"{base}:3", f"{base}:4"])
    assert failed_emails == 4
    # Nothing more is tried, and the run does not open a new renewal for a period not paid.
    assert run_and_attempt(studio, first_failure + dt.timedelta(days=9), enqueued) == []


def test_after_the_last_retry_the_studio_may_cancel(sandbox, studio, a_client, plateau, enabled, enqueued):
    with scopes_disabled():
        MembershipSettings.objects.update_or_create(
            studio=studio, defaults={"retry_days": [2], "after_last_retry": AfterLastRetry.CANCEL}
        )
    _declining(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert renewal.next_attempt_at == at(FEB_28) + dt.timedelta(days=2)
    [renewal] = run_and_attempt(studio, at(FEB_28) + dt.timedelta(days=2), enqueued)
    assert renewal.status == RenewalStatus.FAILED
    membership = fresh(membership)
    assert membership.status == MembershipStatus.CANCELLED and membership.next_renewal_on is None
    with scopes_disabled():
        last = Message.objects.filter(template="memberships/renewal_failed").order_by("-id").first()
    assert "last automatic attempt" in last.body_text


def test_failure_email_speaks_the_clients_language(sandbox, studio, a_client, plateau, enabled, enqueued):
    with scopes_disabled():
        type(a_client).objects.filter(pk=a_client.pk).update(language="fr")
    _declining(sandbox, studio, a_client)
    due_membership(a_client, started=JAN_31)
    run_and_attempt(studio, at(FEB_28), enqueued)
    with scopes_disabled():
        email = Message.objects.get(template="memberships/renewal_failed")
    assert email.language == "fr"
    assert "1 mars 2027" in email.body_text or "1er mars 2027" in email.body_text
    assert (
        "20,00\u00a0$" in email.body_text
    )  # the amount in French too (the sentences once the catalogue has them)


def test_retry_now_is_audited_and_enqueues_the_next_attempt(
    sandbox, studio, a_client, owner, plateau, enabled, enqueued
):
    from studio.models import AuditLog
    from studio.services import Actor

    _declining(sandbox, studio, a_client)
    due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    enqueued.clear()
    with scope(studio=studio):
        engine.renewal_retry_now(
            studio=studio, actor=Actor(user=owner.user), renewal=renewal, now=at(FEB_28, 9)
        )
        assert enqueued == [("memberships.attempt_renewal", studio.pk, renewal.pk)]
        again = engine.renewal_attempt(renewal_id=renewal.pk, now=at(FEB_28, 9))
        assert AuditLog.objects.filter(action="memberships.renewal_retry_now", actor=owner.user).exists()
    assert again.attempts == 2 and again.status == RenewalStatus.RETRYING
    # Still counted from the first failure: the next one is 3 days after it.
    assert again.next_attempt_at == at(FEB_28) + dt.timedelta(days=3)
    with scope(studio=studio), translation.override("en"), pytest.raises(Exception, match="not waiting"):
        succeeded = renewals_of(fresh(again).membership)[0]
        succeeded.status = RenewalStatus.SUCCEEDED
        succeeded.save()
        engine.renewal_retry_now(studio=studio, actor=Actor(user=owner.user), renewal=succeeded)


# --- bank debits (ACSS/PAD): processing for days, settled by the webhook ----------------------------


@pytest.fixture
def slow_bank(sandbox):
    sandbox.bank_settle_seconds = None  # a pre-authorized debit takes days: only the test settles it
    return sandbox


def _settle_through_webhooks(sandbox, studio, intent_id, account, *, succeed, **kwargs):
    """The bank answers days later: the webhook is stored, processed, and the outcome delivered."""
    sandbox.settle_bank_debit(intent_id, account=account.stripe_account_id, succeed=succeed, **kwargs)
    deliver_webhooks_and_outcomes(sandbox, studio)


@pytest.mark.parametrize("succeed", [True, False])
def test_bank_debit_renewal_is_processing_then_settles_by_webhook(
    slow_bank, webhooks_to_app, studio, a_client, plateau, enabled, enqueued, succeed
):
    from memberships.tests.renewal_helpers import BANK

    save_method(slow_bank, studio, a_client, bank=BANK)
    membership = due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert renewal.status == RenewalStatus.PROCESSING
    membership = fresh(membership)
    assert membership.status == MembershipStatus.ACTIVE  # still active while the bank decides
    assert membership.current_period_start == JAN_31
    with scopes_disabled():
        payment = Payment.objects.get(pk=renewal.payment_id)
    assert payment.status == Payment.Status.PROCESSING
    intent = slow_bank.get(payment.stripe_payment_intent_id, account=plateau.stripe_account_id)
    assert intent["status"] == "processing" and intent["payment_method_types"] == ["acss_debit"]
    slow_bank.tick()  # days of clock do not settle it by themselves
    assert slow_bank.get(intent["id"], account=plateau.stripe_account_id)["status"] == "processing"
    # A run meanwhile does not charge again.
    assert run_and_attempt(studio, at(FEB_28, 12), enqueued) == []

    _settle_through_webhooks(slow_bank, studio, intent["id"], plateau, succeed=succeed)
    renewal = fresh(renewal)
    membership = fresh(membership)
    if succeed:
        assert renewal.status == RenewalStatus.SUCCEEDED
        assert membership.current_period_start == FEB_28 and membership.credits_remaining == 8
        with scopes_disabled():
            assert Message.objects.filter(template="memberships/renewal_succeeded").count() == 1
    else:
        assert renewal.status == RenewalStatus.RETRYING and renewal.failure_code == "insufficient_funds"
        assert membership.status == MembershipStatus.PAST_DUE
        with scopes_disabled():
            assert Message.objects.filter(template="memberships/renewal_failed").count() == 1
        # The retry is a new debit with its own key.
        [retried] = run_and_attempt(studio, renewal.next_attempt_at, enqueued)
        assert retried.status == RenewalStatus.PROCESSING and retried.attempts == 2


# --- 3-D Secure: the client confirms on-session ------------------------------------------------------


def test_authentication_required_emails_a_link_and_the_client_confirms_on_session(
    sandbox, studio, a_client, plateau, enabled, enqueued
):
    save_method(sandbox, studio, a_client, pm="pm_card_authenticationRequired")
    membership = due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert renewal.status == RenewalStatus.RETRYING and renewal.failure_code == "authentication_required"
    with scopes_disabled():
        email = Message.objects.get(template="memberships/renewal_action_required")
    assert f"/account/memberships/renewals/{renewal.pk}/" in email.body_text

    with scope(studio=studio):
        started = engine.renewal_confirm_start(
            studio=studio, client=a_client, renewal=renewal, now=at(FEB_28, 9)
        )
        assert started.status == "requires_action" and started.client_secret
        # Opening the page again offers the same payment, not a second one.
        again = engine.renewal_confirm_start(
            studio=studio, client=a_client, renewal=renewal, now=at(FEB_28, 9)
        )
        assert again.client_secret == started.client_secret
        payment = fresh(started.renewal).payment
        sandbox.authenticate(payment.stripe_payment_intent_id, account=plateau.stripe_account_id)
        done = engine.renewal_confirm_finish(
            studio=studio, client=a_client, renewal=renewal, now=at(FEB_28, 9)
        )
    assert done.status == "succeeded" and fresh(renewal).status == RenewalStatus.SUCCEEDED
    assert fresh(membership).current_period_start == FEB_28
    with scopes_disabled():
        assert Payment.objects.filter(source_id=str(renewal.pk), status="succeeded").count() == 1


# --- period end: cancel, change of plan; payment plans (MEM-5) ---------------------------------------


def test_cancel_at_period_end_ends_without_a_charge(sandbox, studio, a_client, plateau, enabled, enqueued):
    save_method(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31, cancel_at_period_end=True)
    assert run_and_attempt(studio, at(FEB_28), enqueued) == []
    membership = fresh(membership)
    assert membership.status == MembershipStatus.CANCELLED and membership.ends_on == FEB_28
    assert renewals_of(membership) == []


def test_change_of_plan_applies_before_the_charge(sandbox, studio, a_client, plateau, enabled, enqueued):
    save_method(sandbox, studio, a_client)
    bigger = PlanFactory(studio=studio, price_amount=3500, credits_per_period=None)
    membership = due_membership(a_client, started=JAN_31, next_plan=bigger)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert renewal.amount == 3500 and renewal.status == RenewalStatus.SUCCEEDED
    membership = fresh(membership)
    assert membership.plan_id == bigger.pk and membership.next_plan_id is None
    assert membership.price_amount == 3500 and membership.credits_remaining is None


def test_payment_plan_instalments_route_to_the_course_location_then_expire(
    sandbox, studio, location, a_client, plateau, laval, enabled, enqueued
):
    place, laval_account = laval
    save_method(sandbox, studio, a_client)  # Plateau: the client's home
    # The course is held at Laval: its instalments go to Laval's account (rule 2), where the
    # client needs a method too.
    with scopes_disabled():
        type(a_client).objects.filter(pk=a_client.pk).update(home_location=place)
    save_method(sandbox, studio, fresh(a_client))
    with scopes_disabled():
        type(a_client).objects.filter(pk=a_client.pk).update(home_location=location)
    course = PlanFactory(studio=studio, payment_plan=True, instalment_count=3, location=place)
    membership = due_membership(fresh(a_client), started=JAN_31, plan=course)
    [first] = run_and_attempt(studio, at(FEB_28), enqueued)
    assert first.idempotency_key == f"instalment:{membership.pk}:2027-02-28"
    with scopes_disabled():
        payment = Payment.objects.get(pk=first.payment_id)
    assert payment.item_kind == "payment_plan" and payment.account == laval_account
    assert payment.routing_rule == "item_location"
    [second] = run_and_attempt(studio, at(dt.date(2027, 3, 31)), enqueued)  # the 3rd and last instalment
    assert second.status == RenewalStatus.SUCCEEDED
    membership = fresh(membership)
    assert membership.periods_paid == 3 and membership.next_renewal_on is None
    with scopes_disabled():
        assert MembershipPeriod.objects.filter(membership=membership, kind="instalment").count() == 2
    assert run_and_attempt(studio, at(dt.date(2027, 4, 30)), enqueued) == []
    assert fresh(membership).status == MembershipStatus.EXPIRED


def test_packs_and_passes_expire_when_their_period_ends(studio, a_client, enqueued):
    pack = PlanFactory(studio=studio, pack=True, pack_expires_after_days=30)
    membership = due_membership(a_client, started=JAN_31, plan=pack)
    assert membership.next_renewal_on is None
    run_and_attempt(studio, at(dt.date(2027, 3, 1)), enqueued)
    assert fresh(membership).status == MembershipStatus.ACTIVE  # its last day (2 March excluded)
    run_and_attempt(studio, at(dt.date(2027, 3, 2)), enqueued)
    assert fresh(membership).status == MembershipStatus.EXPIRED


def test_the_run_waits_for_the_studios_renewal_hour_in_its_own_zone(
    sandbox, studio, a_client, plateau, enabled, enqueued
):
    save_method(sandbox, studio, a_client)
    due_membership(a_client, started=JAN_31)
    assert run_and_attempt(studio, at(FEB_28, 2), enqueued) == []  # 2 h in Toronto: before 3 h
    # 7:30 UTC is 2:30 in Toronto: still the night before the hour.
    assert run_and_attempt(studio, dt.datetime(2027, 2, 28, 7, 30, tzinfo=dt.UTC), enqueued) == []
    assert len(run_and_attempt(studio, at(FEB_28, 3), enqueued)) == 1


def test_beat_fans_out_one_run_per_studio(studio, other_studio, monkeypatch):
    from memberships.tasks import renewals as tasks
    from studio import beat

    assert beat.entries()["memberships-run-renewals"]["task"] == "memberships.run_renewals_all_studios"
    sent = []
    monkeypatch.setattr(tasks.run_renewals, "delay", lambda studio_id: sent.append(studio_id))
    assert tasks.run_renewals_all_studios() == 2
    assert sorted(sent) == sorted([studio.pk, other_studio.pk])


# --- the client's hosted pages --------------------------------------------------------------------


@pytest.fixture
def member(studio, location, user_factory, client):
    """A signed-in client of `studio` (the hosted pages' visitor)."""
    from tests.factories import ClientFactory

    user = user_factory(email="member@example.test")
    person = ClientFactory(studio=studio, user=user, email=user.email, home_location=location)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return person


def _page(studio, name, renewal):
    from django.urls import reverse

    return reverse(name, kwargs={"studio_slug": studio.slug, "pk": renewal.pk})


def test_fix_page_says_why_and_pay_now_retries(sandbox, studio, member, client, plateau, enabled, enqueued):
    _declining(sandbox, studio, member)
    due_membership(member, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    page = client.get(_page(studio, "account-membership-renewal", renewal))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Why it failed" in text and "Pay now" in text and "Plateau" in text
    enqueued.clear()
    response = client.post(_page(studio, "account-membership-renewal-pay", renewal))
    assert response.status_code == 302
    assert enqueued == [("memberships.attempt_renewal", studio.pk, renewal.pk)]
    assert fresh(renewal).next_attempt_at is not None
    # Another client's renewal is not found, and the pages answer only to a signed-in client.
    from tests.factories import ClientFactory

    stranger = due_membership(ClientFactory(studio=studio), started=JAN_31)
    with scopes_disabled():
        theirs = type(renewal).objects.create(
            studio=studio,
            membership=stranger,
            period_start=FEB_28,
            amount=2000,
            currency="CAD",
            status=RenewalStatus.RETRYING,
            idempotency_key="renewal:x",
            attempts=1,
        )
    assert client.get(_page(studio, "account-membership-renewal", theirs)).status_code == 404
    assert client.post(_page(studio, "account-membership-renewal-pay", theirs)).status_code == 404
    client.logout()
    assert client.get(_page(studio, "account-membership-renewal", renewal)).status_code == 302


def test_confirm_page_runs_the_3ds_flow(sandbox, studio, member, client, plateau, enabled, enqueued):
    import json

    save_method(sandbox, studio, member, pm="pm_card_authenticationRequired")
    due_membership(member, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    text = client.get(_page(studio, "account-membership-renewal", renewal)).content.decode()
    assert "Confirm the payment" in text and "confirm_payment.js" in text
    answer = json.loads(client.post(_page(studio, "account-membership-renewal-confirm", renewal)).content)
    assert answer["status"] == "requires_action" and answer["client_secret"]
    assert answer["account"] == plateau.stripe_account_id
    # What the Stripe.js dialog does when the client completes the bank's step.
    with scopes_disabled():
        intent_id = fresh(renewal).payment.stripe_payment_intent_id
    sandbox.authenticate(intent_id, account=plateau.stripe_account_id)
    done = json.loads(client.post(_page(studio, "account-membership-renewal-confirmed", renewal)).content)
    assert done["status"] == "succeeded"
    assert fresh(renewal).status == RenewalStatus.SUCCEEDED
    assert (
        client.get(_page(studio, "account-membership-renewal", renewal))
        .content.decode()
        .count("This renewal is paid")
        == 1
    )


def test_the_outcome_hook_settles_a_renewal_whose_worker_died_and_the_rerun_adds_nothing(
    sandbox, studio, a_client, plateau, enabled, enqueued, monkeypatch
):
    from payments.models.ledger import PaymentOutcome
    from payments.services.outcomes import outcome_deliver

    save_method(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    real = engine.renewal_record

    def die(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(engine, "renewal_record", die)
    with pytest.raises(RuntimeError):
        run_and_attempt(studio, at(FEB_28), enqueued)
    monkeypatch.setattr(engine, "renewal_record", real)
    [renewal] = renewals_of(membership)
    assert renewal.status == RenewalStatus.DUE  # charged at Stripe, not written here
    with scope(studio=studio):
        [outcome] = PaymentOutcome.objects.filter(payment__source_id=str(renewal.pk))
        assert outcome_deliver(outcome_id=outcome.pk) == "delivered"
    assert fresh(renewal).status == RenewalStatus.SUCCEEDED
    assert run_and_attempt(studio, at(FEB_28, 5), enqueued) == []
    with scope(studio=studio):
        assert engine.renewal_attempt(renewal_id=renewal.pk, now=at(FEB_28, 5)).status == "succeeded"
    with scopes_disabled():
        assert MembershipPeriod.objects.filter(membership=membership, starts_on=FEB_28).count() == 1
        assert Message.objects.filter(template="memberships/renewal_succeeded").count() == 1
        assert Payment.objects.filter(source_id=str(renewal.pk)).count() == 1


def test_a_3ds_confirmation_left_unfinished_is_cancelled_after_a_day_and_dunning_goes_on(
    sandbox, studio, a_client, plateau, enabled, enqueued
):
    save_method(sandbox, studio, a_client, pm="pm_card_authenticationRequired")
    due_membership(a_client, started=JAN_31)
    [renewal] = run_and_attempt(studio, at(FEB_28), enqueued)
    with scope(studio=studio):
        started = engine.renewal_confirm_start(
            studio=studio, client=a_client, renewal=renewal, now=at(FEB_28, 9)
        )
    assert started.status == "requires_action"
    with scopes_disabled():
        payment = fresh(renewal).payment
        Payment.objects.filter(pk=payment.pk).update(updated_at=at(FEB_28, 9))
    assert run_and_attempt(studio, at(FEB_28, 20), enqueued) == []  # the client may still finish it
    assert fresh(renewal).status == RenewalStatus.PROCESSING
    [closed] = run_and_attempt(studio, at(dt.date(2027, 3, 1), 10), enqueued)
    assert closed.status == RenewalStatus.RETRYING and closed.failure_code == "authentication_required"
    assert closed.attempts == 2 and closed.next_attempt_at == at(FEB_28) + dt.timedelta(days=3)
    intent = sandbox.get(payment.stripe_payment_intent_id, account=plateau.stripe_account_id)
    assert intent["status"] == "canceled"  # it can never be confirmed late
    assert fresh(payment).status == Payment.Status.CANCELED
