"""Payments tests talk to the Stripe sandbox in-process, through the real SDK."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from payments import gateway
from payments.models import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient


@pytest.fixture
def sandbox():
    sb = Sandbox(seed=1234, delivery="queued")
    with gateway.use_http_client(SandboxHTTPClient(sb)):
        yield sb


@pytest.fixture
def make_account(sandbox):
    """A connected account on the sandbox, onboarded (or not), recorded for `studio`."""

    def make(studio, *, name="Main", default=False, locations=(), ready=True) -> ConnectedAccount:
        created = gateway.account_create(
            idempotency_key=f"test-account:{studio.pk}:{name}",
            country="CA",
            email=None,
            business_name=name,
            metadata={},
        )
        if ready:
            sandbox.complete_onboarding(created.id)
        account_state = gateway.account_retrieve(account_id=created.id)
        with scopes_disabled():
            account = ConnectedAccount.objects.create(
                studio=studio,
                display_name=name,
                stripe_account_id=created.id,
                creation_key=f"test:{name}",
                is_default=default,
                charges_enabled=account_state.charges_enabled,
                payouts_enabled=account_state.payouts_enabled,
                details_submitted=account_state.details_submitted,
                state=ConnectedAccount.State.READY if ready else ConnectedAccount.State.ONBOARDING,
            )
            for location in locations:
                ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
            StripeAccountDirectory.objects.create(stripe_account_id=created.id, studio_id=studio.pk)
        return account

    return make


@pytest.fixture
def webhooks_to_app(sandbox, client, settings):
    """Point the sandbox's signed deliveries at our two endpoints through Django's test client."""

    def deliver(url: str, headers: dict, body: bytes) -> int:
        path = url.split("127.0.0.1:8000", 1)[-1]
        response = client.post(
            path,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=headers.get("Stripe-Signature", ""),
        )
        return response.status_code

    sandbox.webhooks.deliver = deliver
    sandbox.webhooks.add_endpoint(
        "http://127.0.0.1:8000/webhooks/stripe/", settings.STRIPE_WEBHOOK_SECRET, False
    )
    sandbox.webhooks.add_endpoint(
        "http://127.0.0.1:8000/webhooks/stripe/connect/", settings.STRIPE_CONNECT_WEBHOOK_SECRET, True
    )
    return sandbox


def process_inbox(order=None) -> list[str]:
    """Run the worker's handler over every stored, unprocessed event (in `order` if given)."""
    from payments.models import StripeEvent
    from payments.services.webhooks import webhook_process

    rows = list(StripeEvent.objects.filter(processed_at__isnull=True).order_by("id"))
    if order is not None:
        rows = order(rows)
    return [webhook_process(event_row=row) for row in rows]


@pytest.fixture
def live_sandbox(live_server, settings):
    """The sandbox served over HTTP for the browser (hosted pages, Stripe.js stand-in), sharing its
    state with the in-process transport the app's server thread uses."""
    from stripe_sandbox.server import SandboxServer

    sb = Sandbox(seed=99, delivery="queued")
    server = SandboxServer(sb, host="127.0.0.1", port=0).start()
    sb.public_url = server.url
    settings.STRIPE_JS_URL = f"{server.url}/_sandbox/js/stripe.js"
    settings.SITE_URL = live_server.url
    with gateway.use_http_client(SandboxHTTPClient(sb)):
        yield sb
    server.stop()
