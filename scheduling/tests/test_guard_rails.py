"""Issue #10's schedule guard rails and hostile input, and issue #11's events and booking checks."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from scheduling import services, signals, tasks
from scheduling.models import (
    Availability,
    BookedBy,
    Booking,
    BookingStatus,
    ClassSeries,
    ClassSession,
    ClassTemplate,
)
from scheduling.services import BookingError, booking_check_registered
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    BookingFactory,
    ClassSeriesFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_date_label, local_datetime, local_today
from scheduling.views.common import text_param
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory, RoomFactory, StaffFactory

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def status_of(booking):
    with scopes_disabled():
        return Booking.objects.get(pk=booking.pk).status


def sessions_count(studio):
    with scopes_disabled():
        return ClassSession.objects.filter(studio=studio).count()


@pytest.fixture
def teacher(studio):
    return StaffFactory(studio=studio, kind=RoleKind.TEACHER, display_name="Ana Souza")


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Grande salle", capacity=10)


def single_class_data(template, teacher, location, *, day, at="10:00", room=None, **extra):
    data = {
        "template": template.pk,
        "date": day.isoformat(),
        "start_time": at,
        "teacher": teacher.pk,
        "location": location.pk,
    }
    if room is not None:
        data["room"] = room.pk
    data.update(extra)
    return data


# --- hostile input never reaches a 500 ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?week=9999-12-31",
        "?week=0001-01-01",
        "?week=2026-13-45",
        "?location=%C2%B2",
        "?teacher=%00",
        "?class=9" * 3 + "9" * 30,
        "?location=-1&teacher=1e9",
    ],
)
def test_public_schedule_survives_hostile_parameters(client, studio, other_studio, query):
    # NUL is refused as a bad request before any view (studio.middleware); the rest falls back.
    assert client.get(url(studio, "public-schedule") + query).status_code == (400 if "%00" in query else 200)


@pytest.mark.parametrize(
    "query",
    [
        "?date=9999-12-31",
        "?date=0001-01-01",
        "?view=day&date=9999-12-31",
        "?view=day&date=0001-01-01",
        "?location=%C2%B2&room=%C2%B3&teacher=%00",
        "?date=2100-12-31",
        "?date=2000-01-01&view=day",
    ],
)
def test_staff_calendar_survives_hostile_parameters(owner_client, studio, query):
    expected = 400 if "%00" in query else 200
    assert owner_client.get(url(studio, "schedule-calendar") + query).status_code == expected


def test_hostile_search_and_ids_on_the_roster_and_appointment_forms(
    owner_client, login, studio, location, a_client
):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=location)
    search = owner_client.get(url(studio, "class-session-client-search", pk=session.pk) + "?q=abc%00def")
    assert search.status_code < 500
    assert text_param("abc\x00def" + "x" * 500) == "abcdef" + "x" * 94  # and the view cleans what it reads
    assert (
        owner_client.get(
            url(studio, "appointment-book") + "?service=%C2%B2&calendar=%C2%B2&day=9999-12-31"
        ).status_code
        == 200
    )
    assert (
        owner_client.post(
            url(studio, "appointment-book"),
            {"service": "²", "calendar": "²", "client": "²", "starts_at": "x"},
        ).status_code
        == 404
    )
    assert (
        owner_client.get(
            url(studio, "public-appointments") + "?service=%C2%B2&calendar=%C2%B2&day=9999-12-31"
        ).status_code
        == 200
    )
    calendar = AppointmentCalendarFactory(location=location)
    service = AppointmentServiceFactory(studio=studio)
    offer(calendar, service)
    for hostile in ["0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00", "2026-01-01T10:00\x00", "²"]:
        response = owner_client.post(
            url(studio, "appointment-book"),
            {"service": service.pk, "calendar": calendar.pk, "client": a_client.pk, "starts_at": hostile},
        )
        assert response.status_code in (302, 400), hostile  # NUL: refused by the middleware


def test_ending_a_series_on_9999_12_31_is_refused_with_a_message(owner_client, studio):
    series = ClassSeriesFactory(template=ClassTemplateFactory(studio=studio))
    response = owner_client.post(
        url(studio, "class-series-end", pk=series.pk), {"last_date": "9999-12-31"}, follow=True
    )
    assert response.status_code == 200
    assert "Enter a date between" in response.content.decode()
    with scopes_disabled():
        assert ClassSeries.objects.get(pk=series.pk).ends_on is None


def test_editing_a_session_to_the_end_of_time_is_refused(owner_client, studio, location):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=location)
    before = (session.starts_at, session.ends_at)
    response = owner_client.post(
        url(studio, "class-session-edit", pk=session.pk),
        {
            "date": "9999-12-31",
            "start_time": "23:59",
            "duration_minutes": 1440,
            "teacher": session.teacher_id,
            "location": location.pk,
            "capacity": session.capacity,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a date between" in page and "720" in page  # both limits are stated
    with scopes_disabled():
        session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == before


def test_capacity_and_duration_have_stated_maxima(owner_client, studio):
    page = owner_client.get(url(studio, "class-template-create")).content.decode()
    assert "From 1 to 500 people." in page and "From 5 to 720 minutes." in page
    response = owner_client.post(
        url(studio, "class-template-create"),
        {"name": "Huge", "default_duration_minutes": 60, "capacity": 9_999_999_999, "colour": "#aa3355"},
    )
    assert response.status_code == 200 and "less than or equal to 500" in response.content.decode()
    with scopes_disabled():
        assert not ClassTemplate.objects.filter(studio=studio, name="Huge").exists()


# --- guard rails on the schedule ------------------------------------------------------------


def test_a_single_class_cannot_take_a_room_or_a_teacher_already_taken(
    owner_client, studio, location, room, teacher
):
    tomorrow = local_today(location.time_zone) + dt.timedelta(days=1)
    first = ClassTemplateFactory(studio=studio, name="Vinyasa")
    second = ClassTemplateFactory(studio=studio, name="Hatha")
    assert (
        owner_client.post(
            url(studio, "class-session-create"),
            single_class_data(first, teacher, location, day=tomorrow, room=room),
        ).status_code
        == 302
    )
    other_teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    same_room = owner_client.post(
        url(studio, "class-session-create"),
        single_class_data(second, other_teacher, location, day=tomorrow, at="10:30", room=room),
    )
    assert same_room.status_code == 200
    assert "Grande salle is taken on" in same_room.content.decode()
    assert "Choose another room or another time." in same_room.content.decode()
    same_teacher = owner_client.post(
        url(studio, "class-session-create"),
        single_class_data(
            second, teacher, location, day=tomorrow, at="10:30", room=RoomFactory(location=location)
        ),
    )
    assert "Ana Souza already teaches “Vinyasa”" in same_teacher.content.decode()
    assert sessions_count(studio) == 1
    # Right after the first one ends is fine.
    assert (
        owner_client.post(
            url(studio, "class-session-create"),
            single_class_data(second, teacher, location, day=tomorrow, at="11:00", room=room),
        ).status_code
        == 302
    )


def test_a_series_and_an_edit_cannot_clash_either(owner_client, studio, location, room, teacher):
    today = local_today(location.time_zone)
    taken = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Existing"),
        location=location,
        room=room,
        teacher=StaffFactory(studio=studio, kind=RoleKind.TEACHER),
        starts_at=local_datetime(today + dt.timedelta(days=2), dt.time(18), "America/Toronto"),
        ends_at=local_datetime(today + dt.timedelta(days=2), dt.time(19), "America/Toronto"),
    )
    template = ClassTemplateFactory(studio=studio, name="New one")
    response = owner_client.post(
        url(studio, "class-series-create"),
        {
            "template": template.pk,
            "weekdays": [(today + dt.timedelta(days=2)).weekday()],
            "start_time": "18:30",
            "teacher": teacher.pk,
            "location": location.pk,
            "room": room.pk,
            "starts_on": today.isoformat(),
            "weeks_ahead": 2,
        },
    )
    assert response.status_code == 200 and "is taken on" in response.content.decode()
    with scopes_disabled():
        assert not ClassSeries.objects.filter(template=template).exists()
    # Editing another session into that slot is refused too, and nothing changes.
    mover = ClassSessionFactory(
        template=template, location=location, teacher=teacher, starts_in=dt.timedelta(days=5)
    )
    local = taken.local_start
    response = owner_client.post(
        url(studio, "class-session-edit", pk=mover.pk),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "duration_minutes": 60,
            "teacher": teacher.pk,
            "location": location.pk,
            "room": room.pk,
            "capacity": 5,
        },
    )
    assert response.status_code == 200 and "is taken on" in response.content.decode()
    with scopes_disabled():
        mover.refresh_from_db()
    assert mover.room_id is None


def test_a_teacher_with_an_appointment_cannot_teach_a_class_then(studio, location, teacher):
    calendar = AppointmentCalendarFactory(location=location, teacher=teacher)
    appointment = AppointmentFactory(calendar=calendar, starts_at=timezone.now() + dt.timedelta(days=3))
    session = ClassSessionFactory.build(
        template=ClassTemplateFactory(studio=studio),
        location=location,
        teacher=teacher,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        studio=studio,
    )
    with scope(studio=studio), pytest.raises(ValidationError) as refused:
        services.session_create(studio=studio, actor=SYSTEM, session=session)
    assert "has an appointment" in str(refused.value)


def test_capacity_above_the_room_asks_for_confirmation(owner_client, studio, location, room, teacher):
    tomorrow = local_today(location.time_zone) + dt.timedelta(days=1)
    template = ClassTemplateFactory(studio=studio, capacity=24)
    data = single_class_data(template, teacher, location, day=tomorrow, room=room)
    warned = owner_client.post(url(studio, "class-session-create"), data)
    page = warned.content.decode()
    assert warned.status_code == 200 and "Grande salle holds 10 people and this class takes 24." in page
    assert 'type="checkbox" name="confirm_over_room"' in page
    assert sessions_count(studio) == 0
    confirmed = owner_client.post(url(studio, "class-session-create"), {**data, "confirm_over_room": "on"})
    assert confirmed.status_code == 302
    with scopes_disabled():
        assert ClassSession.objects.get(studio=studio).capacity == 24


def test_lowering_capacity_below_the_bookings_is_refused(owner_client, studio, location):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=10), location=location
    )
    for _ in range(3):
        BookingFactory(session=session)
    local = session.local_start
    response = owner_client.post(
        url(studio, "class-session-edit", pk=session.pk),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "duration_minutes": 60,
            "teacher": session.teacher_id,
            "location": location.pk,
            "capacity": 2,
        },
    )
    assert response.status_code == 200
    assert (
        "3 clients are booked in this class: the capacity cannot be lower than 3."
        in response.content.decode()
    )
    with scopes_disabled():
        session.refresh_from_db()
    assert session.capacity == 10


def test_a_series_entirely_in_the_past_and_a_class_in_the_past_are_refused(
    owner_client, studio, location, teacher
):
    template = ClassTemplateFactory(studio=studio)
    response = owner_client.post(
        url(studio, "class-series-create"),
        {
            "template": template.pk,
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "start_time": "09:00",
            "teacher": teacher.pk,
            "location": location.pk,
            "starts_on": "2024-01-01",
            "ends_on": "2024-02-01",
            "weeks_ahead": 2,
        },
    )
    assert response.status_code == 200
    assert "before today: nothing would be scheduled" in response.content.decode()
    with scopes_disabled():
        assert not ClassSeries.objects.filter(studio=studio).exists()
    yesterday = local_today(location.time_zone) - dt.timedelta(days=1)
    past = owner_client.post(
        url(studio, "class-session-create"), single_class_data(template, teacher, location, day=yesterday)
    )
    assert past.status_code == 200 and "would start in the past" in past.content.decode()
    assert sessions_count(studio) == 0


def test_ending_a_series_defaults_to_a_date_it_runs_and_errors_speak_the_locale(owner_client, studio):
    later = local_today("America/Toronto") + dt.timedelta(days=30)
    series = ClassSeriesFactory(template=ClassTemplateFactory(studio=studio), starts_on=later)
    page = owner_client.get(url(studio, "class-series-detail", pk=series.pk)).content.decode()
    assert f'value="{later.isoformat()}"' in page  # the default end is not before the first date
    with translation.override("fr"), scope(studio=studio), pytest.raises(ValidationError) as refused:
        services.series_end(
            studio=studio, actor=SYSTEM, series=series, last_date=later - dt.timedelta(days=3)
        )
    with translation.override("fr"):
        label = local_date_label(later)
    message = " ".join(refused.value.messages)
    assert label in message and later.isoformat() not in message
    response = owner_client.post(
        url(studio, "class-series-end", pk=series.pk),
        {"last_date": (later - dt.timedelta(days=3)).isoformat()},
        follow=True,
    )
    sentence = re.search(r"The series starts on ([^;]+);", response.content.decode())
    assert sentence and sentence.group(1) == local_date_label(later)


def test_a_single_class_takes_the_template_duration_when_none_is_given(
    owner_client, studio, location, teacher
):
    template = ClassTemplateFactory(studio=studio, default_duration_minutes=75)
    tomorrow = local_today(location.time_zone) + dt.timedelta(days=1)
    response = owner_client.post(
        url(studio, "class-session-create"), single_class_data(template, teacher, location, day=tomorrow)
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert ClassSession.objects.get(studio=studio).duration_minutes == 75


# --- attendance -----------------------------------------------------------------------------


def test_attendance_only_around_the_class(studio, a_client):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(days=2)
    )
    booking = BookingFactory(session=session, client=a_client)
    with scope(studio=studio):
        with pytest.raises(BookingError, match="Check-in opens one hour before"):
            services.booking_check_in(
                studio=studio, actor=SYSTEM, booking=booking, now=session.starts_at - dt.timedelta(hours=2)
            )
        with pytest.raises(BookingError, match="marked absent once the class has started"):
            services.booking_set_attendance(
                studio=studio,
                actor=SYSTEM,
                booking=booking,
                status="no_show",
                now=session.starts_at - dt.timedelta(minutes=30),
            )
        ok = services.booking_check_in(
            studio=studio, actor=SYSTEM, booking=booking, now=session.starts_at - dt.timedelta(minutes=59)
        )
    assert ok.status == BookingStatus.CHECKED_IN


def test_a_no_show_can_be_corrected_and_the_correction_is_an_event(
    studio, a_client, django_capture_on_commit_callbacks
):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(hours=-2)
    )
    booking = BookingFactory(session=session, client=a_client, status=BookingStatus.NO_SHOW)
    corrections = []
    signals.attendance_corrected.connect(
        lambda sender, **kw: corrections.append(kw), weak=False, dispatch_uid="test-corrected"
    )
    try:
        with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
            present = services.booking_set_attendance(
                studio=studio, actor=SYSTEM, booking=booking, status="checked_in"
            )
        assert present.status == BookingStatus.CHECKED_IN
        with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
            services.booking_set_attendance(studio=studio, actor=SYSTEM, booking=booking, status="no_show")
        with scope(studio=studio), pytest.raises(BookingError, match="has ended"):
            services.booking_set_attendance(studio=studio, actor=SYSTEM, booking=booking, status="booked")
    finally:
        signals.attendance_corrected.disconnect(dispatch_uid="test-corrected")
    assert [(c["old"], c["new"]) for c in corrections] == [
        ("no_show", "checked_in"),
        ("checked_in", "no_show"),
    ]
    assert corrections[0]["studio_id"] == studio.pk and corrections[0]["booking_id"] == booking.pk
    assert "signal" in corrections[0]  # ids only: no model instance travels with the event
    assert not any(hasattr(v, "_meta") for c in corrections for v in c.values())


def test_roster_offers_check_in_only_from_an_hour_before(owner_client, studio, a_client):
    later = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(days=2))
    soon = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(minutes=30)
    )
    BookingFactory(session=later, client=a_client)
    BookingFactory(session=soon, client=a_client)
    far = owner_client.get(url(studio, "class-session-detail", pk=later.pk)).content.decode()
    assert "Check-in opens at" in far and 'value="checked_in"' not in far
    near = owner_client.get(url(studio, "class-session-detail", pk=soon.pk)).content.decode()
    assert 'value="checked_in"' in near and 'value="no_show"' not in near  # absent only once it started


def test_a_class_that_has_started_offers_no_waitlist(owner_client, studio, a_client, staff_factory, login):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=1), starts_in=dt.timedelta(minutes=-10)
    )
    BookingFactory(session=session)
    waiting = BookingFactory(session=session, status=BookingStatus.WAITLISTED, waitlisted_at=timezone.now())
    page = owner_client.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()
    assert "the waitlist is closed" in page
    assert f"bookings/{waiting.pk}/cancel/" not in page
    with scope(studio=studio), pytest.raises(BookingError, match="waitlist is closed"):
        services.booking_create(
            studio=studio, actor=SYSTEM, session=session, client=a_client, booked_by=BookedBy.STAFF
        )
    teacher = staff_factory(RoleKind.TEACHER)
    results = (
        login(teacher.user)
        .get(url(studio, "class-session-client-search", pk=session.pk) + "?q=tremblay")
        .content.decode()
    )
    assert "Camille Tremblay" in results and ">Waitlist<" not in results and "Overbook" not in results


def test_overlapping_availability_is_refused(owner_client, studio, location):
    calendar = AppointmentCalendarFactory(location=location)
    AvailabilityFactory(calendar=calendar, weekday=1, start_time=dt.time(9), end_time=dt.time(12))
    response = owner_client.post(
        url(studio, "appointment-availability-add", pk=calendar.pk),
        {"weekday": 1, "start_time": "11:00", "end_time": "14:00"},
        follow=True,
    )
    assert "This overlaps the opening of Tuesday" in response.content.decode()
    owner_client.post(
        url(studio, "appointment-availability-add", pk=calendar.pk),
        {"weekday": 1, "start_time": "12:00", "end_time": "14:00"},
    )  # touching is fine
    with scopes_disabled():
        assert Availability.objects.filter(calendar=calendar).count() == 2


# --- overbooking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, allowed", [(RoleKind.FRONT_DESK, True), (RoleKind.MANAGER, True), (RoleKind.TEACHER, False)]
)
def test_staff_with_the_permission_overbook_a_full_class_after_confirming(
    login, studio, staff_factory, a_client, kind, allowed
):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=1), starts_in=dt.timedelta(days=1)
    )
    BookingFactory(session=session)
    web = login(staff_factory(kind).user)
    results = web.get(
        url(studio, "class-session-client-search", pk=session.pk) + "?q=tremblay"
    ).content.decode()
    assert ("Overbook" in results) == allowed
    ask = web.post(url(studio, "class-session-book", pk=session.pk), {"client": a_client.pk, "overbook": "1"})
    if not allowed:
        assert ask.status_code == 403
        return
    assert ask.status_code == 200 and "Overbook this class?" in ask.content.decode()
    with scopes_disabled():
        assert not Booking.objects.filter(client=a_client).exists()
    done = web.post(
        url(studio, "class-session-book", pk=session.pk),
        {"client": a_client.pk, "overbook": "1", "confirmed": "1"},
    )
    assert done.status_code == 302
    with scopes_disabled():
        assert Booking.objects.get(client=a_client).status == BookingStatus.BOOKED
        assert Booking.objects.filter(session=session, status=BookingStatus.BOOKED).count() == 2


def test_clients_cannot_overbook(studio, a_client):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, capacity=1))
    with scope(studio=studio), pytest.raises(BookingError):
        services.booking_create(
            studio=studio,
            actor=SYSTEM,
            session=session,
            client=a_client,
            booked_by=BookedBy.CLIENT,
            booker=a_client,
            overbook=True,
        )


# --- refusals, filters and confirmations ----------------------------------------------------


def test_public_teacher_filter_lists_only_those_who_teach(client, studio, staff_factory, location):
    teaching_clerk = staff_factory(RoleKind.FRONT_DESK, display_name="Desk Who Teaches")
    staff_factory(RoleKind.FRONT_DESK, display_name="Desk Only")
    staff_factory(RoleKind.TEACHER, display_name="Tina Teacher")
    ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), teacher=teaching_clerk, location=location
    )
    page = client.get(url(studio, "public-schedule")).content.decode()
    assert "Desk Who Teaches" in page and "Tina Teacher" in page
    assert "Desk Only" not in page


def test_staff_cancel_asks_first(owner_client, studio, a_client):
    booking = BookingFactory(
        session=ClassSessionFactory(template=ClassTemplateFactory(studio=studio)), client=a_client
    )
    ask = owner_client.post(url(studio, "booking-cancel", pk=booking.pk), {"waive": "1"})
    assert ask.status_code == 200 and "Cancel this booking?" in ask.content.decode()
    assert 'name="waive" value="1"' in ask.content.decode()  # carried to the confirmation
    assert status_of(booking) == BookingStatus.BOOKED
    owner_client.post(url(studio, "booking-cancel", pk=booking.pk), {"waive": "1", "confirmed": "1"})
    assert status_of(booking) == BookingStatus.CANCELLED


def test_client_appointment_cancel_asks_first(login, studio, a_client, location):
    from scheduling.tests.test_pages import client_login

    appointment = AppointmentFactory(calendar=AppointmentCalendarFactory(location=location), client=a_client)
    web = client_login(login, a_client)
    ask = web.post(url(studio, "account-appointment-cancel", pk=appointment.pk))
    assert ask.status_code == 200 and "Cancel this appointment?" in ask.content.decode()
    assert (
        web.post(url(studio, "account-appointment-cancel", pk=appointment.pk), {"confirmed": "1"}).status_code
        == 302
    )
    with scopes_disabled():
        appointment.refresh_from_db()
    assert appointment.status == "cancelled"


# --- events (issue #11) ---------------------------------------------------------------------


def _raise(**kwargs):
    raise RuntimeError("a listener's bug")


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_never_breaks_a_committed_request(login, studio, a_client):
    from scheduling.tests.test_pages import client_login

    booking = BookingFactory(
        session=ClassSessionFactory(
            template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(days=3)
        ),
        client=a_client,
    )
    heard = []
    signals.booking_cancelled.connect(lambda sender, **kw: _raise(**kw), weak=False, dispatch_uid="test-boom")
    signals.booking_cancelled.connect(
        lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="test-ok"
    )
    try:
        web = client_login(login, a_client)
        # A transactional test: on_commit callbacks run for real, inside the request.
        response = web.post(url(studio, "account-booking-cancel", pk=booking.pk), {"confirmed": "1"})
    finally:
        signals.booking_cancelled.disconnect(dispatch_uid="test-boom")
        signals.booking_cancelled.disconnect(dispatch_uid="test-ok")
    assert response.status_code == 302
    assert status_of(booking) == BookingStatus.CANCELLED
    assert [h["booking_id"] for h in heard] == [booking.pk]  # the listener after the failing one still heard


def test_a_failing_listener_in_the_no_show_sweep_drops_no_other_event(
    studio, django_capture_on_commit_callbacks
):
    ended = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(hours=-3)
    )
    missed = [BookingFactory(session=ended) for _ in range(3)]
    heard, taught = [], []
    calls = {"n": 0}

    def flaky(sender, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the first penalty failed")

    signals.booking_no_show.connect(flaky, weak=False, dispatch_uid="test-flaky")
    signals.booking_no_show.connect(
        lambda sender, **kw: heard.append(kw["booking_id"]), weak=False, dispatch_uid="test-heard"
    )
    signals.session_taught.connect(
        lambda sender, **kw: taught.append(kw), weak=False, dispatch_uid="test-taught"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.mark_no_shows(studio.pk) == 3
        with django_capture_on_commit_callbacks(execute=True):
            tasks.mark_no_shows(studio.pk)  # nothing new: taught is reported once
    finally:
        for uid in ("test-flaky", "test-heard", "test-taught"):
            signals.booking_no_show.disconnect(dispatch_uid=uid)
            signals.session_taught.disconnect(dispatch_uid=uid)
    assert calls["n"] == 3  # the failing listener was called for every booking
    assert sorted(heard) == sorted(b.pk for b in missed)
    assert [(t["session_id"], t["teacher_id"], t["studio_id"]) for t in taught] == [
        (ended.pk, ended.teacher_id, studio.pk)
    ]


def test_booking_cancelled_says_late_and_by_whom(studio, a_client, django_capture_on_commit_callbacks):
    studio.late_cancel_window_minutes = 120
    studio.save()
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(minutes=60)
    )
    early = BookingFactory(
        session=ClassSessionFactory(
            template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(days=2)
        ),
        client=a_client,
    )
    late = BookingFactory(session=session, client=a_client)
    heard = []
    signals.booking_cancelled.connect(
        lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="test-c"
    )
    try:
        with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(studio=studio, actor=SYSTEM, booking=early, by_staff=True)
            services.booking_cancel(studio=studio, actor=SYSTEM, booking=late, by_staff=False)
    finally:
        signals.booking_cancelled.disconnect(dispatch_uid="test-c")
    assert [(h["booking_id"], h["late"], h["by"]) for h in heard] == [
        (early.pk, False, "staff"),
        (late.pk, True, "client"),
    ]


# --- booking checks (issue #11) -------------------------------------------------------------


def test_a_registered_check_refuses_with_its_message_and_one_that_allows_lets_the_booking_through(
    studio, a_client
):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, capacity=1))
    seen = []

    def allows(attempt):
        seen.append((attempt.client.pk, attempt.session.pk, attempt.waitlist))
        return None

    def refuses(attempt):
        return "Sign the studio's waiver before booking."

    with booking_check_registered("test.allows", allows):
        with (
            booking_check_registered("test.refuses", refuses),
            scope(studio=studio),
            pytest.raises(BookingError, match="Sign the studio's waiver"),
        ):
            services.booking_create(
                studio=studio, actor=SYSTEM, session=session, client=a_client, booked_by=BookedBy.STAFF
            )
        with scopes_disabled():
            assert not Booking.objects.filter(client=a_client).exists()
        with scope(studio=studio):
            booking = services.booking_create(
                studio=studio, actor=SYSTEM, session=session, client=a_client, booked_by=BookedBy.STAFF
            )
    assert booking.status == BookingStatus.BOOKED
    assert seen[-1] == (a_client.pk, session.pk, False)
    with scope(studio=studio):  # unregistered after the block: nobody refuses any more
        other = ClientFactory(studio=studio)
        assert (
            services.booking_create(
                studio=studio, actor=SYSTEM, session=session, client=other, booked_by=BookedBy.STAFF
            ).status
            == BookingStatus.WAITLISTED
        )


def test_services_name_tasks_instead_of_importing_them():
    """Tasks import services; services enqueue by name. No import (even inside a function) the other way."""
    root = pathlib.Path(services.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                assert not any(n in ("scheduling.tasks",) or n == "scheduling.tasks" for n in names), path
                assert not (node.module == "scheduling" and any(a.name == "tasks" for a in node.names)), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("scheduling.tasks") for a in node.names), path


def test_a_series_or_template_edit_cannot_leave_a_class_below_its_bookings(owner_client, studio, location):
    template = ClassTemplateFactory(studio=studio, capacity=10)
    series = ClassSeriesFactory(template=template, location=location, room=None, weekdays=list(range(7)))
    with scope(studio=studio):
        services.series_extend(series=series)
        first = ClassSession.objects.filter(series=series, starts_at__gt=timezone.now()).order_by(
            "starts_at"
        )[0]
    for _ in range(4):
        BookingFactory(session=first)
    response = owner_client.post(
        url(studio, "class-template-edit", pk=template.pk),
        {"name": template.name, "default_duration_minutes": 60, "capacity": 3, "colour": "#3b5bdb"},
    )
    assert response.status_code == 200 and "already has 4 bookings" in response.content.decode()
    with scopes_disabled():
        template.refresh_from_db()
        first.refresh_from_db()
    assert template.capacity == 10 and first.capacity == 10
    with scope(studio=studio), pytest.raises(ValidationError, match="already has 4 bookings"):
        series.capacity = 2
        services.series_update(studio=studio, actor=SYSTEM, series=series, from_date=series.starts_on)


def test_the_migration_grants_overbooking_to_existing_manager_and_front_desk_roles(studio):
    import importlib

    from django.apps import apps

    from studio.models import Role

    migration = importlib.import_module("scheduling.migrations.0002_sched_guard_rails")
    with scopes_disabled():
        Role.objects.filter(studio=studio).update(permissions=["check_in"])
        migration.grant_overbook(apps, None)
        migration.grant_overbook(apps, None)  # twice is harmless
        held = {r.kind: r.permissions for r in Role.objects.filter(studio=studio)}
    assert held["manager"] == ["check_in", "overbook_classes"]
    assert held["front_desk"] == ["check_in", "overbook_classes"]
    assert held["teacher"] == ["check_in"]


def test_a_series_whose_days_never_fall_between_its_dates_is_refused(studio, location, teacher):
    monday = local_today(location.time_zone) + dt.timedelta(
        days=7 - local_today(location.time_zone).weekday()
    )
    series = ClassSeries(
        template=ClassTemplateFactory(studio=studio),
        weekdays=[4],
        start_time=dt.time(9),
        teacher=teacher,
        location=location,
        starts_on=monday,
        ends_on=monday + dt.timedelta(days=1),
        weeks_ahead=2,
    )
    with scope(studio=studio), pytest.raises(ValidationError, match="None of the chosen days falls between"):
        services.series_create(studio=studio, actor=SYSTEM, series=series)
    with scopes_disabled():
        assert not ClassSeries.objects.filter(studio=studio).exists()


def test_the_public_page_of_a_past_full_class_offers_no_waitlist(client, studio):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=1), starts_in=dt.timedelta(hours=-3)
    )
    BookingFactory(session=session)
    page = client.get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert "waitlist" not in page and "Full" in page
