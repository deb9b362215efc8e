"""What a paid order becomes (CHK-2): every kind of line held at freeze and given back on refusal,
fulfilled once when paid, and a line that cannot be fulfilled after payment flagged, not lost."""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from checkout.models import Order, OrderStatus
from checkout.services.fulfilment import order_mark_paid, order_needs_attention, order_release
from checkout.tests.ful_helpers import (
    appointment_slot,
    card_payment,
    drop_in_session,
    freeze,
    open_order,
    paid_order,
)
from memberships.models import Membership, MembershipStatus
from memberships.tests.factories import PlanFactory
from pos.models import ProductStock, StockMovement
from pos.tests.factories import product as make_product
from scheduling.models import Appointment, AppointmentStatus, Booking, BookingStatus, PaymentKind
from scheduling.tests.factories import BookingFactory
from studio.models import AuditLog
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _lines(order):
    with scopes_disabled():
        return list(order.lines.order_by("position", "id"))


def _stock(product, location) -> int:
    with scopes_disabled():
        return ProductStock.objects.get(product=product, location=location).quantity


def test_a_drop_in_is_booked_at_freeze_as_paid_by_the_order_and_released_without_a_fee(
    studio, other_studio, location, a_client
):
    session = drop_in_session(studio, location)
    order = freeze(studio, open_order(studio, a_client, {"kind": "drop_in", "session": session}))
    (line,) = _lines(order)
    assert line.fulfilment_ref.startswith("booking:")
    with scopes_disabled():
        booking = Booking.objects.get(pk=int(line.fulfilment_ref.split(":")[1]))
    assert booking.status == BookingStatus.BOOKED
    assert booking.payment_kind == PaymentKind.DROP_IN
    assert booking.payment_ref == f"order:{order.pk}"
    assert booking.client_id == a_client.pk

    with scope(studio=studio):
        order_release(studio=studio, order=order, now=timezone.now())
        order_release(studio=studio, order=order, now=timezone.now())  # idempotent
    with scopes_disabled():
        booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED  # never LATE_CANCELLED: nobody was late
    assert _lines(order)[0].fulfilment_ref == ""


def test_a_full_class_refuses_the_payment_and_holds_nothing(studio, location, a_client):
    session = drop_in_session(studio, location, capacity=1)
    mat = make_product(studio, stock={location: 5})
    order = open_order(
        studio,
        a_client,
        {"kind": "product", "product": mat, "location": location, "quantity": 2},
        {"kind": "drop_in", "session": session},
    )
    BookingFactory(session=session, client=ClientFactory(studio=studio))  # the last place went meanwhile
    with translation.override("en"), pytest.raises(ValidationError, match="This class is full"):
        freeze(studio, order)
    assert _stock(mat, location) == 5
    assert all(line.fulfilment_ref == "" for line in _lines(order))
    with scopes_disabled():
        assert not Booking.objects.filter(client=a_client).exists()  # not waitlisted either
        assert not StockMovement.objects.filter(product=mat).exists()


def test_an_appointment_is_booked_at_freeze_and_cancelled_on_release(studio, location, a_client):
    service, calendar, starts_at = appointment_slot(studio, location)
    order = freeze(
        studio,
        open_order(
            studio,
            a_client,
            {
                "kind": "appointment",
                "appointment_service": service,
                "appointment_calendar": calendar,
                "starts_at": starts_at,
            },
        ),
    )
    (line,) = _lines(order)
    assert line.fulfilment_ref.startswith("appointment:")
    with scopes_disabled():
        appointment = Appointment.objects.get(pk=int(line.fulfilment_ref.split(":")[1]))
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.payment_ref == f"order:{order.pk}"
    with scope(studio=studio):
        order_release(studio=studio, order=order, now=timezone.now())
    with scopes_disabled():
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_products_leave_the_stock_at_freeze_and_come_back_once_on_release(studio, location, a_client):
    mat = make_product(studio, stock={location: 5})
    order = freeze(
        studio,
        open_order(
            studio, a_client, {"kind": "product", "product": mat, "location": location, "quantity": 3}
        ),
    )
    assert _stock(mat, location) == 2
    (line,) = _lines(order)
    assert line.fulfilment_ref.startswith("stock:")
    with scopes_disabled():
        movement = StockMovement.objects.get(pk=int(line.fulfilment_ref.split(":")[1]))
    assert movement.note == f"order:{order.pk}"  # the movement names the order
    assert movement.delta == -3
    with scope(studio=studio):
        order_release(studio=studio, order=order, now=timezone.now())
        order_release(studio=studio, order=order, now=timezone.now())
    assert _stock(mat, location) == 5


