"""Saved payment methods: the services (SPM-1 … SPM-7) against the sandbox."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import SavedPaymentMethod, SetupRequest, StripeCustomer
from payments.services import saved_methods as svc
from studio.services import SYSTEM, Actor
from tests.factories import ClientFactory, LocationFactory
from tests.rows import own_columns

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled(studio, owner):
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)


@pytest.fixture
def plateau_account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


def save_card(sandbox, studio, client, *, pm="pm_card_visa", kind="card", make_default=False, source="staff"):
    with scope(studio=studio):
        request = svc.setup_start(
            studio=studio, actor=SYSTEM, client=client, kind=kind, source=source, make_default=make_default
        )
        params = {"payment_method": pm}
        if kind == "acss_debit":
            params = {
                "payment_method_data": {
                    "type": "acss_debit",
                    "billing_details": {"name": "Camille Tremblay", "email": "c@example.test"},
                    "acss_debit": {
                        "institution_number": "000",
                        "transit_number": "11000",
                        "account_number": "000123456789",
                    },
                },
                "mandate_data": {
                    "customer_acceptance": {
                        "type": "online",
                        "online": {"ip_address": "127.0.0.1", "user_agent": "test"},
                    }
                },
            }
        sandbox.client().v1.setup_intents.confirm(
            request.stripe_setup_intent_id,
            params=params,
            options={"stripe_account": request.account.stripe_account_id},
        )
        return svc.setup_complete(studio=studio, actor=SYSTEM, setup_request=request, consent=True)


def test_feature_off_refuses_everything(sandbox, studio, a_client, plateau_account):
    with scope(studio=studio), pytest.raises(svc.FeatureOff):
        svc.setup_start(studio=studio, actor=SYSTEM, client=a_client, kind="card", source="staff")
    with scope(studio=studio):
        assert "turned off" in svc.default_method_for(client=a_client, account=plateau_account).reason


def test_enabling_records_who_and_when(studio, owner, enabled):
    from payments.models import PaymentSettings

    with scopes_disabled():
        settings = PaymentSettings.objects.get(studio=studio)
    assert settings.saved_methods_terms_accepted_by == owner.user and settings.saved_methods_terms_accepted_at


def test_card_saved_on_the_home_location_account_with_details_only(
    sandbox, studio, a_client, plateau_account, enabled
):
    method = save_card(sandbox, studio, a_client)
    assert method.account == plateau_account and method.kind == "card"
    assert (method.brand, method.last4) == ("visa", "4242") and method.exp_year and method.is_default
    pm = sandbox.get(method.stripe_payment_method_id, account=plateau_account.stripe_account_id)
    assert pm["customer"] == method.customer.stripe_customer_id


def test_declined_card_is_refused_with_stripes_message(sandbox, studio, a_client, plateau_account, enabled):
    import stripe

    with scope(studio=studio):
        request = svc.setup_start(studio=studio, actor=SYSTEM, client=a_client, kind="card", source="staff")
    with pytest.raises(stripe.CardError):
        sandbox.client().v1.setup_intents.confirm(
            request.stripe_setup_intent_id,
            params={"payment_method": "pm_card_chargeDeclined"},
            options={"stripe_account": plateau_account.stripe_account_id},
        )
    with scope(studio=studio), pytest.raises(ValidationError):
        svc.setup_complete(studio=studio, actor=SYSTEM, setup_request=request, consent=True)
    with scopes_disabled():
        assert not SavedPaymentMethod.objects.exists()


def test_bank_accounts_need_a_valid_email(sandbox, studio, location, plateau_account, enabled):
    no_email = ClientFactory(studio=studio, email="", home_location=location)
    with scope(studio=studio), pytest.raises(ValidationError, match="valid email"):
        svc.setup_start(studio=studio, actor=SYSTEM, client=no_email, kind="acss_debit", source="staff")


def test_acss_bank_account_shows_bank_last4_and_holder(sandbox, studio, a_client, plateau_account, enabled):
    method = save_card(sandbox, studio, a_client, pm="pm_acss_debit", kind="acss_debit")
    assert method.kind == "acss_debit" and method.bank_name and len(method.last4) == 4
    assert method.mandate_id


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English: do not depend on the language an earlier test left active."""
    with translation.override("en"):
        yield


FIVE_CARDS = ("pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_ca")


def test_sixth_method_is_refused(sandbox, studio, a_client, plateau_account, enabled):
    for pm in FIVE_CARDS:
        save_card(sandbox, studio, a_client, pm=pm)
    with scope(studio=studio), pytest.raises(ValidationError, match="This client already has 5"):
        svc.setup_start(studio=studio, actor=SYSTEM, client=a_client, kind="card", source="staff")
    # The client, on their own page, is spoken to as "you", never as "this client".
    with scope(studio=studio), pytest.raises(ValidationError, match="You already have 5") as refused:
        svc.setup_start(studio=studio, actor=SYSTEM, client=a_client, kind="card", source="client")
    assert "client" not in " ".join(refused.value.messages).lower()


