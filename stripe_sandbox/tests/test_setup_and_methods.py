"""Customers, PaymentMethods (cards and bank debits) and SetupIntents."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


@pytest.fixture
def customer(client: stripe.StripeClient) -> str:
    return client.v1.customers.create({"email": "saver@example.com", "name": "Ada Saver"}).id


def test_card_details_are_derived_from_the_number(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "5555555555554444", "exp_month": 4, "exp_year": 2031, "cvc": "123"},
        }
    )
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "mastercard",
        "4444",
        4,
        2031,
    )
    assert pm.card.funding == "credit" and pm.card.country == "US"
    again = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "5555 5555 5555 4444", "exp_month": 5, "exp_year": 2032}}
    )
    assert again.card.fingerprint == pm.card.fingerprint
    debit = client.v1.payment_methods.retrieve(
        client.v1.payment_methods.attach(
            "pm_card_visa_debit", {"customer": client.v1.customers.create({}).id}
        ).id
    )
    assert (debit.card.brand, debit.card.funding) == ("visa", "debit")
    amex = client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_amex"}})
    assert amex.card.brand == "amex" and amex.card.last4 == "0005"


def test_bad_card_numbers_and_dates(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424241", "exp_month": 1, "exp_year": 2030}}
        )
    assert exc.value.code == "incorrect_number"
    with pytest.raises(stripe.CardError) as month:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 13, "exp_year": 2030}}
        )
    assert month.value.code == "invalid_expiry_month"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242"}})
    assert missing.value.param == "card[exp_month]"


def test_attach_detach_list_and_default_payment_method(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str
) -> None:
    visa = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer})
    amex = client.v1.payment_methods.attach("pm_card_amex", {"customer": customer})
    assert visa.id.startswith("pm_") and visa.id != "pm_card_visa"
    listed = client.v1.payment_methods.list({"customer": customer, "type": "card"})
    assert [p.id for p in listed.data] == [amex.id, visa.id]
    via_customer = client.v1.customers.payment_methods.list(customer)
    assert len(via_customer.data) == 2
    updated = client.v1.customers.update(
        customer,
        {
            "invoice_settings": {"default_payment_method": visa.id},
            "expand": ["invoice_settings.default_payment_method"],
        },
    )
    assert updated.invoice_settings.default_payment_method.card.last4 == "4242"
    stranger = client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": stranger.id}})
    assert exc.value.param == "invoice_settings[default_payment_method]"
    detached = client.v1.payment_methods.detach(visa.id)
    assert detached.customer is None
    assert client.v1.customers.retrieve(customer).invoice_settings.default_payment_method is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(visa.id)
    types = [e["type"] for e in sandbox.events.list()]
    assert types.count("payment_method.attached") == 2 and "payment_method.detached" in types


def test_declining_cards_cannot_be_attached(client: stripe.StripeClient, customer: str) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": customer})
    assert exc.value.code == "card_declined"
    # ...except the one documented to attach and then fail every charge.
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            {
                "amount": 600,
                "currency": "usd",
                "customer": customer,
                "payment_method": pm.id,
                "confirm": True,
                "off_session": True,
            }
        )


def test_customer_crud(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    created = client.v1.customers.create({"email": "c@example.com", "payment_method": "pm_card_visa"})
    attached = client.v1.customers.payment_methods.list(created.id)
    assert [p.card.last4 for p in attached.data] == ["4242"]
    updated = client.v1.customers.update(created.id, {"name": "Cee", "phone": "+15555550100"})
    assert (updated.name, updated.phone) == ("Cee", "+15555550100")
    deleted = client.v1.customers.delete(created.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(created.id).deleted is True
    assert [e["type"] for e in sandbox.events.list()][:2] == ["customer.deleted", "customer.updated"]
    assert sandbox.events.list(event_type="customer.updated")[0]["data"]["previous_attributes"] == {
        "name": None,
        "phone": None,
    }


def test_setup_intent_card_success_attaches(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str
) -> None:
    si = client.v1.setup_intents.create({"customer": customer, "usage": "off_session"})
    assert si.status == "requires_payment_method" and si.client_secret.startswith(si.id + "_secret_")
    si = client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_visa"})
    assert si.status == "succeeded"
    assert client.v1.payment_methods.retrieve(si.payment_method).customer == customer
    types = [e["type"] for e in sandbox.events.list()]
    assert {"setup_intent.created", "setup_intent.succeeded", "payment_method.attached"} <= set(types)


def test_setup_intent_decline_is_a_card_error_with_the_intent(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str
) -> None:
    with pytest.raises(stripe.CardError) as exc:
        client.v1.setup_intents.create(
            {"customer": customer, "payment_method": "pm_card_chargeDeclined", "confirm": True}
        )
    si = exc.value.error.setup_intent
    assert si.status == "requires_payment_method"
    assert si.last_setup_error.decline_code == "generic_decline"
    assert sandbox.events.list(event_type="setup_intent.setup_failed")


def test_setup_intent_3ds_requires_action(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str
) -> None:
    si = client.v1.setup_intents.create(
        {"customer": customer, "payment_method": "pm_card_threeDSecureRequired", "confirm": True}
    )
    assert si.status == "requires_action"
    assert sandbox.events.list(event_type="setup_intent.requires_action")
    failed = sandbox.authenticate(si.id, success=False)
    assert failed["status"] == "requires_payment_method"
    assert failed["last_setup_error"]["code"] == "setup_intent_authentication_failure"


MANDATE = {
    "customer_acceptance": {"type": "online", "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"}}
}


def test_acss_debit_setup_with_mandate_options(client: stripe.StripeClient, customer: str) -> None:
    si = client.v1.setup_intents.create(
        {
            "customer": customer,
            "allowed_payment_method_types": ["acss_debit"],
            "payment_method_options": {
                "acss_debit": {
                    "currency": "cad",
                    "mandate_options": {
                        "payment_schedule": "interval",
                        "interval_description": "On the 1st of every month",
                        "transaction_type": "personal",
                    },
                }
            },
        }
    )
    assert si.payment_method_options.acss_debit.mandate_options.payment_schedule == "interval"
    confirmed = client.v1.setup_intents.confirm(
        si.id,
        {
            "payment_method_data": {
                "type": "acss_debit",
                "billing_details": {"name": "Ada", "email": "a@example.com"},
                "acss_debit": {
                    "institution_number": "000",
                    "transit_number": "11000",
                    "account_number": "000123456789",
                },
            },
            "mandate_data": MANDATE,
            "expand": ["payment_method"],
        },
    )
    assert confirmed.status == "succeeded"
    assert confirmed.mandate.startswith("mandate_")
    bank = confirmed.payment_method.acss_debit
    assert (bank.institution_number, bank.transit_number, bank.last4) == ("000", "11000", "6789")
    assert bank.bank_name
    mandate = client.v1.mandates.retrieve(confirmed.mandate)
    assert mandate.payment_method_details.acss_debit.transaction_type == "personal"


def test_acss_debit_needs_mandate_and_options(client: stripe.StripeClient, customer: str) -> None:
    si = client.v1.setup_intents.create(
        {"customer": customer, "allowed_payment_method_types": ["acss_debit"]}
    )
    data = {
        "type": "acss_debit",
        "billing_details": {"name": "Ada", "email": "a@example.com"},
        "acss_debit": {
            "institution_number": "000",
            "transit_number": "11000",
            "account_number": "000123456789",
        },
    }
    with pytest.raises(stripe.InvalidRequestError) as no_mandate:
        client.v1.setup_intents.confirm(si.id, {"payment_method_data": data})
    assert no_mandate.value.code == "parameter_missing"
    with pytest.raises(stripe.InvalidRequestError) as no_options:
        client.v1.setup_intents.confirm(si.id, {"payment_method_data": data, "mandate_data": MANDATE})
    assert no_options.value.param == "payment_method_options[acss_debit][currency]"


def test_us_bank_account_setup_then_payment_settles(
    client: stripe.StripeClient, sandbox: Sandbox, customer: str, clock
) -> None:
    si = client.v1.setup_intents.create(
        {
            "customer": customer,
            "allowed_payment_method_types": ["us_bank_account"],
            "confirm": True,
            "payment_method_data": {
                "type": "us_bank_account",
                "billing_details": {"name": "Ada"},
                "us_bank_account": {
                    "routing_number": "110000000",
                    "account_number": "000123456789",
                    "account_holder_type": "individual",
                },
            },
            "mandate_data": MANDATE,
            "expand": ["payment_method"],
        }
    )
    bank = si.payment_method.us_bank_account
    assert (si.status, bank.routing_number, bank.last4, bank.account_holder_type) == (
        "succeeded",
        "110000000",
        "6789",
        "individual",
    )
    pi = client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "usd",
            "customer": customer,
            "payment_method": si.payment_method.id,
            "allowed_payment_method_types": ["us_bank_account"],
            "confirm": True,
            "off_session": True,
        }
    )
    assert pi.status == "processing"
    clock.advance(5)
    sandbox.tick()
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_setup_intent_cancel_update_list(client: stripe.StripeClient, customer: str) -> None:
    si = client.v1.setup_intents.create({"customer": customer})
    si = client.v1.setup_intents.update(si.id, {"metadata": {"k": "v"}, "payment_method": "pm_card_visa"})
    assert si.status == "requires_confirmation" and si.metadata["k"] == "v"
    listed = client.v1.setup_intents.list({"customer": customer})
    assert [s.id for s in listed.data] == [si.id]
    canceled = client.v1.setup_intents.cancel(si.id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.setup_intents.confirm(si.id)