def test_out_of_stock_refuses_the_payment(studio, location, a_client):
    mat = make_product(studio, stock={location: 2})
    order = open_order(
        studio, a_client, {"kind": "product", "product": mat, "location": location, "quantity": 2}
    )
    with scopes_disabled():
        ProductStock.objects.filter(product=mat, location=location).update(quantity=1)  # sold at the till
    with pytest.raises(ValidationError):
        freeze(studio, order)
    assert _stock(mat, location) == 1


def test_mark_paid_grants_the_pack_numbers_the_order_and_runs_once(studio, other_studio, location, a_client):
    pack = PlanFactory(studio=studio, pack=True, name="10 classes")
    session = drop_in_session(studio, location)
    order = freeze(
        studio,
        open_order(studio, a_client, {"kind": "plan", "plan": pack}, {"kind": "drop_in", "session": session}),
    )
    card_payment(studio, order)
    with scope(studio=studio):
        first = order_mark_paid(studio=studio, order=order, now=timezone.now())
        second = order_mark_paid(studio=studio, order=order, now=timezone.now())
    assert first.status == OrderStatus.PAID
    assert first.number == 1 and second.number == 1
    with scopes_disabled():
        memberships = list(Membership.objects.filter(client=a_client))
        assert len(memberships) == 1
        assert memberships[0].status == MembershipStatus.ACTIVE
        assert memberships[0].credits_remaining == 10
        assert AuditLog.objects.filter(action="checkout.order_paid", studio=studio).count() == 1
    plan_line, drop_in_line = _lines(order)
    assert plan_line.fulfilment_ref == f"membership:{memberships[0].pk}"
    assert drop_in_line.fulfilment_ref.startswith("booking:")
    with scope(studio=studio):
        assert not order_needs_attention(Order.objects.get(pk=order.pk))
        # A paid order is never released: what it bought is the client's.
        order_release(studio=studio, order=first, now=timezone.now())
    with scopes_disabled():
        assert (
            Booking.objects.get(pk=int(drop_in_line.fulfilment_ref.split(":")[1])).status
            == BookingStatus.BOOKED
        )


def test_orders_are_numbered_per_studio(studio, other_studio, location, a_client):
    pack = PlanFactory(studio=studio, pack=True)
    one = paid_order(studio, a_client, {"kind": "plan", "plan": pack})
    two = paid_order(studio, a_client, {"kind": "plan", "plan": PlanFactory(studio=studio, pack=True)})
    theirs = ClientFactory(studio=other_studio)
    elsewhere = paid_order(
        other_studio, theirs, {"kind": "plan", "plan": PlanFactory(studio=other_studio, pack=True)}
    )
    assert (one.number, two.number, elsewhere.number) == (1, 2, 1)


def test_a_subscription_starts_now_with_its_first_period_paid(studio, location, a_client):
    monthly = PlanFactory(studio=studio, name="Unlimited")
    order = paid_order(studio, a_client, {"kind": "plan", "plan": monthly})
    with scopes_disabled():
        membership = Membership.objects.get(client=a_client)
        assert membership.status == MembershipStatus.ACTIVE
        # The studio's day (a test run just after midnight UTC is still the day before in Montréal).
        assert membership.started_on == timezone.localdate(timezone=zoneinfo.ZoneInfo(studio.time_zone))
        assert membership.periods.get().payment_id == order.payment_id


def test_an_amount_owed_is_marked_paid(studio, location, a_client):
    from memberships.models import PenaltyStatus
    from memberships.tests.penalty_helpers import failed_penalty, fresh

    penalty = failed_penalty(a_client, amount=1500)
    order = paid_order(studio, a_client, {"kind": "owed", "owed_kind": "penalty", "owed_id": penalty.pk})
    assert fresh(penalty).status == PenaltyStatus.PAID
    assert fresh(penalty).payment_id == order.payment_id
    assert _lines(order)[0].fulfilment_ref == f"penalty:{penalty.pk}"


