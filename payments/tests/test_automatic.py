"""Charge the default method (SPM-7): every automatic charge through one service, against the sandbox."""

from __future__ import annotations

import pytest
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import Payment, SavedPaymentMethod
from payments.models.settings import ItemKind
from payments.services import saved_methods as svc
from payments.services.automatic import payment_charge_default
from payments.tests.test_saved_methods import save_card
from studio.services import SYSTEM, Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled(studio, owner):
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)


@pytest.fixture
def plateau_account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


def _charge(studio, client, key="renewal:1:2026-12-01", subtotal=4500):
    with scope(studio=studio):
        return payment_charge_default(
            studio=studio,
            client=client,
            subtotal=subtotal,
            item_kind=ItemKind.RENEWAL,
            description="Unlimited — December",
            idempotency_key=key,
        )


def _intents(sandbox, account):
    return sandbox.objects("payment_intent", account=account.stripe_account_id)


def test_success_charges_the_default_off_session_on_the_routed_account(
    sandbox, studio, a_client, plateau_account, enabled
):
    method = save_card(sandbox, studio, a_client)
    result = _charge(studio, a_client)
    assert result.succeeded and result.payment.status == Payment.Status.SUCCEEDED
    payment = result.payment
    assert (payment.account, payment.method, payment.off_session) == (plateau_account, "saved_method", True)
    assert payment.payment_method_id == method.stripe_payment_method_id
    assert payment.idempotency_key == "renewal:1:2026-12-01"
    [intent] = _intents(sandbox, plateau_account)
    assert intent["payment_method"] == method.stripe_payment_method_id and intent["amount"] == payment.amount


def test_resubmission_with_the_same_key_does_not_charge_twice(
    sandbox, studio, a_client, plateau_account, enabled
):
    save_card(sandbox, studio, a_client)
    first = _charge(studio, a_client)
    again = _charge(studio, a_client)
    assert again.payment.pk == first.payment.pk and again.succeeded
    assert len(_intents(sandbox, plateau_account)) == 1
    # The answer was lost the first time: the retry resubmits the same key, Stripe replays, one charge.
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    lost = _charge(studio, a_client, key="renewal:1:2027-01-01")
    assert lost.status == "pending" and lost.payment.outcome_unknown
    settled = _charge(studio, a_client, key="renewal:1:2027-01-01")
    assert settled.succeeded and settled.payment.pk == lost.payment.pk
    assert len(_intents(sandbox, plateau_account)) == 2
    with scopes_disabled():
        assert Payment.objects.filter(studio=studio).count() == 2


@translation.override("en")
def test_a_declined_default_fails_with_the_banks_reason(sandbox, studio, a_client, plateau_account, enabled):
    save_card(sandbox, studio, a_client, pm="pm_card_chargeCustomerFail")  # saves fine, every charge fails
    result = _charge(studio, a_client)
    assert result.status == "failed" and result.payment.status == Payment.Status.FAILED
    assert result.code == "generic_decline" and "declined" in result.reason


@translation.override("en")
def test_no_default_method_fails_with_the_stated_reason_and_writes_nothing(
    sandbox, studio, a_client, plateau_account, enabled
):
    result = _charge(studio, a_client)
    assert result.status == "no_method" and result.payment is None
    assert "no saved payment method on “Plateau”" in result.reason
    method = save_card(sandbox, studio, a_client)
    with scope(studio=studio):
        svc.saved_method_delete(studio=studio, actor=SYSTEM, method=method)  # the default is gone (SPM-7)
    assert _charge(studio, a_client).status == "no_method"
    with scopes_disabled():
        assert not Payment.objects.filter(studio=studio).exists()
    assert _intents(sandbox, plateau_account) == []


@translation.override("en")
def test_a_card_that_needs_3ds_cannot_be_charged_off_session(
    sandbox, studio, a_client, plateau_account, enabled
):
    with scope(studio=studio):
        request = svc.setup_start(studio=studio, actor=SYSTEM, client=a_client, kind="card", source="staff")
    sandbox.client().v1.setup_intents.confirm(
        request.stripe_setup_intent_id,
        params={"payment_method": "pm_card_authenticationRequired"},
        options={"stripe_account": plateau_account.stripe_account_id},
    )
    sandbox.authenticate(request.stripe_setup_intent_id, account=plateau_account.stripe_account_id)
    with scope(studio=studio):
        svc.setup_complete(studio=studio, actor=SYSTEM, setup_request=request, consent=True)
    with scopes_disabled():
        assert SavedPaymentMethod.objects.get(client=a_client).is_default
    result = _charge(studio, a_client)
    assert result.status == "failed" and result.code == "authentication_required"
    assert "confirm this payment themselves" in result.reason


def test_refused_inside_a_transaction_before_writing_anything(
    sandbox, studio, a_client, plateau_account, enabled
):
    from django.db import transaction

    from payments import gateway

    save_card(sandbox, studio, a_client)
    with pytest.raises(gateway.TransactionError), transaction.atomic():
        _charge(studio, a_client)
    with scopes_disabled():
        assert not Payment.objects.filter(studio=studio).exists()
