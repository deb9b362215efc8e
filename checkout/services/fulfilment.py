"""What an online order becomes (CHK-2): held when it is frozen, given back when the card is
refused, made to exist exactly once when it is paid.

- `order_hold` runs inside pay's transaction, the order row locked, when the client presses
  "Pay": a drop-in's place is booked (a drop-in paid by this order, `order:<id>`), an
  appointment's slot is booked, a product's units leave its location's stock. All of it in one
  savepoint: a class that filled up, a slot taken, a product sold out refuses the payment with
  the reason, having held nothing. A paying client is never put on a waitlist.
- `order_release` gives back what the hold took (the bookings cancelled as the system's doing:
  no late-cancel fee — the place was never paid; the units back in stock). Idempotent.
- `order_mark_paid` turns PAYING into PAID once (the order row locked; the outcome hook and the
  return page racing both call it, the second finds it PAID): it numbers the order, grants the
  plans, pays the amounts owed, checks the held places are still there, and asks the worker for
  the receipt email.

A line that cannot be fulfilled once the money is taken (the plan deleted or its period rules
broken meanwhile, a fee waived, a held class cancelled by the studio) does not undo the paid
order, and is not refunded automatically: refunding is a Stripe call that cannot run in this
transaction, and staff often prefer to make it right another way (grant the plan by hand, move
the client to another class). Instead the line keeps no reference (or `lost:<ref>` for a hold
that vanished), an audit entry records why, and the order shows "Needs attention" on the staff
order page and list (`order_needs_attention`) until someone refunds the line from the ledger or
fixes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from checkout.models import Order, OrderLine, OrderLineKind, OrderStatus
from payments.models import Payment
from studio.models import Studio
from studio.services import SYSTEM, Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

RECEIPT_TASK = "checkout.order_receipt_email"
LOST_PREFIX = "lost:"
UNTRACKED_STOCK_REF = "stock:untracked"  # a product that keeps no count: nothing to take or give back


def order_ref(order: Order) -> str:
    """What the order's bookings and stock movements carry to name it (`payment_ref`, note)."""
    return f"order:{order.pk}"


def _actor_for(order: Order) -> Actor:
    """The client acts when their order holds a place (their account, when they have one)."""
    user = order.client.user if order.client_id and order.client.user_id else None
    return Actor(user=user) if user is not None else SYSTEM


# --- hold and release ---------------------------------------------------------------------------


def _hold_drop_in(*, studio: Studio, actor: Actor, order: Order, line: OrderLine, now) -> str:
    from scheduling.models import BookedBy, PaymentKind
    from scheduling.services import booking_create

    booking = booking_create(
        studio=studio,
        actor=actor,
        session=line.session,
        client=order.client,
        booked_by=BookedBy.CLIENT,
        booker=order.client,
        join_waitlist=False,  # a paying client is never waitlisted: "This class is full."
        payment_kind=PaymentKind.DROP_IN,
        payment_ref=order_ref(order),
        notify=False,  # confirmed by email once paid (`order_mark_paid`), not while the card is typed
        now=now,
    )
    return f"booking:{booking.pk}"


def _hold_appointment(*, studio: Studio, actor: Actor, order: Order, line: OrderLine, now) -> str:
    from scheduling.models import BookedBy, PaymentKind
    from scheduling.services import appointment_book

    appointment = appointment_book(
        studio=studio,
        actor=actor,
        calendar=line.appointment_calendar,
        service=line.appointment_service,
        client=order.client,
        starts_at=line.starts_at,
        booked_by=BookedBy.CLIENT,
        booker=order.client,
        payment_kind=PaymentKind.DROP_IN,
        payment_ref=order_ref(order),
        notify=False,
        now=now,
    )
    return f"appointment:{appointment.pk}"


def order_hold(*, studio: Studio, order: Order, now: dt.datetime | None = None) -> Order:
    """Hold what the order's lines need before the card is charged; sets each line's
    `fulfilment_ref` ("booking:<id>", "appointment:<id>", "stock:<movement id>").

    Call inside pay's transaction with the order row locked. Raises ValidationError with the
    reason ("This class is full.", the slot taken, out of stock) having held nothing. A line
    already holding (a retried freeze) is not held twice."""
    from pos.services.online_stock import StockItem, stock_take_for_order

    now = now or timezone.now()
    if order.studio_id != studio.pk:
        raise ValidationError(_("This order belongs to another studio."), code="studio")
    if order.client_id is None:
        raise ValidationError(_("Sign in to pay."), code="client")
    actor = _actor_for(order)
    lines = list(
        order.lines.select_related(
            "session", "appointment_service", "appointment_calendar", "product", "location"
        ).order_by("position", "id")
    )
    with transaction.atomic():  # a savepoint: one refusal gives back everything held before it
        changed = []
        for line in lines:
            if line.fulfilment_ref:
                continue
            if line.kind == OrderLineKind.DROP_IN:
                line.fulfilment_ref = _hold_drop_in(
                    studio=studio, actor=actor, order=order, line=line, now=now
                )
                changed.append(line)
            elif line.kind == OrderLineKind.APPOINTMENT:
                line.fulfilment_ref = _hold_appointment(
                    studio=studio, actor=actor, order=order, line=line, now=now
                )
                changed.append(line)
        products = [ln for ln in lines if ln.kind == OrderLineKind.PRODUCT and not ln.fulfilment_ref]
        if products:
            items = [
                StockItem(key=ln.pk, product=ln.product, location=ln.location, quantity=ln.quantity)
                for ln in products
            ]
            made = stock_take_for_order(studio=studio, actor=actor, items=items, ref=order_ref(order))
            for line in products:
                line.fulfilment_ref = f"stock:{made[line.pk]}" if line.pk in made else UNTRACKED_STOCK_REF
                changed.append(line)
        for line in changed:
            line.save(update_fields=["fulfilment_ref"])
    return order