def test_a_line_that_fails_after_payment_is_flagged_not_lost(studio, other_studio, location, a_client):
    pack = PlanFactory(studio=studio, pack=True)
    mat = make_product(studio, stock={location: 3})
    order = freeze(
        studio,
        open_order(
            studio,
            a_client,
            {"kind": "plan", "plan": pack},
            {"kind": "product", "product": mat, "location": location},
        ),
    )
    card_payment(studio, order)
    with scopes_disabled():  # the plan now belongs elsewhere: granting it must fail
        from memberships.models import Plan

        Plan.objects.filter(pk=pack.pk).update(studio=other_studio)
    with scope(studio=studio):
        paid = order_mark_paid(studio=studio, order=order, now=timezone.now())
        assert paid.status == OrderStatus.PAID  # the money is taken: the order is paid regardless
        assert order_needs_attention(Order.objects.get(pk=order.pk))
    plan_line, product_line = _lines(order)
    assert plan_line.fulfilment_ref == ""
    assert product_line.fulfilment_ref.startswith("stock:")
    with scopes_disabled():
        entry = AuditLog.objects.get(action="checkout.line_unfulfilled", studio=studio)
        assert entry.changes["line_kind"] == "plan"
        assert not Membership.objects.filter(client=a_client).exists()


def test_a_held_place_cancelled_before_the_payment_is_flagged(studio, location, a_client):
    session = drop_in_session(studio, location)
    order = freeze(studio, open_order(studio, a_client, {"kind": "drop_in", "session": session}))
    card_payment(studio, order)
    with scopes_disabled():
        Booking.objects.filter(client=a_client).update(status=BookingStatus.CANCELLED)
    with scope(studio=studio):
        order_mark_paid(studio=studio, order=order, now=timezone.now())
        assert order_needs_attention(Order.objects.get(pk=order.pk))
    assert _lines(order)[0].fulfilment_ref.startswith("lost:booking:")


def test_online_membership_grant_is_keyed_by_the_order_line(studio, location, a_client):
    from memberships.services.online_sales import online_membership_grant, online_membership_key
    from studio.services import SYSTEM

    pack = PlanFactory(studio=studio, pack=True)
    order = freeze(studio, open_order(studio, a_client, {"kind": "plan", "plan": pack}))
    payment = card_payment(studio, order)
    (line,) = _lines(order)
    with scope(studio=studio):
        first = online_membership_grant(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            plan=pack,
            payment=payment,
            order_id=order.pk,
            line_id=line.pk,
        )
        again = online_membership_grant(
            studio=studio,
            actor=SYSTEM,
            client=a_client,
            plan=pack,
            payment=payment,
            order_id=order.pk,
            line_id=line.pk,
        )
    assert first.pk == again.pk
    assert (
        first.sale_token
        == online_membership_key(order_id=order.pk, line_id=line.pk)
        != f"pos_sale:{order.pk}:{line.pk}"
    )


def test_a_held_place_is_confirmed_by_email_only_once_paid_and_a_release_sends_nothing(
    studio, location, a_client, django_capture_on_commit_callbacks, monkeypatch
):
    """The client is not told "booked" while typing a card that may be refused, then "cancelled":
    the hold and the release are silent, the confirmation goes when the order is paid."""
    import scheduling.services.common as scheduling_common

    sent: list[tuple[str, int, str]] = []
    monkeypatch.setattr(
        scheduling_common, "enqueue_by_name", lambda name, studio_id, pk, kind: sent.append((name, pk, kind))
    )
    refused = freeze(
        studio,
        open_order(studio, a_client, {"kind": "drop_in", "session": drop_in_session(studio, location)}),
    )
    with scope(studio=studio):
        order_release(studio=studio, order=refused, now=timezone.now())
    assert sent == []

    session = drop_in_session(studio, location, name="Flow du soir")
    order = freeze(studio, open_order(studio, a_client, {"kind": "drop_in", "session": session}))
    assert sent == []
    card_payment(studio, order)
    with scope(studio=studio):
        order_mark_paid(studio=studio, order=order, now=timezone.now())
    booking_id = int(_lines(order)[0].fulfilment_ref.split(":")[1])
    assert sent == [("scheduling.send_booking_email", booking_id, "confirmed")]
