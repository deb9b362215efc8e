"""What every money service shares: the phases' vocabulary and the helpers they all need.

Charging (`charges.py`) and refunding (`refunds.py`) follow the same three phases, with the same
names, and so does any money service added later:

1. `<entity>_create` — in one transaction, lock what must be locked, *reserve* (a refund raises
   `amount_refunded`) and commit a PENDING row carrying its deterministic idempotency key;
2. `<entity>_submit` — call Stripe **outside any transaction** with that key; safe to repeat;
3. `<entity>_record` — record Stripe's answer in a new transaction, only ever moving forward.
   A definite failure ends the attempt; an ambiguous one (timeout, 5xx, lost response, 429)
   leaves the row pending for the webhook or `<entity>_reconcile` to settle.

Offline tenders (`tenders.py`) skip phase 2: nothing is sent anywhere, so the row is created and
settled in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from payments import gateway
from payments.models import Payment

#: Stripe keeps idempotency keys for 24 hours; past that, resubmitting could charge (or refund)
#: twice, so a row still unsettled by then waits for a person instead.
RESUBMIT_WINDOW = timedelta(hours=23)


def account_ref(payment: Payment) -> str | object:
    """The Stripe account a payment (and its refunds) lives on: an `acct_…` id or `gateway.PLATFORM`.

    Direct charges live on the connected account they name; an escrow payment names none (it was
    taken on the platform's own account, PAY-6), and neither do its refunds.
    """
    return payment.stripe_account_id or gateway.PLATFORM


def may_resubmit(*, created_at: datetime, now: datetime) -> bool:
    """Whether a row whose Stripe answer was lost may still be resubmitted with its key."""
    return now - created_at <= RESUBMIT_WINDOW
