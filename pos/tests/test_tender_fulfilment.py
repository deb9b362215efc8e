"""What a completed sale makes exist, once (tender): a membership active with its first period, a
drop-in's booking (held when the sale froze), a fee paid, a past-due renewal paid, credit topped
up — and what voiding gives back (the held place)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import (
    Membership,
    MembershipPeriod,
    MembershipStatus,
    PenaltyStatus,
    Renewal,
    RenewalStatus,
)
from memberships.tests.factories import MembershipFactory, PlanFactory
from memberships.tests.penalty_helpers import failed_penalty
from payments.services.credit import credit_balance
from pos.models import Sale, SaleLine, SaleStatus
from pos.services import checkout
from pos.tests.tender_fixtures import *  # noqa: F403 - fixtures
from pos.tests.tender_fixtures import add_line, new_sale, token
from scheduling.models import Booking, BookingStatus
from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(studio, laval):
    return ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=laval, capacity=5)


def _pay_cash(studio, actor, sale):
    with scope(studio=studio):
        sale.refresh_from_db()
        return checkout.tender_cash(
            studio=studio, actor=actor, sale=sale, amount=sale.total, cash_received=sale.total, token=token()
        )


def _lines(studio, sale):
    with scopes_disabled():
        return {line.kind: line for line in SaleLine.objects.filter(sale=sale)}


def test_a_completed_sale_makes_a_membership_a_booking_a_paid_fee_and_credit(
    studio, actor, laval, buyer, session, accounts
):
    pack = PlanFactory(studio=studio, pack=True, name="10 classes")
    fee = failed_penalty(buyer, amount=1500)
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(studio, sale, kind="plan", plan=pack, description=pack.name, unit_amount=pack.price_amount)
    add_line(studio, sale, kind="drop_in", session=session, description="Drop-in", unit_amount=2000)
    add_line(
        studio,
        sale,
        kind="owed",
        owed_kind="penalty",
        owed_id=fee.pk,
        description="No-show fee",
        unit_amount=1500,
    )
    add_line(studio, sale, kind="credit_topup", description="Credit", unit_amount=5000)
    tender = _pay_cash(studio, actor, sale)
    with scopes_disabled():
        done = Sale.objects.get(pk=sale.pk)
        lines = _lines(studio, sale)
        assert done.status == SaleStatus.COMPLETED
        membership = Membership.objects.get(client=buyer, plan=pack)
        assert membership.status == MembershipStatus.ACTIVE
        assert lines["plan"].fulfilment_ref == f"membership:{membership.pk}"
        [period] = MembershipPeriod.objects.filter(membership=membership)
        assert period.payment_id == tender.payment_id
        booking = Booking.objects.get(session=session, client=buyer)
        assert booking.status == BookingStatus.BOOKED and booking.payment_kind == "drop_in"
        assert booking.payment_ref == f"pos_sale:{sale.pk}"
        assert lines["drop_in"].fulfilment_ref == f"booking:{booking.pk}"
        fee.refresh_from_db()
        assert fee.status == PenaltyStatus.PAID and fee.payment_id == tender.payment_id
        assert lines["owed"].fulfilment_ref == f"penalty:{fee.pk}"
        assert lines["credit_topup"].fulfilment_ref.startswith("credit:")
    with scope(studio=studio):
        assert credit_balance(client=buyer) == 5000
        # Settling again (a late hook) fulfils nothing twice.
        checkout.tender_settle(tender_id=tender.pk)
        assert credit_balance(client=buyer) == 5000
        assert Membership.objects.filter(client=buyer, plan=pack).count() == 1


def test_the_drop_ins_place_is_held_when_the_sale_freezes_and_released_when_voided(
    studio, actor, laval, buyer, session, accounts
):
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(studio, sale, kind="drop_in", session=session, description="Drop-in", unit_amount=2000)
    with scope(studio=studio):
        checkout.sale_lock(studio=studio, actor=actor, sale=sale)
        booking = Booking.objects.get(session=session, client=buyer)
        assert booking.status == BookingStatus.BOOKED  # the seat is kept while the client pays
        checkout.sale_void(studio=studio, actor=actor, sale=sale, reason="left")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED  # not a late cancel: nobody was late


def test_a_full_class_refuses_the_sale_before_any_money(studio, actor, laval, buyer, accounts):
    full = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=laval, capacity=0)
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(studio, sale, kind="drop_in", session=full, description="Drop-in", unit_amount=2000)
    with scope(studio=studio), translation.override("en"), pytest.raises(ValidationError, match="full"):
        _pay_cash(studio, actor, sale)
    with scopes_disabled():
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.OPEN
        assert not sale.tenders.exists()


def test_a_drop_ins_waiver_to_sign_stops_the_sale_with_the_points_sentence(
    studio, actor, laval, buyer, session, accounts
):
    """The class's waiver is asked before anything is taken, in the sale's words ("before paying",
    with the waivers named, which the screen offers to sign here) rather than the booking's."""
    from waivers.tests.factories import req_require, req_sign, req_waiver

    with scopes_disabled():
        waiver = req_waiver(studio, kind="client", name="Studio release")
        req_require(waiver, scope="class_template", target_id=session.template_id)
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(studio, sale, kind="drop_in", session=session, description="Drop-in", unit_amount=2000)
    with scope(studio=studio), translation.override("en"):
        with pytest.raises(checkout.WaiverRequired) as refused:
            _pay_cash(studio, actor, sale)
        assert [w.pk for w in refused.value.waivers] == [waiver.pk]
        assert "must sign “Studio release” before paying" in str(refused.value)
    with scope(studio=studio), translation.override("fr"), pytest.raises(checkout.WaiverRequired) as refused:
        _pay_cash(studio, actor, sale)
    assert "signer «\u00a0Studio release\u00a0» avant de payer" in refused.value.messages[0]
    with scopes_disabled():
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.OPEN and not sale.tenders.exists()
        assert not Booking.objects.filter(session=session, client=buyer).exists()
        req_sign(waiver, buyer)
    _pay_cash(studio, actor, sale)
    with scopes_disabled():
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED


