"""Booking checks: other apps' say on whether a client may take a place in a class.

An app registers a check from its `AppConfig.ready()` — waivers ("has signed the current
waiver"); what pays for the booking is the payers' business (below):

    from scheduling.services import BookingAttempt, booking_check_register

    def has_signed(attempt: BookingAttempt) -> str | None:
        if waiver_signed(client_id=attempt.client.pk, ...):
            return None
        return gettext("Sign the studio's waiver before booking.")

    booking_check_register("waivers.signed", has_signed)

`booking_create` runs every check inside its transaction, after it has locked the session row
and checked its own rules (cancelled, closed, already booked), and before it counts the spots:
a check sees a consistent session and may read or lock rows of its own app. A check returns
None to allow, or the refusal as a sentence in the active language (what is missing and what
to do); the first refusal wins and is raised as a BookingError. A check must not write: when
the booking goes ahead its app records what it used through a payer (below), or listens to the
events.

Booking payers (SCH-4): who pays for a class or an appointment. An app that sells entitlements
(memberships: subscriptions, passes, class packs) registers a payer:

    booking_payer_register("memberships.entitlement", pays_with_membership)

A payer is called with the BookingAttempt (a class: `kind == "class"`, `template_id`; an
appointment: `kind == "appointment"`, `service_id`; both: `price_amount`, `local_date`) after
the checks, under the same lock, and returns None (no say), a refusal sentence, or a
`BookingPayment(kind, ref, label, take)`. The first payer with a say decides. When
`attempt.dry_run` is False (the booking is real) a payer may lock its own rows, so that its
choice holds until the booking commits (memberships locks the client's memberships: the last
credit goes to one booking only). `take(row)` runs inside the booking's transaction right
after the Booking (or Appointment) row is saved: there the payer's app decrements what pays
and records the use under the row's id; if it raises BookingError nothing is booked. A payer
writes nothing outside `take`.

When the caller names the payment (`payment_kind=`: staff choosing "complimentary", the POS a
drop-in with its payment reference) the payers are not asked. Nobody with a say: the booking
is complimentary, as before memberships existed. `booking_payment_preview` and
`appointment_payment_preview` ask the same payers without booking (dry run, no lock), so a
page shows what will pay, or the refusal, before anyone clicks.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from scheduling.models import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    AppointmentStatus,
    BookedBy,
    Booking,
    BookingStatus,
    ClassSession,
    PaymentKind,
)
from studio.models import Client, Studio

from .common import BookingError

CLASS = "class"
APPOINTMENT = "appointment"


@dataclass(frozen=True, slots=True)
class BookingAttempt:
    """What a check or a payer is asked about. For a class, `session` is the locked row; for an
    appointment (`kind == "appointment"`) `service`, `calendar` and `starts_at` say what and
    when. `booker` is the signed-in client booking for `client` (themselves or a dependant),
    None when staff book. `dry_run`: a page asking what would pay, nothing is booked (and
    nothing may be locked)."""

    studio: Studio
    session: ClassSession | None
    client: Client
    booked_by: str
    booker: Client | None
    waitlist: bool  # True when the class is full and the client would join its waitlist
    now: datetime
    kind: str = CLASS
    service: AppointmentService | None = None
    calendar: AppointmentCalendar | None = None
    starts_at: datetime | None = None
    dry_run: bool = False

    @property
    def template_id(self) -> int | None:
        return self.session.template_id if self.session is not None else None

    @property
    def service_id(self) -> int | None:
        return self.service.pk if self.service is not None else None

    @property
    def price_amount(self) -> int:
        """What it costs without an entitlement, in minor units: 0 is free."""
        if self.kind == APPOINTMENT:
            return self.service.price_amount if self.service is not None else 0
        return self.session.template.drop_in_price if self.session is not None else 0

    @property
    def local_date(self) -> date:
        """The date of the class or appointment where it happens (periods are calendar dates)."""
        if self.kind == APPOINTMENT:
            zone = self.calendar.location.time_zone if self.calendar is not None else self.studio.time_zone
            return (self.starts_at or self.now).astimezone(zoneinfo.ZoneInfo(zone)).date()
        return self.session.local_start.date()

    @property
    def by_client(self) -> bool:
        return self.booked_by == BookedBy.CLIENT


BookingCheck = Callable[[BookingAttempt], "str | None"]

_CHECKS: dict[str, BookingCheck] = {}


def booking_check_register(key: str, check: BookingCheck) -> None:
    """Add (or replace, under the same key) a check; keys keep registration idempotent when
    `ready()` runs twice."""
    _CHECKS[key] = check


def booking_check_unregister(key: str) -> None:
    """Remove a check (tests; an app turned off)."""
    _CHECKS.pop(key, None)


@contextmanager
def booking_check_registered(key: str, check: BookingCheck) -> Iterator[None]:
    """A check that holds for the `with` block only (tests)."""
    previous = _CHECKS.get(key)
    booking_check_register(key, check)
    try:
        yield
    finally:
        if previous is None:
            booking_check_unregister(key)
        else:
            booking_check_register(key, previous)


def booking_checks_run(attempt: BookingAttempt) -> str | None:
    """The first refusal of the registered checks, in registration order, or None."""
    for check in list(_CHECKS.values()):
        refusal = check(attempt)
        if refusal:
            return str(refusal)
    return None


# --- payers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingPayment:
    """A payer's decision to pay: `kind` is a PaymentKind code stored on the row, `ref` the
    payer's own reference ("membership:42"), `label` what pays in the reader's language
    ("10-class pack, 3 credits left", for pages), `take` the write run after the row is saved."""

    kind: str
    ref: str = ""
    label: str = ""
    take: Callable[[object], None] | None = None


BookingPayer = Callable[[BookingAttempt], "BookingPayment | str | None"]

_PAYERS: dict[str, BookingPayer] = {}


def booking_payer_register(key: str, payer: BookingPayer) -> None:
    """Add (or replace, under the same key) a payer."""
    _PAYERS[key] = payer


def booking_payer_unregister(key: str) -> None:
    """Remove a payer (tests; an app turned off)."""
    _PAYERS.pop(key, None)


@contextmanager
def booking_payer_registered(key: str, payer: BookingPayer) -> Iterator[None]:
    """A payer that holds for the `with` block only (tests)."""
    previous = _PAYERS.get(key)
    booking_payer_register(key, payer)
    try:
        yield
    finally:
        if previous is None:
            booking_payer_unregister(key)
        else:
            booking_payer_register(key, previous)


def booking_payers_run(attempt: BookingAttempt) -> BookingPayment | str | None:
    """The first payer's say, in registration order: a BookingPayment, a refusal, or None."""
    for payer in list(_PAYERS.values()):
        decision = payer(attempt)
        if decision is None:
            continue
        if isinstance(decision, BookingPayment):
            return decision
        return str(decision)
    return None