def _held(line: OrderLine, prefix: str) -> int | None:
    ref = line.fulfilment_ref
    if not ref.startswith(prefix):
        return None
    tail = ref.removeprefix(prefix)
    return int(tail) if tail.isdigit() else None


def order_release(*, studio: Studio, order: Order, now: dt.datetime | None = None) -> Order:
    """Give back what `order_hold` took: its bookings and appointments cancelled (no late-cancel
    fee, the waitlist promoted as for any cancel), its units back in stock, the lines' references
    cleared. Idempotent; a PAID order is never released (what it bought is the client's)."""
    from pos.services.online_stock import stock_give_back_for_order
    from scheduling.models import Appointment, Booking
    from scheduling.services import BookingError, appointment_cancel, booking_cancel

    now = now or timezone.now()
    if order.status == OrderStatus.PAID:
        return order
    ref = order_ref(order)
    with transaction.atomic():
        lines = list(order.lines.exclude(fulfilment_ref="").order_by("position", "id"))
        movement_ids = []
        for line in lines:
            booking_id = _held(line, "booking:")
            appointment_id = _held(line, "appointment:")
            movement_id = _held(line, "stock:")
            if booking_id is not None:
                booking = (
                    Booking.objects.filter(studio=studio, pk=booking_id).select_related("session").first()
                )
                if booking is not None and booking.payment_ref == ref:
                    with contextlib.suppress(BookingError):  # cancelled already: nothing more to give
                        booking_cancel(
                            studio=studio,
                            actor=SYSTEM,
                            booking=booking,
                            by_staff=True,
                            waive_late_cancel=True,
                            notify=False,  # never confirmed to the client: nothing to cancel by email
                            now=now,
                        )
            elif appointment_id is not None:
                appointment = Appointment.objects.filter(studio=studio, pk=appointment_id).first()
                if appointment is not None and appointment.payment_ref == ref:
                    with contextlib.suppress(BookingError):
                        appointment_cancel(
                            studio=studio,
                            actor=SYSTEM,
                            appointment=appointment,
                            by_staff=True,
                            notify=False,
                            now=now,
                        )
            elif movement_id is not None:
                movement_ids.append(movement_id)
        if movement_ids:
            stock_give_back_for_order(studio=studio, actor=SYSTEM, movement_ids=movement_ids, ref=ref)
        for line in lines:
            if line.kind in (OrderLineKind.DROP_IN, OrderLineKind.APPOINTMENT, OrderLineKind.PRODUCT):
                line.fulfilment_ref = ""
                line.save(update_fields=["fulfilment_ref"])
    return order


# --- paid ---------------------------------------------------------------------------------------


def _next_number(studio: Studio) -> int:
    """The studio's next order number: no gaps, no duplicates under concurrency (the studio row
    is locked FOR NO KEY UPDATE, so paid orders take their numbers one after another)."""
    Studio.objects.select_for_update(no_key=True).filter(pk=studio.pk).first()
    last = Order.objects.filter(studio=studio, number__isnull=False).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def order_paying_payment(order: Order) -> Payment | None:
    """The payment that stands for the order where one row must (a membership's period, a fee):
    the card part when it succeeded, else the studio-credit part."""
    for payment_id in (order.payment_id, order.credit_payment_id):
        if payment_id is None:
            continue
        payment = Payment.objects.filter(studio_id=order.studio_id, pk=payment_id).first()
        if payment is not None and payment.status == Payment.Status.SUCCEEDED:
            return payment
    return None


def _still_held(*, studio: Studio, order: Order, line: OrderLine) -> bool:
    """Whether the place held at freeze is still the client's (the studio may have cancelled the
    class while the client was on the 3-D Secure page)."""
    from scheduling.models import Appointment, AppointmentStatus, Booking, BookingStatus

    booking_id = _held(line, "booking:")
    if booking_id is not None:
        return Booking.objects.filter(
            studio=studio, pk=booking_id, payment_ref=order_ref(order), status=BookingStatus.BOOKED
        ).exists()
    appointment_id = _held(line, "appointment:")
    if appointment_id is not None:
        return Appointment.objects.filter(
            studio=studio, pk=appointment_id, payment_ref=order_ref(order), status=AppointmentStatus.BOOKED
        ).exists()
    return False


