"""Connected accounts, capabilities, requirements and account links."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox


def test_controller_properties_and_legacy_type(client: stripe.StripeClient) -> None:
    express = client.v1.accounts.create({"type": "express", "country": "CA", "email": "s@example.com"})
    assert express.type == "express"
    assert express.controller.stripe_dashboard.type == "express"
    assert express.controller.fees.payer == "application"
    assert express.default_currency == "cad"
    custom = client.v1.accounts.create(
        {
            "controller": {
                "stripe_dashboard": {"type": "none"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "application",
            }
        }
    )
    assert custom.type == "custom"
    assert custom.controller.requirement_collection == "application"
    standard = client.v1.accounts.create({})
    assert standard.type == "standard"
    assert set(standard.capabilities.to_dict()) == {"card_payments", "transfers"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.create({"type": "express", "controller": {"fees": {"payer": "account"}}})


def test_new_account_is_restricted_until_onboarded(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = client.v1.accounts.create(
        {"type": "express", "capabilities": {"card_payments": {"requested": True}}}
    )
    assert account.charges_enabled is False and account.payouts_enabled is False
    assert account.details_submitted is False
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.capabilities.card_payments == "inactive"
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "return_url": "http://127.0.0.1:8000/back",
            "refresh_url": "http://127.0.0.1:8000/again",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith("http://127.0.0.1:12111/_sandbox/onboarding/")
    assert link.expires_at == link.created + 300
    sandbox.complete_onboarding(account.id)
    done = client.v1.accounts.retrieve(account.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (True, True, True)
    assert done.requirements.currently_due == []
    assert done.capabilities.card_payments == "active"
    events = sandbox.events.list(account.id)
    assert {e["type"] for e in events} == {"account.updated", "capability.updated"}
    assert all(e["account"] == account.id for e in events)
    updated = next(e for e in events if e["type"] == "account.updated")
    assert updated["data"]["previous_attributes"]["charges_enabled"] is False


def test_onboarding_can_leave_a_requirement_due(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = client.v1.accounts.create({"type": "express"})
    sandbox.complete_onboarding(account.id, leave_requirement_due=True)
    restricted = client.v1.accounts.retrieve(account.id)
    assert restricted.details_submitted is True
    assert restricted.charges_enabled is False
    assert restricted.requirements.currently_due == ["individual.verification.document"]


def test_custom_account_satisfies_requirements_through_updates(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        {"type": "custom", "capabilities": {"transfers": {"requested": True}}}
    )
    account = client.v1.accounts.update(
        account.id,
        {
            "business_type": "individual",
            "business_profile": {"mcc": "7997", "url": "https://studio.example"},
            "individual": {"first_name": "Ada", "last_name": "Lovelace"},
            "tos_acceptance": {"date": 1767225600, "ip": "127.0.0.1"},
        },
    )
    assert account.requirements.currently_due == ["external_account"]
    assert account.charges_enabled is False
    account = client.v1.accounts.update(
        account.id, {"external_account": "btok_us_verified", "metadata": {"studio": "alpha"}}
    )
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.metadata["studio"] == "alpha"


def test_account_update_link_and_list(client: stripe.StripeClient) -> None:
    express = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.account_links.create({"account": express.id, "type": "account_update"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create({"account": "acct_missing", "type": "account_onboarding"})
    assert missing.value.param == "account"
    ids = [a.id for a in client.v1.accounts.list().data]
    assert ids == [express.id]  # the platform's own account is not one of its connected accounts


def test_connected_account_sees_itself(acct_client: stripe.StripeClient, connected: str) -> None:
    assert acct_client.v1.accounts.retrieve_current().id == connected
    assert acct_client.v1.accounts.list().data == []