def booking_payment_decide(
    attempt: BookingAttempt, *, payment_kind: str | None, payment_ref: str = ""
) -> BookingPayment:
    """What pays for a booking being made: the caller's explicit `payment_kind`, else the
    payers' decision (a refusal raises BookingError), else complimentary."""
    if payment_kind is not None:
        return BookingPayment(kind=payment_kind, ref=payment_ref)
    decision = booking_payers_run(attempt)
    if isinstance(decision, str):
        raise BookingError(decision)
    return decision or BookingPayment(kind=PaymentKind.COMPLIMENTARY)


def booking_payment_preview(
    *,
    studio: Studio,
    session: ClassSession,
    client: Client,
    booked_by: str,
    booker: Client | None = None,
    now: datetime | None = None,
) -> BookingPayment | str | None:
    """What would pay for `client` in `session` (read only, no lock): for pages."""
    return booking_payers_run(
        BookingAttempt(
            studio=studio,
            session=session,
            client=client,
            booked_by=booked_by,
            booker=booker,
            waitlist=False,
            now=now or timezone.now(),
            dry_run=True,
        )
    )


def appointment_payment_preview(
    *,
    studio: Studio,
    calendar: AppointmentCalendar,
    service: AppointmentService,
    client: Client,
    starts_at: datetime,
    booked_by: str,
    booker: Client | None = None,
    now: datetime | None = None,
) -> BookingPayment | str | None:
    """What would pay for `client`'s appointment (read only, no lock): for pages."""
    return booking_payers_run(
        BookingAttempt(
            studio=studio,
            session=None,
            client=client,
            booked_by=booked_by,
            booker=booker,
            waitlist=False,
            now=now or timezone.now(),
            kind=APPOINTMENT,
            service=service,
            calendar=calendar,
            starts_at=starts_at,
            dry_run=True,
        )
    )


# --- cancel outcomes (POL-1) -------------------------------------------------------------------
#
# Every cancel page (the client's and staff's, class and appointment) says, before the person
# confirms, what the client gets back. Scheduling does not know what paid; the app that does
# (memberships: the cancellation policy) registers a describer:
#
#     cancel_outcome_register("memberships.policy", describe)
#
# A describer is called with a CancelQuestion (the booking or appointment still active, `now`,
# who cancels, and whether scheduling would record the cancel as late) and returns sentences in
# the active language (a list, one string, or None for no say). It must only read. A describer
# that raises is logged and skipped: a cancel page never fails because of one.
#
# The payment reference of a booking paid as a drop-in (`payment_kind == "drop_in"`, written by
# the POS or the checkout) is `payment:<id>`, the id of payments' Payment row that paid for it.

DROP_IN_REF_PREFIX = "payment:"

_cancel_logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CancelQuestion:
    """What a cancel-outcome describer is asked. Exactly one of `booking` and `appointment` is
    set (`kind` says which); `by` is "client" or "staff"; `late` is what scheduling would record
    if the cancel were confirmed at `now` (staff waiving the late cancel: `waive_late`)."""

    studio: Studio
    kind: str
    booking: Booking | None
    appointment: Appointment | None
    now: datetime
    by: str
    late: bool
    waive_late: bool = False

    @property
    def client(self) -> Client:
        return self.booking.client if self.booking is not None else self.appointment.client

    @property
    def starts_at(self) -> datetime:
        return self.booking.session.starts_at if self.booking is not None else self.appointment.starts_at


