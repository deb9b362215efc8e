"""Bookings: capacity, waitlist order and promotion, late cancels, attendance and no-shows, family."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from django_scopes import scope, scopes_disabled

from scheduling import services, signals, tasks
from scheduling.models import AppointmentStatus, BookedBy, Booking, BookingStatus, CancelReason
from scheduling.services import BookingError
from scheduling.tests.factories import (
    AppointmentFactory,
    BookingFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
)
from studio.services import SYSTEM
from tests.factories import ClientFactory, FamilyLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(studio, other_studio):
    return ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Pilates mat", capacity=2),
        starts_in=dt.timedelta(days=2),
    )


def book(studio, session, client, *, by=BookedBy.STAFF, booker=None, now=None):
    with scope(studio=studio):
        return services.booking_create(
            studio=studio, actor=SYSTEM, session=session, client=client, booked_by=by, booker=booker, now=now
        )


def cancel(studio, booking, *, by_staff=False, now=None, waive=False):
    with scope(studio=studio):
        return services.booking_cancel(
            studio=studio, actor=SYSTEM, booking=booking, by_staff=by_staff, now=now, waive_late_cancel=waive
        )


def status_of(booking):
    with scopes_disabled():
        return Booking.objects.get(pk=booking.pk).status


def test_capacity_then_waitlist_in_order(studio, session):
    clients = [ClientFactory(studio=studio) for _ in range(5)]
    results = [book(studio, session, c) for c in clients]
    assert [b.status for b in results] == ["booked", "booked", "waitlisted", "waitlisted", "waitlisted"]
    assert results[2].waitlisted_at <= results[3].waitlisted_at <= results[4].waitlisted_at


def test_same_client_cannot_book_twice(studio, session, a_client):
    book(studio, session, a_client)
    with pytest.raises(BookingError):
        book(studio, session, a_client)


def test_cancellation_promotes_the_first_in_line_and_emails_them(
    studio, session, django_capture_on_commit_callbacks
):
    first, second = ClientFactory(studio=studio), ClientFactory(studio=studio)
    waiting = [
        ClientFactory(studio=studio, language=lang, email=f"w{i}@example.test")
        for i, lang in enumerate(["fr", "en", "fr"])
    ]
    a = book(studio, session, first)
    book(studio, session, second)
    queue = [book(studio, session, c) for c in waiting]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, a)
    assert [status_of(b) for b in queue] == ["booked", "waitlisted", "waitlisted"]
    promoted = [m for m in mail.outbox if m.to == ["w0@example.test"]]
    assert len(promoted) == 1
    with translation.override("fr"):
        when = formats.date_format(session.local_start, "DATETIME_FORMAT")
    assert when in promoted[0].subject  # French dates for a French-speaking client

    # The next cancellation serves the next in line.
    with scopes_disabled():
        second_booking = Booking.objects.get(session=session, client=second)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, second_booking)
    assert [status_of(b) for b in queue] == ["booked", "booked", "waitlisted"]
    en_mail = [m for m in mail.outbox if m.to == ["w1@example.test"]][-1]
    with translation.override("en"):
        assert formats.date_format(session.local_start, "DATETIME_FORMAT") in en_mail.subject


def test_leaving_the_waitlist_promotes_nobody(studio, session):
    [book(studio, session, ClientFactory(studio=studio)) for _ in range(2)]
    w1 = book(studio, session, ClientFactory(studio=studio))
    w2 = book(studio, session, ClientFactory(studio=studio))
    cancel(studio, w1)
    assert status_of(w2) == "waitlisted"


def test_no_promotion_into_a_cancelled_session(studio, session):
    a = book(studio, session, ClientFactory(studio=studio))
    book(studio, session, ClientFactory(studio=studio))
    waiting = book(studio, session, ClientFactory(studio=studio))
    with scope(studio=studio):
        services.session_cancel(studio=studio, actor=SYSTEM, session=session)
    assert status_of(waiting) == "cancelled"
    with pytest.raises(BookingError):
        cancel(studio, a, by_staff=True)
    with scope(studio=studio):
        assert services.waitlist_promote(session=session, now=timezone.now()) == []
    with pytest.raises(BookingError):
        book(studio, session, ClientFactory(studio=studio))


def test_no_promotion_into_a_session_that_has_started(studio):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=1), starts_in=dt.timedelta(minutes=-10)
    )
    a = BookingFactory(session=session)
    waiting = BookingFactory(session=session, status=BookingStatus.WAITLISTED, waitlisted_at=timezone.now())
    cancel(studio, a, by_staff=True)
    assert status_of(waiting) == "waitlisted"


def test_late_cancel_inside_the_studios_window(studio, session, a_client, django_capture_on_commit_callbacks):
    received = []
    signals.booking_late_cancelled.connect(
        lambda sender, booking_id, **kw: received.append(booking_id), weak=False, dispatch_uid="test-late"
    )
    try:
        studio.late_cancel_window_minutes = 120
        studio.save()
        early = book(studio, session, a_client)
        cancelled = cancel(studio, early, now=session.starts_at - dt.timedelta(hours=3))
        assert cancelled.status == BookingStatus.CANCELLED
        late = book(studio, session, a_client, now=session.starts_at - dt.timedelta(hours=3))
        with pytest.raises(BookingError):
            cancel(
                studio, late, now=session.starts_at + dt.timedelta(minutes=1)
            )  # clients: not after the start
        with django_capture_on_commit_callbacks(execute=True):
            result = cancel(studio, late, now=session.starts_at - dt.timedelta(minutes=30))
        assert result.status == BookingStatus.LATE_CANCELLED
        assert result.cancel_reason == CancelReason.CLIENT
        assert received == [late.pk]
    finally:
        signals.booking_late_cancelled.disconnect(dispatch_uid="test-late")


def test_staff_can_waive_a_late_cancel(studio, session, a_client):
    booking = book(studio, session, a_client)
    result = cancel(
        studio, booking, by_staff=True, waive=True, now=session.starts_at - dt.timedelta(minutes=5)
    )
    assert result.status == BookingStatus.CANCELLED


def test_clients_book_for_dependants_only(studio, session):
    link = FamilyLinkFactory(
        guardian=ClientFactory(studio=studio), dependant=ClientFactory(studio=studio, email="")
    )
    stranger = ClientFactory(studio=studio)
    booking = book(studio, session, link.dependant, by=BookedBy.CLIENT, booker=link.guardian)
    assert booking.status == BookingStatus.BOOKED
    with pytest.raises(BookingError):
        book(studio, session, stranger, by=BookedBy.CLIENT, booker=link.guardian)


def test_a_dependant_without_email_is_written_to_through_the_guardian(
    studio, session, django_capture_on_commit_callbacks
):
    guardian = ClientFactory(studio=studio, email="parent@example.test", language="fr")
    child = ClientFactory(studio=studio, email="", first_name="Ben")
    FamilyLinkFactory(guardian=guardian, dependant=child)
    with django_capture_on_commit_callbacks(execute=True):
        book(studio, session, child, by=BookedBy.CLIENT, booker=guardian)
    assert [m.to for m in mail.outbox] == [["parent@example.test"]]
    assert "Ben" in mail.outbox[0].body


def test_clients_cannot_book_after_the_start_but_staff_can_until_the_end(studio, a_client):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(minutes=-5)
    )
    with pytest.raises(BookingError):
        book(studio, session, a_client, by=BookedBy.CLIENT, booker=a_client)
    assert book(studio, session, a_client).status == BookingStatus.BOOKED


def test_check_in_and_attendance_corrections(studio, session, a_client):
    booking = book(studio, session, a_client)
    during = session.starts_at + dt.timedelta(minutes=5)
    with scope(studio=studio):
        checked = services.booking_check_in(studio=studio, actor=SYSTEM, booking=booking, now=during)
        assert checked.status == BookingStatus.CHECKED_IN and checked.checked_in_via == "staff"
        back = services.booking_set_attendance(
            studio=studio, actor=SYSTEM, booking=booking, status="booked", now=during
        )
        assert back.status == BookingStatus.BOOKED and back.checked_in_at is None
        absent = services.booking_set_attendance(
            studio=studio, actor=SYSTEM, booking=booking, status="no_show", now=during
        )
        assert absent.status == BookingStatus.NO_SHOW
        again = services.booking_set_attendance(
            studio=studio, actor=SYSTEM, booking=booking, status="checked_in", now=during
        )
        assert again.status == BookingStatus.CHECKED_IN


def test_kiosk_check_in_only_while_open(studio, a_client):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(hours=3)
    )
    booking = BookingFactory(session=session, client=a_client)
    with scope(studio=studio):
        with pytest.raises(BookingError):
            services.booking_check_in(studio=studio, actor=SYSTEM, booking=booking, via="kiosk")
        ok = services.booking_check_in(
            studio=studio,
            actor=SYSTEM,
            booking=booking,
            via="kiosk",
            now=session.starts_at - dt.timedelta(minutes=20),
        )
    assert ok.status == BookingStatus.CHECKED_IN


def test_no_show_task_marks_ended_sessions_once(studio, other_studio, django_capture_on_commit_callbacks):
    ended = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(hours=-2)
    )
    running = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(minutes=-30)
    )
    missed = BookingFactory(session=ended)
    came = BookingFactory(session=ended, status=BookingStatus.CHECKED_IN)
    waiting = BookingFactory(session=ended, status=BookingStatus.WAITLISTED, waitlisted_at=timezone.now())
    current = BookingFactory(session=running)
    other = BookingFactory(
        session=ClassSessionFactory(
            template=ClassTemplateFactory(studio=other_studio), starts_in=dt.timedelta(hours=-3)
        )
    )
    appointment = AppointmentFactory(
        calendar__location__studio=studio, starts_at=timezone.now() - dt.timedelta(hours=3)
    )
    received = []
    signals.booking_no_show.connect(
        lambda sender, booking_id, **kw: received.append(booking_id), weak=False, dispatch_uid="test-no-show"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.mark_no_shows(studio.pk) == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.mark_no_shows(studio.pk) == 0
    finally:
        signals.booking_no_show.disconnect(dispatch_uid="test-no-show")
    assert received == [missed.pk]
    assert [status_of(b) for b in (missed, came, waiting, current, other)] == [
        "no_show",
        "checked_in",
        "cancelled",
        "booked",
        "booked",
    ]
    with scopes_disabled():
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert tasks.mark_no_shows_all_studios() == 2
    assert status_of(other) == "no_show"


def test_more_capacity_lets_the_waitlist_in(studio, session):
    [book(studio, session, ClientFactory(studio=studio)) for _ in range(2)]
    waiting = [book(studio, session, ClientFactory(studio=studio)) for _ in range(2)]
    with scope(studio=studio):
        session.capacity = 3
        services.session_update(studio=studio, actor=SYSTEM, session=session)
    assert [status_of(b) for b in waiting] == ["booked", "waitlisted"]
