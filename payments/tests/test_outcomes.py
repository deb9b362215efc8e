"""Payment source kinds and their outcome hooks: once per final state change, in the worker, in
the studio's scope, after commit; retried, swept, never lost to a broker outage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import get_scope, scope, scopes_disabled
from kombu.exceptions import OperationalError

from payments.models import Payment, Refund
from payments.models.ledger import PaymentOutcome
from payments.models.settings import Channel, ItemKind
from payments.services import sources
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.outcomes import outcomes_deliver_pending
from payments.services.refunds import refund_create
from payments.services.tenders import payment_record_tender
from studio.services import SYSTEM
from studio.tasking import task_by_name
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


class Recorder:
    """A source kind's hook that remembers what it heard, from which studio scope, and can fail."""

    def __init__(self):
        self.calls: list[tuple[str, str, int | None]] = []
        self.fail_for: dict[str, int] = {}  # source_id -> how many more calls raise

    def __call__(self, outcome: PaymentOutcome) -> None:
        source_id = outcome.payment.source_id
        if self.fail_for.get(source_id, 0) > 0:
            self.fail_for[source_id] -= 1
            raise RuntimeError(f"hook broken for {source_id}")
        # The hook reads through the scoped manager: it only works inside the payment's studio scope.
        Payment.objects.get(pk=outcome.payment_id)
        studio = get_scope().get("studio")
        self.calls.append((outcome.state, source_id, getattr(studio, "pk", studio)))


@pytest.fixture
def hook():
    recorder = Recorder()
    sources.source_kind_register("test_order", on_outcome=recorder)
    yield recorder
    sources.source_kind_unregister("test_order")


def _cash(studio, client, source_id, subtotal=1000):
    return payment_record_tender(
        studio=studio,
        actor=SYSTEM,
        tender=Payment.Method.CASH,
        client=client,
        subtotal=subtotal,
        item_kind=ItemKind.PRODUCT,
        channel=Channel.POS,
        description="Water",
        source_type="test_order",
        source_id=source_id,
    )


def test_an_unregistered_source_kind_is_refused(studio, a_client, hook):
    with scope(studio=studio):
        with pytest.raises(ValidationError):
            payment_record_tender(
                studio=studio,
                actor=SYSTEM,
                tender=Payment.Method.CASH,
                client=a_client,
                subtotal=100,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.POS,
                description="x",
                source_type="nobody_registered",
                source_id="1",
            )
        with pytest.raises(ValidationError):  # half a source is no source
            payment_record_tender(
                studio=studio,
                actor=SYSTEM,
                tender=Payment.Method.CASH,
                client=a_client,
                subtotal=100,
                item_kind=ItemKind.PRODUCT,
                channel=Channel.POS,
                description="x",
                source_type="test_order",
            )
        assert not Payment.objects.exists()
    with pytest.raises(ValueError):
        sources.source_kind_register("test_order", on_outcome=lambda outcome: None)  # another app's name


def test_the_hook_runs_after_commit_in_the_worker_in_the_studios_scope(
    studio, other_studio, a_client, hook, celery_eager, django_capture_on_commit_callbacks
):
    other_client = ClientFactory(studio=other_studio)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        with scope(studio=studio):
            _cash(studio, a_client, "A")
        assert hook.calls == []  # nothing before commit
    for callback in pending:
        callback()
    with django_capture_on_commit_callbacks(execute=True), scope(studio=other_studio):
        _cash(other_studio, other_client, "B")
    assert hook.calls == [("succeeded", "A", studio.pk), ("succeeded", "B", other_studio.pk)]
    with scopes_disabled():
        assert all(o.delivered_at and o.attempts == 1 for o in PaymentOutcome.objects.all())


def test_the_hook_runs_once_when_the_webhook_is_delivered_twice(
    webhooks_to_app, make_account, studio, a_client, hook, celery_eager, django_capture_on_commit_callbacks
):
    sandbox = webhooks_to_app
    make_account(studio, name="Main", default=True)
    with scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            subtotal=1500,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Monthly",
            target=ChargeTarget(payment_method_id="pm_card_visa"),
            source_type="test_order",
            source_id="42",
        )
        sandbox.faults.next("lost_response", "/v1/payment_intents")
        assert payment_submit(payment=payment).status == Payment.Status.PENDING  # only the webhook knows
    sandbox.webhooks.duplicate = True
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.deliver_pending()
        sandbox.deliver_pending()  # and everything once more
    with scopes_disabled():
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
        assert PaymentOutcome.objects.filter(payment=payment).count() == 1
    assert hook.calls == [("succeeded", "42", studio.pk)]


