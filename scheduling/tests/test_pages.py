"""Pages: staff journeys through the views, the hosted pages, the kiosk, and query budgets."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from scheduling.models import (
    Appointment,
    BookedBy,
    Booking,
    BookingStatus,
    CalendarFeed,
    ClassSeries,
    ClassSession,
    ClassTemplate,
    KioskSession,
)
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    BookingFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_datetime, local_today, week_start
from studio.models import Client
from studio.permissions import RoleKind
from tests.factories import (
    ClientFactory,
    FamilyLinkFactory,
    LocationFactory,
    RoomFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def client_login(login, client_profile):
    user = UserFactory(email=f"login-{client_profile.pk}@example.test")
    with scopes_disabled():
        client_profile.user = user
        client_profile.save()
    return login(user)


# --- staff journeys -------------------------------------------------------------------------


def test_staff_create_a_template_and_a_weekly_series_and_see_it_on_the_calendar(
    owner_client, studio, other_studio, location
):
    room = RoomFactory(location=location, name="Grande salle")
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER, display_name="Ana Souza")
    response = owner_client.post(
        url(studio, "class-template-create"),
        {
            "name": "Danse contemporaine",
            "description": "Ouvert à tous",
            "default_duration_minutes": 75,
            "capacity": 16,
            "colour": "#aa3355",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        template = ClassTemplate.objects.get(studio=studio, name="Danse contemporaine")
    today = local_today(location.time_zone)
    response = owner_client.post(
        url(studio, "class-series-create"),
        {
            "template": template.pk,
            "weekdays": [today.weekday(), (today.weekday() + 2) % 7],
            "start_time": "18:30",
            "teacher": teacher.pk,
            "location": location.pk,
            "room": room.pk,
            "starts_on": today.isoformat(),
            "weeks_ahead": 4,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        series = ClassSeries.objects.get(template=template)
        assert ClassSession.objects.filter(series=series).count() >= 8
    page = owner_client.get(url(studio, "schedule-calendar") + f"?date={today.isoformat()}").content.decode()
    assert "Danse contemporaine" in page and "Ana Souza" in page and "Grande salle" in page
    assert "Bravo" not in page


def test_series_form_rejects_a_room_of_another_location(owner_client, studio, location):
    other_room = RoomFactory(location=LocationFactory(studio=studio, name="Mile End"))
    template = ClassTemplateFactory(studio=studio)
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    response = owner_client.post(
        url(studio, "class-series-create"),
        {
            "template": template.pk,
            "weekdays": [0],
            "start_time": "9:00",
            "teacher": teacher.pk,
            "location": location.pk,
            "room": other_room.pk,
            "starts_on": "2030-01-07",
            "weeks_ahead": 2,
        },
    )
    assert response.status_code == 200
    assert "Choose a room of the selected location." in response.content.decode()


def test_another_studios_template_cannot_be_picked(owner_client, studio, other_studio, location):
    foreign = ClassTemplateFactory(studio=other_studio)
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    response = owner_client.post(
        url(studio, "class-series-create"),
        {
            "template": foreign.pk,
            "weekdays": [0],
            "start_time": "9:00",
            "teacher": teacher.pk,
            "location": location.pk,
            "starts_on": "2030-01-07",
            "weeks_ahead": 2,
        },
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert not ClassSeries.objects.exists()


def test_front_desk_books_checks_in_and_the_roster_shows_it(
    login, studio, staff_factory, a_client, django_capture_on_commit_callbacks
):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Hatha doux", capacity=1),
        starts_in=dt.timedelta(minutes=30),
    )
    web = login(clerk.user)
    results = web.get(
        url(studio, "class-session-client-search", pk=session.pk) + "?q=tremblay"
    ).content.decode()
    assert "Camille Tremblay" in results
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            web.post(url(studio, "class-session-book", pk=session.pk), {"client": a_client.pk}).status_code
            == 302
        )
    with scopes_disabled():
        booking = Booking.objects.get(session=session, client=a_client)
    response = web.post(
        url(studio, "booking-attendance", pk=booking.pk), {"status": "checked_in"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Undo check-in" in response.content.decode()
    roster = web.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()
    assert "Camille Tremblay" in roster and "Checked in" in roster
    # A second client goes to the waitlist, shown in order.
    other = ClientFactory(studio=studio, first_name="Zoé", last_name="Gagnon")
    web.post(url(studio, "class-session-book", pk=session.pk), {"client": other.pk})
    assert "Zoé Gagnon" in web.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()


def test_teacher_sees_the_calendar_and_roster_but_cannot_edit_the_schedule(login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), teacher=teacher)
    web = login(teacher.user)
    assert web.get(url(studio, "schedule-calendar") + f"?teacher={teacher.pk}").status_code == 200
    assert web.get(url(studio, "class-session-detail", pk=session.pk)).status_code == 200
    assert web.get(url(studio, "class-session-edit", pk=session.pk)).status_code == 403
    assert web.get(url(studio, "class-template-list")).status_code == 403


def test_substitute_teacher_from_the_session_page(owner_client, studio, location):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=location)
    substitute = StaffFactory(studio=studio, kind=RoleKind.TEACHER, display_name="Sub Stitute")
    local = session.local_start
    response = owner_client.post(
        url(studio, "class-session-edit", pk=session.pk),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "duration_minutes": 60,
            "teacher": substitute.pk,
            "location": location.pk,
            "capacity": session.capacity,
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        session.refresh_from_db()
    assert session.teacher_id == substitute.pk and session.overrides == ["teacher"]
    assert (
        "substitute" in owner_client.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()
    )


def test_every_staff_page_renders(owner_client, studio, other_studio, location):
    template = ClassTemplateFactory(studio=studio)
    session = ClassSessionFactory(template=template, location=location)
    booking = BookingFactory(session=session)
    calendar = AppointmentCalendarFactory(location=location)
    service = AppointmentServiceFactory(studio=studio)
    offer(calendar, service)
    AvailabilityFactory(calendar=calendar, weekday=(timezone.localdate() + dt.timedelta(days=1)).weekday())
    appointment = AppointmentFactory(calendar=calendar, service=service)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for path in [
        url(studio, "schedule-calendar"),
        url(studio, "schedule-calendar") + f"?view=day&location={location.pk}",
        url(studio, "class-template-list"),
        url(studio, "class-template-create"),
        url(studio, "class-template-detail", pk=template.pk),
        url(studio, "class-series-create"),
        url(studio, "class-session-create"),
        url(studio, "class-session-detail", pk=session.pk),
        url(studio, "class-session-edit", pk=session.pk),
        url(studio, "class-session-cancel", pk=session.pk),
        url(studio, "appointment-overview"),
        url(studio, "appointment-book"),
        url(studio, "appointment-book") + f"?service={service.pk}&calendar={calendar.pk}&day={tomorrow}",
        url(studio, "appointment-detail", pk=appointment.pk),
        url(studio, "appointment-service-list"),
        url(studio, "appointment-service-create"),
        url(studio, "appointment-calendar-create"),
        url(studio, "appointment-calendar-detail", pk=calendar.pk),
        url(studio, "kiosk"),
        url(studio, "client-detail", pk=booking.client_id),
        url(studio, "dashboard"),
    ]:
        response = owner_client.get(path)
        assert response.status_code == 200, (path, response.status_code)


def test_checklist_step_turns_green_with_a_series(owner_client, studio):
    page = owner_client.get(url(studio, "dashboard")).content.decode()
    assert 'data-step="classes"' in page
    ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    from studio.checklist import checklist_for

    with scopes_disabled():
        step = next(s for s in checklist_for(studio=studio) if s.step.key == "classes")
    assert step.available and step.done


def test_staff_books_an_appointment_from_the_free_slots(
    owner_client, studio, location, a_client, django_capture_on_commit_callbacks
):
    calendar = AppointmentCalendarFactory(location=location)
    service = AppointmentServiceFactory(studio=studio, duration_minutes=45)
    offer(calendar, service)
    day = local_today(location.time_zone) + dt.timedelta(days=2)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(11))
    page = owner_client.get(
        url(studio, "appointment-book") + f"?service={service.pk}&calendar={calendar.pk}"
        f"&day={day.isoformat()}"
    ).content.decode()
    assert f"at={day.isoformat()}T09%3A00%3A00" in page
    start = local_datetime(day, dt.time(9, 15), location.time_zone).astimezone(ZoneInfo(location.time_zone))
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url(studio, "appointment-book"),
            {
                "service": service.pk,
                "calendar": calendar.pk,
                "client": a_client.pk,
                "starts_at": start.isoformat(),
            },
        )
    assert response.status_code == 302 and "/manage/appointments/" in response["Location"]


# --- hosted pages ---------------------------------------------------------------------------


def test_public_schedule_filters_and_shows_spots(client, studio, other_studio, location):
    yoga = ClassTemplateFactory(studio=studio, name="Vinyasa", capacity=3)
    dance = ClassTemplateFactory(studio=studio, name="Danse contemporaine")
    ClassSessionFactory(template=yoga, location=location)
    ClassSessionFactory(template=dance, location=LocationFactory(studio=studio, name="Mile End"))
    ClassSessionFactory(template=ClassTemplateFactory(studio=other_studio, name="Secret class"))
    page = client.get(url(studio, "public-schedule")).content.decode()
    assert "Vinyasa" in page and "Danse contemporaine" in page and "Secret class" not in page
    assert "3 spots left" in page
    filtered = client.get(url(studio, "public-schedule") + f"?class={yoga.pk}").content.decode()
    assert ">Vinyasa</a>" in filtered and ">Danse contemporaine</a>" not in filtered
    by_place = client.get(url(studio, "public-schedule") + f"?location={location.pk}")
    assert ">Danse contemporaine</a>" not in by_place.content.decode()


def test_client_books_for_a_dependant_and_cancels(
    login, studio, a_client, django_capture_on_commit_callbacks
):
    child = ClientFactory(studio=studio, first_name="Léo", last_name="Tremblay", email="")
    FamilyLinkFactory(guardian=a_client, dependant=child)
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Danse enfants"), starts_in=dt.timedelta(days=3)
    )
    web = client_login(login, a_client)
    page = web.get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert "Léo Tremblay" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(url(studio, "public-session-book", pk=session.pk), {"client": child.pk})
    assert response.status_code == 302
    with scopes_disabled():
        booking = Booking.objects.get(session=session, client=child)
    assert booking.booked_by_kind == BookedBy.CLIENT
    account = web.get(url(studio, "account-home")).content.decode()
    assert "Danse enfants" in account
    ics = web.get(url(studio, "account-booking-ics", pk=booking.pk))
    assert ics["Content-Type"].startswith("text/calendar") and b"SUMMARY:Danse enfants" in ics.content
    confirm = web.post(url(studio, "account-booking-cancel", pk=booking.pk))
    assert confirm.status_code == 200 and "Cancel this booking?" in confirm.content.decode()
    assert status(booking) == BookingStatus.BOOKED  # nothing happens before the confirmation
    assert (
        web.post(url(studio, "account-booking-cancel", pk=booking.pk), {"confirmed": "1"}).status_code == 302
    )
    with scopes_disabled():
        booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_client_cannot_touch_someone_elses_booking(login, studio, a_client):
    stranger_booking = BookingFactory(
        session=ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    )
    web = client_login(login, a_client)
    assert web.post(url(studio, "account-booking-cancel", pk=stranger_booking.pk)).status_code == 404
    assert web.get(url(studio, "account-booking-ics", pk=stranger_booking.pk)).status_code == 404
    assert status(stranger_booking) == BookingStatus.BOOKED


def status(booking):
    with scopes_disabled():
        return Booking.objects.get(pk=booking.pk).status


def test_anonymous_visitor_is_asked_to_log_in_to_book(client, studio):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    assert "Log in to book" in client.get(url(studio, "public-session", pk=session.pk)).content.decode()
    response = client.post(url(studio, "public-session-book", pk=session.pk))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_calendar_feed_lists_the_clients_bookings(login, studio, a_client):
    booking = BookingFactory(
        session=ClassSessionFactory(template=ClassTemplateFactory(studio=studio, name="Yin")), client=a_client
    )
    web = client_login(login, a_client)
    web.post(url(studio, "account-calendar-feed-reset"))
    with scopes_disabled():
        feed = CalendarFeed.objects.get(client=a_client)
    from django.test import Client as WebClient

    body = WebClient().get(url(studio, "public-calendar-feed", token=feed.token)).content.decode()
    assert f"UID:booking-{booking.pk}@" in body and "SUMMARY:Yin" in body
    web.post(url(studio, "account-calendar-feed-reset"))
    assert WebClient().get(url(studio, "public-calendar-feed", token=feed.token)).status_code == 404


def test_client_books_an_appointment_online(
    login, studio, location, a_client, django_capture_on_commit_callbacks
):
    calendar = AppointmentCalendarFactory(location=location)
    service = AppointmentServiceFactory(studio=studio, name="Massage", duration_minutes=60, price_amount=8500)
    offer(calendar, service)
    day = local_today(location.time_zone) + dt.timedelta(days=1)
    AvailabilityFactory(
        calendar=calendar, weekday=day.weekday(), start_time=dt.time(10), end_time=dt.time(12)
    )
    web = client_login(login, a_client)
    page = web.get(
        url(studio, "public-appointments") + f"?service={service.pk}&calendar={calendar.pk}&day={day}"
    ).content.decode()
    assert "$85.00" in page

    starts = re.findall(r'name="starts_at" value="([^"]+)"', page)
    assert len(starts) == 5  # 10:00 … 11:00 every 15 minutes
    confirm = web.post(
        url(studio, "public-appointment-book"),
        {"service": service.pk, "calendar": calendar.pk, "starts_at": starts[0]},
    )
    assert confirm.status_code == 200 and "$85.00" in confirm.content.decode()  # the price, before booking
    with scopes_disabled():
        assert not Appointment.objects.filter(client=a_client).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            url(studio, "public-appointment-book"),
            {"service": service.pk, "calendar": calendar.pk, "starts_at": starts[0], "confirmed": "1"},
        )
    assert response.status_code == 302
    assert "Massage" in web.get(url(studio, "account-home")).content.decode()


# --- kiosk ----------------------------------------------------------------------------------


def test_kiosk_opens_for_one_location_signs_staff_out_and_checks_clients_in(
    login, studio, staff_factory, location, a_client
):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Vinyasa"),
        location=location,
        starts_in=dt.timedelta(minutes=20),
        today=True,
    )
    elsewhere = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Elsewhere"),
        starts_in=dt.timedelta(minutes=20),
        today=True,
    )
    booking = BookingFactory(session=session, client=a_client)
    web = login(clerk.user)
    assert "Open the kiosk" in web.get(url(studio, "kiosk")).content.decode()
    response = web.post(url(studio, "kiosk-open"), {"location": location.pk})
    assert response.status_code == 302
    assert "_auth_user_id" not in web.session  # the tablet holds no staff session
    assert web.get(url(studio, "dashboard")).status_code == 302  # the back office asks to log in
    home = web.get(url(studio, "kiosk")).content.decode()
    assert "Vinyasa" in home and "Elsewhere" not in home
    assert 'href="/' + studio.slug + "/manage" not in home
    roster = web.get(url(studio, "kiosk-session", pk=session.pk)).content.decode()
    assert "Camille T." in roster and "Tremblay" not in roster and a_client.email not in roster
    assert web.get(url(studio, "kiosk-session", pk=elsewhere.pk)).status_code == 302
    response = web.post(url(studio, "kiosk-check-in", pk=booking.pk), HTTP_HX_REQUEST="true")
    assert "You are checked in" in response.content.decode()
    assert status(booking) == BookingStatus.CHECKED_IN
    # Leaving needs a staff login.
    bad = web.post(url(studio, "kiosk-exit"), {"email": a_client.email, "password": "nope-nope-nope"})
    assert bad.status_code == 200
    from tests.factories import PASSWORD

    good = web.post(url(studio, "kiosk-exit"), {"email": clerk.user.email, "password": PASSWORD})
    assert good.status_code == 302 and good["Location"].endswith("/manage/")
    with scopes_disabled():
        assert KioskSession.objects.get().closed_at is not None


def test_kiosk_pages_need_the_kiosk_cookie(client, studio, location):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio),
        location=location,
        starts_in=dt.timedelta(minutes=20),
        today=True,
    )
    booking = BookingFactory(session=session)
    assert client.get(url(studio, "kiosk")).status_code == 302
    assert client.get(url(studio, "kiosk-session", pk=session.pk)).status_code == 302
    assert client.post(url(studio, "kiosk-check-in", pk=booking.pk)).status_code == 302
    assert status(booking) == BookingStatus.BOOKED


# --- query budgets (Q-3) --------------------------------------------------------------------


def _bulk_week(studio, n: int, *, public: bool = False) -> tuple[list, dt.date]:
    """n sessions over the week a page shows (the staff calendar's Monday–Sunday, or the hosted
    pages' seven days from today), across three locations, a few bookings on each."""
    locations = [LocationFactory(studio=studio, name=f"Site {n}-{i}") for i in range(3)]
    rooms = [RoomFactory(location=loc, name=f"Salle {loc.pk}") for loc in locations]
    teachers = [StaffFactory(studio=studio, kind=RoleKind.TEACHER) for _ in range(4)]
    templates = [ClassTemplateFactory(studio=studio, capacity=20) for _ in range(5)]
    clients = [ClientFactory(studio=studio) for _ in range(3)]
    today = local_today("America/Toronto")
    monday = today if public else week_start(today)

    rows = []
    for i in range(n):
        day = monday + dt.timedelta(days=i % 7)
        starts = local_datetime(day, dt.time(6 + (i // 7) % 15, (i * 5) % 60), "America/Toronto")
        loc = i % 3
        rows.append(
            ClassSession(
                studio=studio,
                template=templates[i % 5],
                teacher=teachers[i % 4],
                location=locations[loc],
                room=rooms[loc],
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                occurrence_date=day,
                capacity=20,
            )
        )
    with scopes_disabled():
        sessions = ClassSession.objects.bulk_create(rows)
        Booking.objects.bulk_create(
            [
                Booking(studio=studio, session=s, client=c, booked_by_kind="staff")
                for s in sessions
                for c in clients
            ]
        )
    return sessions, monday


def _count(web, path) -> int:
    """Queries of one request, after a warm-up one (other apps create per-studio rows on first use)."""
    web.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = web.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["schedule-calendar", "public-schedule"])
def test_schedule_pages_cost_the_same_at_5_and_300_sessions(owner_client, studio, other_studio, name):
    from tests.factories import make_studio, owner_of

    big = make_studio("big", language="en")
    _bulk_week(big, 300, public=name == "public-schedule")
    _bulk_week(studio, 5, public=name == "public-schedule")
    owner_client.force_login(owner_of(big).user, backend="django.contrib.auth.backends.ModelBackend")
    big_count = _count(owner_client, url(big, name))
    owner_client.force_login(owner_of(studio).user, backend="django.contrib.auth.backends.ModelBackend")
    small_count = _count(owner_client, url(studio, name))
    assert big_count == small_count, (small_count, big_count)
    if name == "schedule-calendar":  # the day view, on a day with classes in both studios
        day = f"?view=day&date={week_start(local_today('America/Toronto')).isoformat()}"
        small_day = _count(owner_client, url(studio, name) + day)
        owner_client.force_login(owner_of(big).user, backend="django.contrib.auth.backends.ModelBackend")
        assert _count(owner_client, url(big, name) + day) == small_day


def test_public_schedule_for_a_signed_in_client_costs_the_same(login, studio):
    _bulk_week(studio, 5, public=True)
    guardian = ClientFactory(studio=studio)
    FamilyLinkFactory(guardian=guardian, dependant=ClientFactory(studio=studio))
    web = client_login(login, guardian)
    small = _count(web, url(studio, "public-schedule"))
    more, _ = _bulk_week(studio, 295, public=True)
    with scopes_disabled():
        Booking.objects.bulk_create(
            [Booking(studio=studio, session=s, client=guardian, booked_by_kind="client") for s in more[:50]]
        )
    assert _count(web, url(studio, "public-schedule")) == small


def test_roster_and_kiosk_cost_the_same_at_5_and_300_bookings(owner_client, studio, location):
    template = ClassTemplateFactory(studio=studio, capacity=400)
    small = ClassSessionFactory(
        template=template, location=location, starts_in=dt.timedelta(minutes=30), today=True
    )
    large = ClassSessionFactory(
        template=template, location=location, starts_in=dt.timedelta(minutes=40), today=True
    )
    with scopes_disabled():
        clients = Client.objects.bulk_create(
            [Client(studio=studio, first_name=f"C{i}", last_name="X") for i in range(300)]
        )
        Booking.objects.bulk_create(
            [Booking(studio=studio, session=small, client=c, booked_by_kind="staff") for c in clients[:5]]
        )
        Booking.objects.bulk_create(
            [
                Booking(
                    studio=studio,
                    session=large,
                    client=c,
                    booked_by_kind="staff",
                    status="waitlisted" if i % 10 == 0 else "booked",
                )
                for i, c in enumerate(clients)
            ]
        )
    assert _count(owner_client, url(studio, "class-session-detail", pk=small.pk)) == _count(
        owner_client, url(studio, "class-session-detail", pk=large.pk)
    )
    owner_client.post(url(studio, "kiosk-open"), {"location": location.pk})
    assert _count(owner_client, url(studio, "kiosk-session", pk=small.pk)) == _count(
        owner_client, url(studio, "kiosk-session", pk=large.pk)
    )


def test_client_profile_and_account_panels_cost_the_same(owner_client, login, studio):
    few, many = ClientFactory(studio=studio), ClientFactory(studio=studio)
    template = ClassTemplateFactory(studio=studio)
    for client, n in ((few, 2), (many, 40)):
        for i in range(n):
            BookingFactory(
                session=ClassSessionFactory(template=template, starts_in=dt.timedelta(days=i - 20)),
                client=client,
            )
    assert _count(owner_client, url(studio, "client-detail", pk=few.pk)) == _count(
        owner_client, url(studio, "client-detail", pk=many.pk)
    )
    web_few = client_login(login, few)
    count_few = _count(web_few, url(studio, "account-home"))
    web_many = client_login(login, many)
    assert _count(web_many, url(studio, "account-home")) == count_few


def test_a_days_cards_in_one_call_are_the_cards_one_by_one():
    """`public_cards` (a day of the public week in one call) writes exactly what `public_card`
    writes for each class, whatever its state: open with spots, full, started, ended, cancelled,
    in another zone, with the visitor's family's bookings, and with markup in its names."""
    from types import SimpleNamespace

    from scheduling.selectors import SessionCard
    from scheduling.templatetags.scheduling_tags import public_card, public_cards

    now = timezone.now()
    hour = dt.timedelta(hours=1)
    booking = SimpleNamespace(
        status_badge="ok", client=SimpleNamespace(first_name="Zoé <b>"), get_status_display=lambda: "Booked"
    )

    def card(pk, starts, *, booked=0, capacity=10, cancelled=False, zone="", mine=(), name="Vinyasa"):
        return SessionCard(
            pk=pk,
            starts_at=starts,
            ends_at=starts + hour,
            local_start=starts,
            local_end=starts + hour,
            name=name,
            colour="#1f6f5c",
            teacher="Léa & co",
            place="Plateau · Studio A",
            room="Studio A",
            capacity=capacity,
            booked_count=booked,
            waitlist_count=0,
            is_cancelled=cancelled,
            my_bookings=list(mine),
            start_label="7:00",
            zone=zone,
        )

    cards = [
        card(1, now + hour),
        card(2, now + hour, booked=9),
        card(3, now + hour, booked=10),
        card(4, now - hour / 2),
        card(5, now - 2 * hour),
        card(6, now + hour, cancelled=True),
        card(7, now + hour, zone="Vancouver"),
        card(8, now + hour, mine=[booking]),
        card(9, now + 2 * hour, name='<script>"x"</script>'),
        card(10, now + 3 * hour, booked=9),
    ]
    for language in ("en", "fr"):
        with translation.override(language):
            one_by_one = "".join(str(public_card(c, "/yoga/schedule/", now)) for c in cards)
            assert str(public_cards(cards, "/yoga/schedule/", now)) == one_by_one
    assert "&lt;script&gt;" in one_by_one and "<script>" not in one_by_one


def test_the_weeks_compiled_read_is_the_orms_for_each_filter_and_the_active_studio_only(
    studio, other_studio, location
):
    """`sessions_between` reads the week through SQL compiled once per shape: for every filter it
    finds exactly the classes the ORM's own filter finds (with their counts and their teacher's
    name), and never another studio's."""
    from django_scopes import scope

    from scheduling.selectors import sessions_between, staff_names

    other_place = LocationFactory(studio=studio, name="Mile End")
    room = RoomFactory(studio=studio, location=location)
    yoga, dance = ClassTemplateFactory(studio=studio, name="Vinyasa"), ClassTemplateFactory(studio=studio)
    named = StaffFactory(studio=studio, display_name="Léa")
    unnamed = StaffFactory(studio=studio, display_name="")
    today = timezone.localdate()
    noon = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(12)))
    sessions = [
        ClassSessionFactory(template=yoga, location=location, room=room, teacher=named, starts_at=noon),
        ClassSessionFactory(
            template=dance, location=other_place, teacher=unnamed, starts_at=noon + dt.timedelta(hours=2)
        ),
        ClassSessionFactory(
            template=yoga, location=other_place, teacher=named, starts_at=noon + dt.timedelta(days=2)
        ),
    ]
    BookingFactory(session=sessions[0], client=ClientFactory(studio=studio))
    ClassSessionFactory(template=ClassTemplateFactory(studio=other_studio), starts_at=noon)
    week = {"first": today, "last": today + dt.timedelta(days=6)}

    def shown(**filters):
        with scopes_disabled():  # as a beat task or a staff page outside the request's scope would
            days = sessions_between(studio=studio, **week, **filters)
        return [(c.pk, c.teacher, c.booked_count) for d in days for c in d.sessions]

    everything = [(s.pk, str(s.teacher), 1 if s is sessions[0] else 0) for s in sessions]
    assert shown() == everything
    assert shown(location_id=other_place.pk) == everything[1:]
    assert shown(room_id=room.pk) == everything[:1]
    assert shown(teacher_id=named.pk) == [everything[0], everything[2]]
    assert shown(template_id=dance.pk, location_id=other_place.pk) == everything[1:2]
    with scope(studio=studio):
        assert staff_names(studio=studio)[unnamed.pk] == str(unnamed) and str(unnamed) != ""
    with scope(studio=other_studio):
        assert named.pk not in staff_names(studio=other_studio)


def test_the_public_pages_rows_of_classes_are_the_orms_for_any_number_of_ids(studio, other_studio, location):
    """`public_session_rows` (compiled once per size class, its id list padded) reads exactly what
    the ORM's own query reads for 1, 8, 9 and 20 classes, and nothing of another studio's."""
    from django.db.models import Count, Q

    from scheduling.models import OCCUPYING_STATUSES
    from scheduling.selectors import _PUBLIC_ROW_COLUMNS, public_session_rows

    template = ClassTemplateFactory(studio=studio, drop_in_price=1800)
    sessions = [ClassSessionFactory(template=template, location=location) for _ in range(20)]
    BookingFactory(session=sessions[3], client=ClientFactory(studio=studio))
    theirs = ClassSessionFactory(template=ClassTemplateFactory(studio=other_studio))
    for count in (1, 8, 9, 20):
        ids = [s.pk for s in sessions[:count]]
        with scopes_disabled():
            orm = (
                ClassSession.objects.filter(pk__in=ids)
                .annotate(booked=Count("bookings", filter=Q(bookings__status__in=OCCUPYING_STATUSES)))
                .values_list(*_PUBLIC_ROW_COLUMNS)
            )
            expected = sorted(orm)
        assert sorted(public_session_rows(studio=studio, ids=ids)) == expected
    assert public_session_rows(studio=studio, ids=[theirs.pk]) == []
    assert public_session_rows(studio=studio, ids=[]) == []
