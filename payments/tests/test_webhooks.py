"""Webhooks (PAY-5): verified, stored once, safe twice and out of order, never crossing studios."""

from __future__ import annotations

import random

import pytest
from django_scopes import scope, scopes_disabled

from payments.models import ConnectedAccount, Payment, StripeEvent
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.routing import Route, Rule
from payments.tests.conftest import process_inbox
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


def _scenario(sandbox, make_account, studio, client_obj):
    """State only webhooks can settle: onboarding finished at Stripe, and two lost responses."""
    from payments import gateway

    account = make_account(studio, name="Plateau", default=True, ready=False)
    ready_acct = make_account(studio, name="Charges", ready=True)
    sandbox.complete_onboarding(account.stripe_account_id)
    customer = gateway.customer_create(
        account=ready_acct.stripe_account_id, idempotency_key="cus:wh", email=None, name="C", metadata={}
    )
    payments = []
    for pm in ("pm_card_visa", "pm_card_chargeDeclined"):
        with scope(studio=studio):
            # Routed by the caller to the account that can charge (the default one is still onboarding).
            payment = payment_create(
                studio=studio,
                actor=SYSTEM,
                client=client_obj,
                subtotal=1500,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.ONLINE,
                description=pm,
                route=Route(
                    account=ready_acct,
                    rule=Rule.DEFAULT,
                    params={"account": ready_acct.pk, "account_name": ready_acct.display_name},
                ),
                target=ChargeTarget(customer_id=customer.id, payment_method_id=pm, off_session=True),
            )
            sandbox.faults.next("lost_response", "/v1/payment_intents")
            payments.append(payment_submit(payment=payment))
    return account, payments


def _state(account, payments):
    with scopes_disabled():
        account.refresh_from_db()
        return (
            account.charges_enabled,
            account.details_submitted,
            account.state,
            [Payment.objects.get(pk=p.pk).status for p in payments],
        )


@pytest.mark.parametrize("mode", ["once_in_order", "twice_shuffled"])
def test_events_twice_and_shuffled_leave_the_same_state(
    webhooks_to_app, make_account, studio, other_studio, a_client, mode
):
    sandbox = webhooks_to_app
    account, payments = _scenario(sandbox, make_account, studio, a_client)
    assert [p.status for p in payments] == [Payment.Status.PENDING, Payment.Status.PENDING]
    if mode == "twice_shuffled":
        sandbox.webhooks.duplicate = True
        sandbox.webhooks.shuffle = True
    sandbox.deliver_pending()
    if mode == "twice_shuffled":
        sandbox.deliver_pending()  # a redelivery of everything, too
    rng = random.Random(7)
    process_inbox(order=(lambda rows: rng.sample(rows, len(rows))) if mode == "twice_shuffled" else None)
    process_inbox()  # anything stored by the redelivery is a duplicate and was not stored again
    assert _state(account, payments) == (
        True,
        True,
        ConnectedAccount.State.READY,
        [Payment.Status.SUCCEEDED, Payment.Status.FAILED],
    )
    ids = list(StripeEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))


def test_bad_signature_is_rejected_and_stored_nowhere(client, db):
    body = b'{"id": "evt_forged", "type": "account.updated", "created": 1, "data": {"object": {}}}'
    response = client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=deadbeef",
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert (
        client.post("/webhooks/stripe/connect/", data=body, content_type="application/json").status_code
        == 400
    )
    assert not StripeEvent.objects.exists()


def test_event_for_studio_a_never_touches_studio_b(webhooks_to_app, make_account, studio, other_studio):
    sandbox = webhooks_to_app
    mine = make_account(studio, name="A", ready=False)
    theirs = make_account(other_studio, name="B", ready=False)
    sandbox.complete_onboarding(mine.stripe_account_id)
    sandbox.deliver_pending()
    process_inbox()
    with scopes_disabled():
        assert ConnectedAccount.objects.get(pk=mine.pk).charges_enabled
        assert not ConnectedAccount.objects.get(pk=theirs.pk).charges_enabled
        assert set(StripeEvent.objects.exclude(account="").values_list("studio_id", flat=True)) == {studio.pk}


def test_unknown_account_events_are_kept_but_touch_nothing(webhooks_to_app, db):
    from payments import gateway

    created = gateway.account_create(
        idempotency_key="stranger", country="CA", email=None, business_name="X", metadata={}
    )
    webhooks_to_app.complete_onboarding(created.id)
    webhooks_to_app.deliver_pending()
    outcomes = process_inbox()
    assert outcomes and set(outcomes) <= {"unknown account", "ignored"}


# --- several handlers per type; nothing stored is left unprocessed ---------------------------------


def _signed_post(client, settings, event: dict):
    import hashlib
    import hmac
    import json
    import time

    body = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={signature}",
    )