def test_a_failed_then_refunded_payment_reports_each_change_once(
    studio, a_client, hook, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):
        payment = _cash(studio, a_client, "7", subtotal=1000)
        refund_create(
            studio=studio, actor=SYSTEM, payment=payment, amount=300, destination=Refund.Destination.ORIGINAL
        )
        refund_create(
            studio=studio, actor=SYSTEM, payment=payment, amount=700, destination=Refund.Destination.CREDIT
        )
    assert [state for state, _id, _studio in hook.calls] == ["succeeded", "partially_refunded", "refunded"]


def test_a_raising_hook_is_retried_and_does_not_block_others(
    studio, a_client, hook, celery_eager, django_capture_on_commit_callbacks
):
    # Let Celery's eager mode run the task's own retries, as a worker would (propagating would stop at the first).
    celery_eager.conf.task_eager_propagates = False
    hook.fail_for["flaky"] = 1  # the first call raises, the retry succeeds
    hook.fail_for["broken"] = 100  # raises every time
    with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):
        _cash(studio, a_client, "flaky")
        broken = _cash(studio, a_client, "broken")
        _cash(studio, a_client, "fine")
    assert sorted(source_id for _state, source_id, _studio in hook.calls) == ["fine", "flaky"]
    with scopes_disabled():
        flaky = PaymentOutcome.objects.get(payment__source_id="flaky")
        stuck = PaymentOutcome.objects.get(payment=broken)
    assert flaky.delivered_at and flaky.attempts == 2
    assert stuck.delivered_at is None and "hook broken" in stuck.last_error
    assert stuck.attempts == 1 + task_by_name("payments.deliver_outcome").max_retries  # retried, then left
    # The sweep keeps trying the broken one without holding up anything else.
    with scope(studio=studio):
        _cash(studio, a_client, "late")  # recorded, its own delivery not run (no on-commit here)
    later = timezone.now() + timedelta(minutes=10)
    with scope(studio=studio):
        assert outcomes_deliver_pending(studio=studio, now=later) == 1
    assert "late" in [source_id for _state, source_id, _studio in hook.calls]
    with scopes_disabled():
        assert PaymentOutcome.objects.get(pk=stuck.pk).attempts > stuck.attempts


def test_a_broker_outage_at_commit_loses_nothing_the_sweep_delivers_it(
    studio, a_client, hook, celery_eager, django_capture_on_commit_callbacks, monkeypatch
):
    task = task_by_name("payments.deliver_outcome")

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(task, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):
            payment = _cash(studio, a_client, "outage")  # the request commits; the send fails, logged
    assert hook.calls == []
    with scopes_disabled():
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
        PaymentOutcome.objects.filter(payment=payment).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
    sweep = task_by_name("payments.sweep_outcomes")
    assert sweep() == 1  # one studio with work
    assert hook.calls == [("succeeded", "outage", studio.pk)]
    assert sweep() == 0  # delivered: nothing left, nothing delivered twice
    assert len(hook.calls) == 1


def test_payments_beat_entries_are_registered():
    from studio import beat

    tasks = {entry["task"] for entry in beat.entries().values()}
    assert {
        "payments.reconcile_all",
        "payments.refund_reconcile_all",
        "payments.sweep_outcomes",
        "payments.sweep_stripe_events",
    } <= tasks
    for name in tasks:
        if name.startswith("payments."):
            assert task_by_name(name).name == name


def test_payment_str_formats_money_without_a_float():
    with translation.override("en"):
        assert str(Payment(description="Drop-in", amount=1500, currency="JPY")) == "Drop-in (JPY1,500)"
        assert str(Payment(description="Drop-in", amount=1005, currency="CAD")) == "Drop-in ($10.05)"