CancelDescriber = Callable[[CancelQuestion], "list[str] | str | None"]

_DESCRIBERS: dict[str, CancelDescriber] = {}


def cancel_outcome_register(key: str, fn: CancelDescriber) -> None:
    """Add (or replace, under the same key) a cancel-outcome describer."""
    _DESCRIBERS[key] = fn


def cancel_outcome_unregister(key: str) -> None:
    """Remove a describer (tests; an app turned off)."""
    _DESCRIBERS.pop(key, None)


@contextmanager
def cancel_outcome_registered(key: str, fn: CancelDescriber) -> Iterator[None]:
    """A describer that holds for the `with` block only (tests)."""
    previous = _DESCRIBERS.get(key)
    cancel_outcome_register(key, fn)
    try:
        yield
    finally:
        if previous is None:
            cancel_outcome_unregister(key)
        else:
            cancel_outcome_register(key, previous)


def cancel_would_be_late(
    *,
    studio: Studio,
    booking: Booking | None = None,
    appointment: Appointment | None = None,
    now: datetime,
    by: str,
    waive_late: bool = False,
) -> bool:
    """Whether cancelling now would be recorded as a late cancel — the one rule `booking_cancel` and
    `appointment_cancel` apply when they cancel, and cancel pages ask beforehand (a place held inside the studio's window; staff may waive it for
    a class; staff cancelling an appointment is never late)."""
    window = timedelta(minutes=studio.late_cancel_window_minutes)
    if booking is not None:
        held_a_spot = booking.status == BookingStatus.BOOKED
        return held_a_spot and not waive_late and now > booking.session.starts_at - window
    if appointment is not None:
        return by != "staff" and now > appointment.starts_at - window
    return False


def cancel_outcomes_describe(
    *,
    booking: Booking | None = None,
    appointment: Appointment | None = None,
    now: datetime,
    by: str,
    waive_late: bool = False,
) -> list[str]:
    """The sentences every registered describer has for this cancel, in registration order
    (read only: for the confirmation pages)."""
    if (booking is None) == (appointment is None):
        raise ValueError("Describe the cancel of one booking or one appointment.")
    row = booking if booking is not None else appointment
    studio = row.studio
    question = CancelQuestion(
        studio=studio,
        kind=CLASS if booking is not None else APPOINTMENT,
        booking=booking,
        appointment=appointment,
        now=now,
        by=by,
        late=cancel_would_be_late(
            studio=studio, booking=booking, appointment=appointment, now=now, by=by, waive_late=waive_late
        ),
        waive_late=waive_late,
    )
    lines: list[str] = []
    for key, describer in list(_DESCRIBERS.items()):
        try:
            said = describer(question)
        except Exception:  # a describer's bug must not break the page that asks before a cancel
            _cancel_logger.exception("cancel-outcome describer %s failed", key)
            continue
        if not said:
            continue
        lines.extend([str(said)] if isinstance(said, str) else [str(line) for line in said if line])
    return lines


def cancelled_rows(
    *, class_booking_ids: list[int] = (), appointment_ids: list[int] = ()
) -> tuple[list[Booking], list[Appointment]]:
    """The cancelled bookings and appointments among these ids (a cancel in time or late, a
    waitlist place left or expired, a class cancelled by the studio), with what a cancel
    outcome reads (the class, its template and location; the appointment's service): two
    queries at most, whatever the number of ids (memberships' cancel settlement and sweep)."""
    bookings = (
        list(
            Booking.objects.filter(
                pk__in=list(class_booking_ids),
                status__in=(BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED),
            )
            .select_related("session__template", "session__location", "client")
            .order_by("pk")
        )
        if class_booking_ids
        else []
    )
    appointments = (
        list(
            Appointment.objects.filter(
                pk__in=list(appointment_ids),
                status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED),
            )
            .select_related("service", "calendar__location", "client")
            .order_by("pk")
        )
        if appointment_ids
        else []
    )
    return bookings, appointments


def cancelled_drop_ins(*, studio: Studio, since: datetime) -> tuple[list[Booking], list[Appointment]]:
    """The bookings and appointments paid as drop-ins (`payment_kind == "drop_in"`) cancelled
    since `since`, with what a cancel outcome reads: two queries (memberships' sweep of the
    money credit a lost event never granted)."""
    bookings = list(
        Booking.objects.filter(
            studio=studio,
            payment_kind=PaymentKind.DROP_IN,
            status__in=(BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED),
            cancelled_at__gte=since,
        )
        .select_related("session__template", "session__location", "client")
        .order_by("pk")
    )
    appointments = list(
        Appointment.objects.filter(
            studio=studio,
            payment_kind=PaymentKind.DROP_IN,
            status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED),
            cancelled_at__gte=since,
        )
        .select_related("service", "calendar__location", "client")
        .order_by("pk")
    )
    return bookings, appointments
