"""Connected-account tasks: the Stripe write that creates a studio's account."""

from __future__ import annotations

from payments.models import ConnectedAccount
from payments.services.accounts import connected_account_create_at_stripe
from studio.tasking import studio_task


@studio_task(
    name="payments.connected_account_create", autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def connected_account_create_task(studio_id: int, account_id: int) -> str:
    """Create the account at Stripe with the row's own key; retried on any failure."""
    account = ConnectedAccount.objects.select_related("studio", "created_by").get(pk=account_id)
    return connected_account_create_at_stripe(account=account).state
