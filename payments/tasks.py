"""Payment tasks: reconcile payments whose outcome is unknown (beat), per studio."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from payments import tasks_migration, tasks_refunds  # noqa: F401 - registers the refund tasks (autodiscovery loads tasks.py only)
from payments.models import Payment
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(name="payments.reconcile_studio")
def payments_reconcile_studio(studio_id: int) -> int:
    from payments.services.charges import payment_reconcile, payments_needing_reconcile

    studio = Studio.objects.get(pk=studio_id)
    settled = 0
    for payment in payments_needing_reconcile(studio=studio):
        if payment_reconcile(payment=payment).status != payment.status:
            settled += 1
    return settled


@shared_task(name="payments.reconcile_all")
def payments_reconcile_all() -> int:
    """Beat: one reconcile task per studio that has unsettled payments."""
    with scopes_disabled():
        studio_ids = list(Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.PROCESSING])
                          .values_list("studio_id", flat=True).distinct())
    for studio_id in studio_ids:
        payments_reconcile_studio.delay(studio_id)
    return len(studio_ids)


@studio_task(name="payments.connected_account_create", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)
def connected_account_create_task(studio_id: int, account_id: int) -> str:
    from payments.models import ConnectedAccount
    from payments.services.accounts import connected_account_create_at_stripe

    account = ConnectedAccount.objects.select_related("studio", "created_by").get(pk=account_id)
    return connected_account_create_at_stripe(account=account).state


@shared_task(name="payments.process_stripe_event", autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def process_stripe_event(event_pk: int) -> str:
    """Global task: the event row knows its studio; `webhook_process` enters that scope."""
    from payments.models import StripeEvent
    from payments.services.webhooks import webhook_process

    row = StripeEvent.objects.filter(pk=event_pk).first()
    return webhook_process(event_row=row) if row else "missing"
