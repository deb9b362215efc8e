"""Small builders shared by the payments tests."""

from __future__ import annotations

from django_scopes import scope

from payments.models import Payment
from payments.services.tenders import payment_record_tender
from studio.services import SYSTEM


def cash_payment(
    studio, client, *, amount: int = 2875, item_kind: str = "membership", description="Unlimited"
):
    """A settled cash payment, recorded through the tender service (no state forced by hand)."""
    with scope(studio=studio):
        return payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender=Payment.Method.CASH,
            client=client,
            subtotal=amount,
            item_kind=item_kind,
            channel="online",
            description=description,
        )