def test_a_past_due_renewal_paid_at_the_counter_opens_its_period(studio, actor, laval, buyer, accounts):
    started = timezone.localdate() - dt.timedelta(days=40)
    membership = MembershipFactory(
        client=buyer, plan=PlanFactory(studio=studio), started_on=started, status=MembershipStatus.PAST_DUE
    )
    with scopes_disabled():
        renewal = Renewal.objects.create(
            studio=studio,
            membership=membership,
            period_start=started + dt.timedelta(days=30),
            amount=2000,
            currency=studio.currency,
            status=RenewalStatus.RETRYING,
            idempotency_key=f"renewal:{membership.pk}:x",
            attempts=1,
            failure_code="card_declined",
        )
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(
        studio,
        sale,
        kind="owed",
        owed_kind="renewal",
        owed_id=renewal.pk,
        description="Renewal",
        unit_amount=2000,
    )
    tender = _pay_cash(studio, actor, sale)
    with scopes_disabled():
        renewal.refresh_from_db()
        membership.refresh_from_db()
        assert renewal.status == RenewalStatus.SUCCEEDED and renewal.payment_id == tender.payment_id
        assert membership.status == MembershipStatus.ACTIVE
        assert _lines(studio, sale)["owed"].fulfilment_ref == f"renewal:{renewal.pk}"


def test_a_line_that_cannot_be_fulfilled_does_not_undo_the_paid_sale(studio, actor, laval, buyer, accounts):
    fee = failed_penalty(buyer, amount=1500)
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(
        studio, sale, kind="owed", owed_kind="penalty", owed_id=fee.pk, description="Fee", unit_amount=1500
    )
    with scopes_disabled():
        type(fee).objects.filter(pk=fee.pk).update(status=PenaltyStatus.WAIVED)  # waived meanwhile
    _pay_cash(studio, actor, sale)
    with scopes_disabled():
        from studio.models import AuditLog

        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED
        assert _lines(studio, sale)["owed"].fulfilment_ref == ""
        assert AuditLog.objects.filter(action="pos.line_unfulfilled", object_id=str(sale.pk)).exists()


def test_a_membership_waiver_to_sign_stops_the_sale_before_any_money(studio, actor, laval, buyer, accounts):
    from waivers.tests.factories import req_require, req_sign, req_waiver

    pack = PlanFactory(studio=studio, pack=True, name="10 classes")
    with scopes_disabled():
        waiver = req_waiver(studio, kind="membership", name="Membership release")
        req_require(waiver, scope="studio")
    sale = new_sale(studio, actor, laval, client=buyer)
    add_line(studio, sale, kind="plan", plan=pack, description=pack.name, unit_amount=pack.price_amount)
    with scope(studio=studio), translation.override("en"):
        with pytest.raises(checkout.WaiverRequired) as refused:
            checkout.sale_lock(studio=studio, actor=actor, sale=sale)
        assert [w.pk for w in refused.value.waivers] == [waiver.pk] and "Membership release" in str(
            refused.value
        )
        with pytest.raises(checkout.WaiverRequired):
            _pay_cash(studio, actor, sale)
    with scopes_disabled():
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.OPEN and not sale.tenders.exists()
        req_sign(waiver, buyer)
    _pay_cash(studio, actor, sale)
    with scopes_disabled():
        assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED
