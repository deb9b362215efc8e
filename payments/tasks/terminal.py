"""Terminal and saved-card tasks (POS-3, SPM-3): what the worker does after a reader payment."""

from __future__ import annotations

from payments.gateway import StripeUnavailable
from payments.models import Payment
from payments.services.saved_methods import saved_method_from_payment
from payments.services.terminal import terminal_tipping_sync
from studio.models import Studio
from studio.tasking import studio_task


@studio_task(
    name="payments.saved_method_from_payment",
    autoretry_for=(StripeUnavailable,),
    retry_backoff=True,
    max_retries=8,
)
def saved_method_from_payment_task(studio_id: int, payment_id: int) -> str:
    """Save the card of a payment that succeeded with "save this card" ticked (idempotent)."""
    payment = Payment.objects.select_related("account", "studio", "created_by").get(pk=payment_id)
    method = saved_method_from_payment(payment=payment)
    return "saved" if method is not None else "not saved"


@studio_task(
    name="payments.terminal_tipping_sync",
    bind=True,
    max_retries=10,
    default_retry_delay=60,
)
def terminal_tipping_sync_task(task, studio_id: int) -> bool:
    """Bring the studio's Terminal configurations in line with its tip choices; retried while
    Stripe cannot be reached (the next reader payment asking for a tip tries too)."""
    done = terminal_tipping_sync(studio=Studio.objects.get(pk=studio_id))
    if not done:
        raise task.retry()
    return done