def _confirm_held(line: OrderLine) -> None:
    """Send the booking's (or appointment's) confirmation email, now that it is paid."""
    from scheduling.models import Appointment, Booking
    from scheduling.services import appointment_notify, booking_notify

    booking_id = _held(line, "booking:")
    if booking_id is not None:
        booking_notify(booking=Booking.objects.get(pk=booking_id), kind="confirmed")
        return
    appointment_id = _held(line, "appointment:")
    if appointment_id is not None:
        appointment_notify(
            appointment=Appointment.objects.get(pk=appointment_id), kind="appointment_confirmed"
        )


def _fulfil_line(*, studio: Studio, order: Order, line: OrderLine, payment: Payment | None, now) -> str:
    from memberships.services.online_sales import online_membership_grant, online_owed_pay

    if payment is None:
        raise ValidationError("no succeeded payment stands for this order", code="payment")
    if line.kind == OrderLineKind.PLAN:
        membership = online_membership_grant(
            studio=studio,
            actor=SYSTEM,
            client=order.client,
            plan=line.plan,
            payment=payment,
            order_id=order.pk,
            line_id=line.pk,
            now=now,
        )
        return f"membership:{membership.pk}"
    if line.kind == OrderLineKind.OWED:
        return online_owed_pay(
            studio=studio,
            actor=SYSTEM,
            owed_kind=line.owed_kind,
            owed_id=line.owed_id,
            payment=payment,
            order_id=order.pk,
            now=now,
        )
    raise ValidationError(f"nothing fulfils a {line.kind} line when paid", code="kind")


def _unfulfilled(*, studio: Studio, order: Order, line: OrderLine, error: str) -> None:
    logger.error("online order %s: line %s could not be fulfilled: %s", order.pk, line.pk, error)
    audit_record(
        studio=studio,
        actor=SYSTEM,
        action="checkout.line_unfulfilled",
        obj=order,
        changes={"order_line": line.description, "line_kind": line.kind, "error": error[:200]},
    )


def order_mark_paid(*, studio: Studio, order: Order, now: dt.datetime | None = None) -> Order:
    """PAYING → PAID, once: numbers the order, grants its plans (`online_membership_grant`: the
    membership starts now, or at its first class when the plan says so; a pack with its
    credits), marks its amounts owed paid, checks its held places are still the client's, writes
    the audit entry and enqueues the receipt email (`checkout.order_receipt_email`).

    Locks the order row; a second call (the hook and the return page racing, a redelivered
    event) finds it PAID and changes nothing. Each line is fulfilled in a savepoint: a line that
    fails is audited and leaves the order "Needs attention" (module docstring), never unpaid."""
    now = now or timezone.now()
    if order.studio_id != studio.pk:
        raise ValidationError(_("This order belongs to another studio."), code="studio")
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("client").get(pk=order.pk)
        if locked.status != OrderStatus.PAYING:
            return locked
        locked.number = _next_number(studio)
        locked.status = OrderStatus.PAID
        locked.paid_at = now
        locked.save(update_fields=["number", "status", "paid_at", "updated_at"])
        payment = order_paying_payment(locked)
        for line in locked.lines.select_related("plan").order_by("position", "id"):
            if line.kind in (OrderLineKind.DROP_IN, OrderLineKind.APPOINTMENT):
                if line.fulfilment_ref and not _still_held(studio=studio, order=locked, line=line):
                    _unfulfilled(studio=studio, order=locked, line=line, error="the held place was cancelled")
                    line.fulfilment_ref = (LOST_PREFIX + line.fulfilment_ref)[:64]
                    line.save(update_fields=["fulfilment_ref"])
                elif not line.fulfilment_ref:
                    _unfulfilled(studio=studio, order=locked, line=line, error="nothing was held")
                else:
                    _confirm_held(line)  # the booking email the hold did not send
                continue
            if line.kind == OrderLineKind.PRODUCT:
                if not line.fulfilment_ref:
                    _unfulfilled(studio=studio, order=locked, line=line, error="no stock was taken")
                continue
            if line.fulfilment_ref:
                continue
            try:
                with transaction.atomic():  # a savepoint: one line's failure must not undo the paid order
                    ref = _fulfil_line(studio=studio, order=locked, line=line, payment=payment, now=now)
            except Exception as exc:  # whatever broke, the money is taken: flag it
                _unfulfilled(studio=studio, order=locked, line=line, error=f"{type(exc).__name__}: {exc}")
                continue
            line.fulfilment_ref = ref
            line.save(update_fields=["fulfilment_ref"])
        audit_record(
            studio=studio,
            actor=SYSTEM,
            action="checkout.order_paid",
            obj=locked,
            changes={"order_number": locked.number, "amount": locked.total},
        )
        enqueue_by_name(RECEIPT_TASK, studio.pk, locked.pk)
    return locked


def line_needs_attention(line: OrderLine) -> bool:
    """A paid order's line that did not become what was bought (see the module docstring)."""
    return not line.fulfilment_ref or line.fulfilment_ref.startswith(LOST_PREFIX)


def order_needs_attention(order: Order) -> bool:
    """Whether staff must look at this paid order: a line was paid for but not delivered."""
    return order.status == OrderStatus.PAID and any(line_needs_attention(ln) for ln in order.lines.all())
