"""Wire-level behaviour: auth, routing, errors, parameter checking, expand, lists, metadata, isolation."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox, make_client


def test_any_sk_test_key_is_accepted_and_others_are_401(sandbox: Sandbox) -> None:
    assert make_client(sandbox, "sk_test_whatever").v1.customers.list().object == "list"
    with pytest.raises(stripe.AuthenticationError) as exc:
        make_client(sandbox, "sk_live_abcdefghijklmnop").v1.customers.list()
    assert exc.value.http_status == 401
    assert "Invalid API Key provided" in exc.value.user_message
    response = sandbox.handle("GET", "/v1/customers", headers={})
    assert response.status == 401
    assert "did not provide an API key" in response.data()["error"]["message"]


def test_unknown_url_is_404_in_stripe_shape(sandbox: Sandbox) -> None:
    response = sandbox.handle("GET", "/v1/nothing_here", headers={"Authorization": "Bearer sk_test_x"})
    assert response.status == 404
    assert response.data()["error"]["type"] == "invalid_request_error"
    assert "Unrecognized request URL (GET: /v1/nothing_here)" in response.data()["error"]["message"]


def test_missing_object_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve("cus_nope")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"
    assert exc.value.param == "id"
    assert exc.value.user_message == "No such customer: 'cus_nope'"
    assert exc.value.request_id.startswith("req_")


def test_unknown_parameter_is_rejected_with_its_full_name(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "foo": {"bar": "1"}})  # type: ignore[typeddict-unknown-key]
    assert exc.value.code == "parameter_unknown"
    assert exc.value.param == "foo"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method_options": {"card": {"colour": "red"}}}
        )  # type: ignore[typeddict-unknown-key]
    assert exc.value.param == "payment_method_options[card][colour]"
    assert exc.value.user_message == "Received unknown parameter: payment_method_options[card][colour]"


def test_missing_required_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"currency": "usd"})  # type: ignore[typeddict-item]
    assert exc.value.code == "parameter_missing"
    assert exc.value.param == "amount"


def test_bad_values_are_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": "ten", "currency": "usd"})  # type: ignore[typeddict-item]
    assert exc.value.code == "parameter_invalid_integer"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 100, "currency": "usd", "capture_method": "later"})  # type: ignore[typeddict-item]
    assert exc.value.param == "capture_method"
    assert "must be one of" in exc.value.user_message


def test_form_decoding_of_nested_and_array_parameters(sandbox: Sandbox) -> None:
    body = (
        b"amount=700&currency=usd&metadata[order]=42&allowed_payment_method_types[]=card"
        b"&payment_method_options[card][request_three_d_secure]=any&expand[0]=customer"
    )
    response = sandbox.handle(
        "POST", "/v1/payment_intents", headers={"Authorization": "Bearer sk_test_x"}, body=body
    )
    assert response.status == 200
    data = response.data()
    assert data["customer"] is None  # expanding a null field leaves it null, as Stripe does
    assert data["metadata"] == {"order": "42"}
    assert data["payment_method_types"] == ["card"]
    assert data["payment_method_options"]["card"]["request_three_d_secure"] == "any"


def test_basic_auth_like_curl(sandbox: Sandbox) -> None:
    import base64

    token = base64.b64encode(b"sk_test_curl:").decode()
    response = sandbox.handle("GET", "/v1/customers", headers={"Authorization": f"Basic {token}"})
    assert response.status == 200


def test_metadata_set_update_and_unset(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"metadata": {"a": "1", "b": "2"}})
    updated = client.v1.customers.update(customer.id, {"metadata": {"a": "", "c": "3"}})
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    cleared = client.v1.customers.update(customer.id, {"metadata": ""})  # type: ignore[typeddict-item]
    assert cleared.metadata.to_dict() == {}


def test_list_pagination(client: stripe.StripeClient, clock) -> None:
    ids = []
    for n in range(7):
        clock.advance(1)
        ids.append(client.v1.customers.create({"email": f"c{n}@example.com"}).id)
    newest_first = list(reversed(ids))
    page = client.v1.customers.list({"limit": 3})
    assert [c.id for c in page.data] == newest_first[:3]
    assert page.has_more is True
    assert page.url == "/v1/customers"
    page2 = client.v1.customers.list({"limit": 3, "starting_after": page.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[3:6]
    page3 = client.v1.customers.list({"limit": 3, "starting_after": page2.data[-1].id})
    assert [c.id for c in page3.data] == newest_first[6:]
    assert page3.has_more is False
    back = client.v1.customers.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[1:3]
    assert back.has_more is True
    assert [c.id for c in page.auto_paging_iter()] == newest_first
    by_email = client.v1.customers.list({"email": "c3@example.com"})
    assert [c.id for c in by_email.data] == [ids[3]]
    assert len(client.v1.customers.list({"created": {"gte": int(clock.now) - 1}}).data) == 2


def test_expand_single_nested_and_in_lists(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "e@example.com"})
    pi = client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "expand": ["latest_charge.balance_transaction", "customer", "payment_method"],
        }
    )
    assert pi.customer.email == "e@example.com"
    assert pi.payment_method.card.last4 == "4242"
    assert pi.latest_charge.balance_transaction.object == "balance_transaction"
    listed = client.v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.object == "charge"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.retrieve(pi.id, {"expand": ["amount"]})
    assert "cannot be expanded" in exc.value.user_message


def test_stripe_account_isolation(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    a = client.v1.accounts.create({"type": "express"}).id
    b = client.v1.accounts.create({"type": "express"}).id
    on_a = sandbox.client(stripe_account=a)
    on_b = sandbox.client(stripe_account=b)
    customer = on_a.v1.customers.create({"email": "only-a@example.com"})
    assert on_a.v1.customers.retrieve(customer.id).id == customer.id
    for other in (on_b, client):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            other.v1.customers.retrieve(customer.id)
        assert exc.value.http_status == 404
        assert customer.id not in [c.id for c in other.v1.customers.list().data]
    # A connected account cannot read another connected account, nor an unknown one.
    with pytest.raises(stripe.InvalidRequestError):
        on_a.v1.accounts.retrieve(b)
    with pytest.raises(stripe.PermissionError) as denied:
        sandbox.client(stripe_account="acct_unknown").v1.customers.list()
    assert denied.value.error.code == "account_invalid"


def test_current_account_and_state_persistence(tmp_path, clock) -> None:
    path = str(tmp_path / "state.json")
    first = Sandbox(clock=clock, state_path=path)
    customer = first.client().v1.customers.create({"email": "kept@example.com"})
    me = first.client().v1.accounts.retrieve_current()
    second = Sandbox(clock=clock, state_path=path)
    assert second.client().v1.customers.retrieve(customer.id).email == "kept@example.com"
    assert second.client().v1.accounts.retrieve_current().id == me.id
    second.reset()
    with pytest.raises(stripe.InvalidRequestError):
        Sandbox(clock=clock, state_path=path).client().v1.customers.retrieve(customer.id)


def test_ids_have_stripe_prefixes_and_created_comes_from_the_clock(
    client: stripe.StripeClient, clock
) -> None:
    customer = client.v1.customers.create({})
    assert customer.id.startswith("cus_")
    assert customer.created == int(clock.now)
    assert customer.livemode is False


def test_async_sdk_calls_work_through_the_transport(client: stripe.StripeClient) -> None:
    import asyncio

    async def scenario() -> str:
        customer = await client.v1.customers.create_async({"email": "async@example.com"})
        return (await client.v1.customers.retrieve_async(customer.id)).email

    # In a thread of its own: the suite's shared Playwright browser keeps an event loop in the
    # main thread, and asyncio.run() refuses to start inside a running loop.
    import threading

    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(scenario())))
    thread.start()
    thread.join(30)
    assert result == ["async@example.com"]