def _event(event_id: str, studio, event_type: str = "test.thing_happened") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": 1,
        "livemode": False,
        "data": {"object": {"id": "obj_1", "metadata": {"atelier_studio": str(studio.pk)}}},
    }


@pytest.fixture
def two_handlers():
    from payments.services import webhooks as inbox

    heard: list[tuple[str, int]] = []
    broken = {"first": False}

    @inbox.handles("test.thing_happened")
    def first(event, studio_id):
        if broken["first"]:
            raise RuntimeError("first handler broke")
        heard.append(("first", studio_id))
        return "first"

    @inbox.handles("test.thing_happened")
    def second(event, studio_id):
        Payment.objects.exists()  # runs inside the event's studio scope (a scoped query would raise outside)
        heard.append(("second", studio_id))
        return "second"

    inbox.handles("test.thing_happened")(first)  # registering again is harmless
    yield heard, broken
    inbox.HANDLERS.pop("test.thing_happened", None)


def test_several_handlers_per_event_type_all_run(
    client, settings, studio, two_handlers, celery_eager, django_capture_on_commit_callbacks
):
    heard, broken = two_handlers
    with django_capture_on_commit_callbacks(execute=True):
        assert _signed_post(client, settings, _event("evt_two", studio)).status_code == 200
    assert heard == [("first", studio.pk), ("second", studio.pk)]
    assert StripeEvent.objects.get(event_id="evt_two").outcome == "first; second"
    # One handler raising does not stop the other; the event stays unprocessed for its retry.
    broken["first"] = True
    row = StripeEvent.objects.create(
        event_id="evt_broken",
        type="test.thing_happened",
        studio_id=studio.pk,
        created=1,
        payload=_event("evt_broken", studio),
    )
    from payments.services.webhooks import webhook_process

    with pytest.raises(RuntimeError):
        webhook_process(event_row=row)
    assert heard[-1] == ("second", studio.pk)
    row.refresh_from_db()
    assert row.processed_at is None and "first handler broke" in row.last_error


def test_a_redelivered_unprocessed_event_is_queued_again(
    client, settings, studio, two_handlers, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from studio.tasking import task_by_name

    heard, _broken = two_handlers
    task = task_by_name("payments.process_stripe_event")
    with monkeypatch.context() as patch:
        patch.setattr(task, "delay", lambda *a, **k: (_ for _ in ()).throw(OperationalError("redis is down")))
        with django_capture_on_commit_callbacks(execute=True):
            assert _signed_post(client, settings, _event("evt_lost", studio)).status_code == 200
    assert heard == [] and StripeEvent.objects.get(event_id="evt_lost").processed_at is None
    with django_capture_on_commit_callbacks(execute=True):  # Stripe retries the delivery
        assert _signed_post(client, settings, _event("evt_lost", studio)).status_code == 200
    assert StripeEvent.objects.filter(event_id="evt_lost").count() == 1
    assert StripeEvent.objects.get(event_id="evt_lost").processed_at is not None
    assert len(heard) == 2
    with django_capture_on_commit_callbacks(execute=True):  # processed: a third delivery does nothing more
        _signed_post(client, settings, _event("evt_lost", studio))
    assert len(heard) == 2


def test_the_sweep_processes_events_never_queued_or_failed(studio, two_handlers, celery_eager):
    from datetime import timedelta

    from django.utils import timezone

    from studio.tasking import task_by_name

    heard, _broken = two_handlers
    old = timezone.now() - timedelta(minutes=10)
    never_queued = StripeEvent.objects.create(
        event_id="evt_never",
        type="test.thing_happened",
        studio_id=studio.pk,
        created=1,
        payload=_event("evt_never", studio),
    )
    failed = StripeEvent.objects.create(
        event_id="evt_failed",
        type="test.thing_happened",
        studio_id=studio.pk,
        created=1,
        payload=_event("evt_failed", studio),
        attempts=9,
        last_error="RuntimeError: boom",
    )
    fresh = StripeEvent.objects.create(
        event_id="evt_fresh",
        type="test.thing_happened",
        studio_id=studio.pk,
        created=1,
        payload=_event("evt_fresh", studio),
    )
    StripeEvent.objects.filter(pk__in=[never_queued.pk, failed.pk]).update(received_at=old)
    assert task_by_name("payments.sweep_stripe_events")() == 2
    assert set(StripeEvent.objects.filter(processed_at__isnull=False).values_list("event_id", flat=True)) == {
        "evt_never",
        "evt_failed",
    }
    assert StripeEvent.objects.get(pk=fresh.pk).processed_at is None  # its own task is surely still coming
    assert len(heard) == 4
    assert task_by_name("payments.sweep_stripe_events")() == 0