def test_the_same_card_saved_twice_is_refused_and_detached(
    sandbox, studio, a_client, plateau_account, enabled
):
    first = save_card(sandbox, studio, a_client)
    assert first.fingerprint  # the sandbox gives Stripe's fingerprint, and we keep it
    with pytest.raises(ValidationError, match="already saved for this client") as refused:
        save_card(sandbox, studio, a_client)  # a new PaymentMethod id, the same card number
    assert "Visa •••• 4242" in refused.value.messages[0]
    with pytest.raises(ValidationError, match="already saved on your account"):
        save_card(sandbox, studio, a_client, source="client")
    with scopes_disabled():
        assert list(SavedPaymentMethod.objects.filter(client=a_client)) == [first]
        assert SetupRequest.objects.filter(client=a_client, failure_message="duplicate").count() == 2
    # The refused copies do not stay attached to the client's customer at Stripe.
    attached = [
        pm
        for pm in sandbox.objects("payment_method", account=plateau_account.stripe_account_id)
        if pm.get("customer")
    ]
    assert [pm["id"] for pm in attached] == [first.stripe_payment_method_id]
    # Another card of the same client is fine, and so is the same card for another client.
    save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    other = ClientFactory(studio=studio, home_location=a_client.home_location)
    assert save_card(sandbox, studio, other).fingerprint == first.fingerprint


def test_ordering_default_first_newest_then_expired_last(sandbox, studio, a_client, plateau_account, enabled):
    first = save_card(sandbox, studio, a_client)  # default (first on the account)
    second = save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    third = save_card(sandbox, studio, a_client, pm="pm_card_amex")
    with scopes_disabled():
        SavedPaymentMethod.objects.filter(pk=second.pk).update(exp_year=2020)
    with scope(studio=studio):
        ordered = svc.saved_methods_for_client(client=a_client, today=date(2026, 11, 22))
    assert [m.pk for m in ordered] == [first.pk, third.pk, second.pk]


def test_the_compiled_list_is_the_orms_rows_with_their_account(
    sandbox, studio, other_studio, a_client, plateau_account, enabled
):
    save_card(sandbox, studio, a_client)
    save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    theirs = ClientFactory(studio=other_studio)

    with scope(studio=studio):
        found = svc.saved_methods_for_client(client=a_client)
        orm = list(SavedPaymentMethod.objects.filter(client=a_client).select_related("account"))
        orm.sort(key=lambda m: (not m.is_default, -m.created_at.timestamp(), -m.pk))
        with CaptureQueriesContext(connection) as ctx:
            accounts = [m.account.display_name for m in found]
        assert len(ctx.captured_queries) == 0 and accounts == ["Plateau", "Plateau"]
        assert [own_columns(m) for m in found] == [own_columns(m) for m in orm]
        assert [own_columns(m.account) for m in found] == [own_columns(m.account) for m in orm]
    with scope(studio=other_studio):
        assert svc.saved_methods_for_client(client=theirs) == []


def test_set_default_delete_detaches_and_no_edit_path(sandbox, studio, a_client, plateau_account, enabled):
    first = save_card(sandbox, studio, a_client)
    second = save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    with scope(studio=studio):
        svc.saved_method_set_default(studio=studio, actor=SYSTEM, method=second)
        assert svc.default_method_for(client=a_client, account=plateau_account).method == second
        svc.saved_method_delete(studio=studio, actor=SYSTEM, method=second)
        result = svc.default_method_for(client=a_client, account=plateau_account)
    assert result.method is None and "none is the default" in result.reason
    assert (
        sandbox.get(second.stripe_payment_method_id, account=plateau_account.stripe_account_id)["customer"]
        is None
    )
    assert not [name for name in dir(svc) if "edit" in name or "update" in name]
    first.refresh_from_db()


def test_methods_belong_to_one_account_and_home_change_lists_them(
    sandbox, studio, a_client, plateau_account, make_account, enabled
):
    laval = LocationFactory(studio=studio, name="Laval")
    laval_account = make_account(studio, name="Laval", locations=[laval])
    card = save_card(sandbox, studio, a_client)
    with scope(studio=studio):
        assert svc.methods_usable_for(client=a_client, account=plateau_account) == [card]
        assert svc.methods_usable_for(client=a_client, account=laval_account) == []
        assert svc.home_location_change_impact(client=a_client, new_location=laval) == [card]
        assert svc.home_location_change_impact(client=a_client, new_location=a_client.home_location) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_create_one_stripe_customer(sandbox, studio, location, make_account):
    account = make_account(studio, name="Main", default=True, locations=[location])
    client = ClientFactory(studio=studio, home_location=location)
    barrier = threading.Barrier(6)
    errors = []

    def first_save():
        try:
            barrier.wait()
            with scope(studio=studio):
                svc.stripe_customer_ensure(studio=studio, client=client, account=account)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_save) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(sandbox.objects("customer", account=account.stripe_account_id)) == 1
    with scopes_disabled():
        assert StripeCustomer.objects.filter(client=client).count() == 1
