"""The charge path's reads compiled once (`studio.compiled_sql`, issue #14): a payment with its
reader and the reader's account (`terminal._fresh`) and a payment's locked row (`charges._locked`)
are the ORM's own rows, the row of the payment's own studio only, and the lock is the payment's
row; recording an answer from Stripe writes only the columns it moves."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from payments import gateway
from payments.models import Payment
from payments.services import charges, terminal
from pos.tests.factories import make_card_reader
from tests.rows import own_columns

pytestmark = pytest.mark.django_db


def _payment(studio, *, reader=None, key="k1", **fields) -> Payment:
    with scopes_disabled():
        fields = {"description": "Water bottle", **fields}
        return Payment.objects.create(
            studio=studio,
            amount=2300,
            currency=studio.currency,
            subtotal=2000,
            channel="pos",
            item_kind="pos_sale",
            method=Payment.Method.CARD_PRESENT if reader else Payment.Method.CARD,
            reader=reader,
            account=reader.account if reader else None,
            stripe_account_id=reader.account.stripe_account_id if reader else "",
            idempotency_key=key,
            **fields,
        )


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("with_reader", [True, False])
def test_a_reader_payment_read_fresh_is_the_orms_row_with_its_reader_and_account(
    studio, other_studio, with_reader
):
    reader = make_card_reader(studio) if with_reader else None
    payment = _payment(studio, reader=reader)
    theirs = _payment(other_studio, reader=make_card_reader(other_studio), key="k2")
    with scope(studio=studio):
        orm = Payment.objects.select_related("reader", "reader__account").get(pk=payment.pk)
        found = terminal._fresh(payment)
        assert own_columns(found) == own_columns(orm)
        assert _count(lambda: found.reader and found.reader.account) == 0
        if with_reader:
            assert own_columns(found.reader) == own_columns(orm.reader)
            assert own_columns(found.reader.account) == own_columns(orm.reader.account)
        else:
            assert found.reader is None
    # Another studio's payment is read in its own studio only: its id in this studio's row finds nothing.
    stray = Payment(pk=theirs.pk, studio_id=studio.pk)
    with scope(studio=studio), pytest.raises(Payment.DoesNotExist):
        terminal._fresh(stray)


def test_the_locked_payment_is_the_orms_row_and_locks_it_alone(studio, other_studio):
    payment = _payment(studio)
    theirs = _payment(other_studio, key="k3")
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx, transaction.atomic():
        found = charges._locked(payment)
        assert own_columns(found) == own_columns(Payment.objects.get(pk=payment.pk))
    locks = [q["sql"].rstrip() for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and locks[0].endswith("FOR UPDATE")
    with scope(studio=studio), transaction.atomic(), pytest.raises(Payment.DoesNotExist):
        charges._locked(Payment(pk=theirs.pk, studio_id=studio.pk))


def _intent(**fields) -> gateway.types.PaymentIntent:
    values = {
        "id": "pi_1",
        "status": "succeeded",
        "amount": 2300,
        "amount_received": 2300,
        "currency": "cad",
        "client_secret": None,
        "customer": None,
        "payment_method": None,
        "latest_charge": "ch_1",
        "application_fee_amount": None,
        "last_error_code": None,
        "last_error_decline_code": None,
        "last_error_message": None,
        "metadata": {},
        "raw": {},
        "card_brand": "visa",
        "card_last4": "4242",
        **fields,
    }
    return gateway.types.PaymentIntent(**values)


def test_recording_an_answer_writes_only_the_columns_it_moves(studio):
    payment = _payment(studio, description="Kept as it is")
    with scopes_disabled():
        # Someone else's change to a column the answer does not carry, after `payment` was read.
        Payment.objects.filter(pk=payment.pk).update(description="Changed meanwhile")
    with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
        recorded = charges.payment_record(payment=payment, intent=_intent(), source="api")
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "payments_payment"')]
    assert len(updates) == 1 and '"description"' not in updates[0] and '"amount"' not in updates[0]
    with scopes_disabled():
        row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.stripe_payment_intent_id, row.stripe_charge_id) == ("succeeded", "pi_1", "ch_1")
    assert (row.card_brand, row.card_last4, row.description) == ("visa", "4242", "Changed meanwhile")
    assert recorded.status == Payment.Status.SUCCEEDED
    # Recorded again: nothing moves, nothing is written.
    with scope(studio=studio), CaptureQueriesContext(connection) as again:
        charges.payment_record(payment=row, intent=_intent(), source="webhook")
    assert not [q for q in again.captured_queries if q["sql"].startswith("UPDATE")]
