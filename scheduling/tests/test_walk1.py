"""Findings of a walk through the schedule in French and English (after issues #10 and #11)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from scheduling.models import ClassSession
from scheduling.tests.factories import ClassSeriesFactory, ClassSessionFactory, ClassTemplateFactory
from scheduling.timeutils import local_today
from studio.permissions import RoleKind
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(studio):
    return StaffFactory(studio=studio, kind=RoleKind.TEACHER)


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def test_a_session_duration_above_the_stated_maximum_is_refused(owner_client, studio, location):
    """The help text said "From 5 to 720 minutes" while 1440 was saved: the bound is enforced."""
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=location)
    before = (session.starts_at, session.ends_at)
    response = owner_client.post(
        url(studio, "class-session-edit", pk=session.pk),
        {
            "date": session.occurrence_date.isoformat(),
            "start_time": "10:00",
            "duration_minutes": 1440,
            "teacher": session.teacher_id,
            "location": location.pk,
            "capacity": session.capacity,
        },
    )
    assert response.status_code == 200
    assert "less than or equal to 720" in response.content.decode()
    with scopes_disabled():
        session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == before


def test_a_single_class_of_four_minutes_or_a_day_is_refused(owner_client, studio, location, teacher):
    template = ClassTemplateFactory(studio=studio)
    tomorrow = local_today(location.time_zone) + dt.timedelta(days=1)
    for minutes in (4, 1440):
        response = owner_client.post(
            url(studio, "class-session-create"),
            {
                "template": template.pk,
                "date": tomorrow.isoformat(),
                "start_time": "10:00",
                "duration_minutes": minutes,
                "teacher": teacher.pk,
                "location": location.pk,
            },
        )
        assert response.status_code == 200, minutes
        assert "720" in response.content.decode()
    with scopes_disabled():
        assert not ClassSession.objects.filter(studio=studio, template=template).exists()


def test_series_days_read_as_the_calendar_abbreviates_them(owner_client, studio):
    """French abbreviates weekdays in lower case with a period ("lun."), as the date filter does;
    cutting "Lundi" to "Lun" did not."""
    series = ClassSeriesFactory(template=ClassTemplateFactory(studio=studio), weekdays=[0, 2])
    with translation.override("fr"):
        assert series.weekday_labels == "lun., mer."
    with translation.override("en"):
        assert series.weekday_labels == "Mon, Wed"
    owner_client.cookies["django_language"] = "fr"
    page = owner_client.get(
        url(studio, "class-series-detail", pk=series.pk), HTTP_ACCEPT_LANGUAGE="fr"
    ).content
    assert "lun., mer." in page.decode()


def test_the_outbox_names_the_recipient_not_a_date_range_in_french(login, studio, owner):
    """French read "Au" (the "To" of "From … To" date ranges) over the recipients' column."""
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    page = login(owner.user).get(url(studio, "message-list")).content.decode()
    assert 'lang="fr"' in page
    assert "<th>Au</th>" not in page


def test_a_message_shows_its_language_in_words(
    login, studio, owner, celery_eager, django_capture_on_commit_callbacks
):
    """The detail page read "Langue : fr": the language is named, in its own words."""
    from tests.test_notifications import _invite

    with django_capture_on_commit_callbacks(execute=True):
        [message] = _invite(studio, email="ana@example.test", language="fr")
    page = login(owner.user).get(url(studio, "message-detail", pk=message.pk)).content.decode()
    assert '<dd lang="fr">français</dd>' in page


def test_the_weekly_availability_inputs_are_named(owner_client, studio, location):
    from scheduling.tests.factories import AppointmentCalendarFactory

    calendar = AppointmentCalendarFactory(studio=studio, location=location)
    page = owner_client.get(url(studio, "appointment-calendar-detail", pk=calendar.pk)).content.decode()
    for name in ("weekday", "start_time", "end_time"):
        tag = re.search(rf'<(?:select|input)[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'aria-label="' in tag, tag


def test_an_overlapping_opening_names_its_day_in_lower_case_in_french(studio, location):
    """French wrote "celle du Mardi": a weekday inside a sentence is lower case."""
    from django.core.exceptions import ValidationError

    from scheduling import services
    from scheduling.models import Availability
    from scheduling.tests.factories import AppointmentCalendarFactory, AvailabilityFactory
    from studio.services import SYSTEM

    calendar = AppointmentCalendarFactory(location=location)
    AvailabilityFactory(calendar=calendar, weekday=1, start_time=dt.time(9), end_time=dt.time(12))
    with translation.override("fr"), scope(studio=studio), pytest.raises(ValidationError) as refused:
        services.availability_add(
            studio=studio,
            actor=SYSTEM,
            availability=Availability(
                calendar=calendar, weekday=1, start_time=dt.time(11), end_time=dt.time(14)
            ),
        )
    assert "mardi" in refused.value.messages[0] and "Mardi" not in refused.value.messages[0]


def test_the_last_family_member_to_book_is_named_on_the_button(login, studio, a_client):
    """Once Camille was booked, the page offered a bare "Book" that booked her son Léo."""
    from scheduling.tests.factories import BookingFactory
    from scheduling.tests.test_pages import client_login
    from tests.factories import ClientFactory, FamilyLinkFactory

    child = ClientFactory(studio=studio, first_name="Léo", last_name="Tremblay", email="")
    FamilyLinkFactory(guardian=a_client, dependant=child)
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), starts_in=dt.timedelta(days=3)
    )
    web = client_login(login, a_client)
    page = web.get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert "Book Léo Tremblay too" not in page  # both free: the form asks who is coming
    BookingFactory(session=session, client=a_client)
    page = web.get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert "Book Léo Tremblay too" in page and f'name="client" value="{child.pk}"' in page


def test_the_web_process_knows_the_scheduling_mail_templates_by_name():
    """They registered when scheduling.emails was imported, which only the worker's tasks did:
    the outbox of `make run` showed "scheduling/booking_confirmed" instead of "Booking confirmed"."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from studio.notifications import registry; "
        "print(registry.find('scheduling/booking_confirmed') is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "studio.settings.dev"},
    )
    assert out.stdout.strip() == "True", out.stderr


def test_a_clash_with_a_class_at_another_time_says_when_that_class_is(owner_client, studio, location):
    """A 3-hour class starting at 17:30 ran into the room's 19:00 class: the refusal named the
    other class at 17:30 (this class's time), which read as a clash with itself."""
    from scheduling.timeutils import local_datetime, local_when_label
    from tests.factories import RoomFactory

    room = RoomFactory(location=location, name="Petite salle", capacity=10)
    day = local_today(location.time_zone) + dt.timedelta(days=2)
    other = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Danse"),
        location=location,
        room=room,
        starts_at=local_datetime(day, dt.time(19), location.time_zone),
        ends_at=local_datetime(day, dt.time(20), location.time_zone),
    )
    mover = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Hatha"),
        location=location,
        room=room,
        starts_at=local_datetime(day, dt.time(17, 30), location.time_zone),
        ends_at=local_datetime(day, dt.time(18, 30), location.time_zone),
    )
    response = owner_client.post(
        url(studio, "class-session-edit", pk=mover.pk),
        {
            "date": day.isoformat(),
            "start_time": "17:30",
            "duration_minutes": 180,
            "teacher": mover.teacher_id,
            "location": location.pk,
            "room": room.pk,
            "capacity": 5,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        f"is taken on {local_when_label(other.starts_at, location.time_zone)} by “Danse”, which overlaps"
        in page
    )


@pytest.mark.parametrize("name, param", [("schedule-calendar", "date"), ("public-schedule", "week")])
def test_a_date_outside_the_calendar_says_why_today_is_shown(owner_client, studio, name, param):
    """?date=9999-12-31 showed today's week without a word."""
    refused = owner_client.get(url(studio, name) + f"?{param}=9999-12-31").content.decode()
    assert "That date cannot be shown: the calendar runs from" in refused
    shown = owner_client.get(url(studio, name) + f"?{param}=" + local_today(studio.time_zone).isoformat())
    assert "That date cannot be shown" not in shown.content.decode()


def test_the_roster_sorts_accented_names_as_french_does(studio):
    """The demo's roster read Bergeron, Bélanger, Côté: "é" sorted after "z"."""
    from scheduling import selectors
    from scheduling.tests.factories import BookingFactory
    from tests.factories import ClientFactory

    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    for last in ("Bergeron", "Côté", "Bélanger", "Cote", "Zola"):
        BookingFactory(session=session, client=ClientFactory(studio=studio, first_name="Léa", last_name=last))
    with scope(studio=studio):
        roster = selectors.session_roster(session=session)
    assert [b.client.last_name for b in roster["in_class"]] == [
        "Bélanger",
        "Bergeron",
        "Cote",
        "Côté",
        "Zola",
    ]


def test_a_class_that_has_ended_keeps_its_time_but_its_teacher_can_be_corrected(
    owner_client, studio, location, teacher
):
    """Last Monday's class took a 700-minute duration and became a class still running."""
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio), location=location, starts_in=-dt.timedelta(days=1)
    )
    before = (session.starts_at, session.ends_at)
    local = session.local_start
    data = {
        "date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "duration_minutes": 700,
        "teacher": session.teacher_id,
        "location": location.pk,
        "capacity": session.capacity,
    }
    response = owner_client.post(url(studio, "class-session-edit", pk=session.pk), data)
    assert response.status_code == 200 and "This class has ended" in response.content.decode()
    with scopes_disabled():
        session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == before
    response = owner_client.post(
        url(studio, "class-session-edit", pk=session.pk),
        {**data, "duration_minutes": 60, "teacher": teacher.pk},
    )
    assert response.status_code == 302
    with scopes_disabled():
        session.refresh_from_db()
    assert session.teacher_id == teacher.pk and (session.starts_at, session.ends_at) == before


def test_the_service_form_states_its_bounds(owner_client, studio):
    """1440 minutes was refused with "at most 480" that the form had never mentioned."""
    page = owner_client.get(url(studio, "appointment-service-create")).content.decode()
    assert "From 5 to 480 minutes." in page and page.count("From 0 to 240 minutes.") == 2
    assert 'max="480"' in page


def test_a_class_in_another_zone_says_whose_time_it_is_on_the_week(owner_client, client, studio, location):
    """A Vancouver class at 10:00 sat after Montréal's 12:15 (time order) with nothing to explain it."""
    from scheduling.timeutils import local_datetime
    from tests.factories import LocationFactory

    west = LocationFactory(studio=studio, name="Vancouver", time_zone="America/Vancouver")
    day = local_today(studio.time_zone) + dt.timedelta(days=2)
    ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="West"),
        location=west,
        starts_at=local_datetime(day, dt.time(10), west.time_zone),
        ends_at=local_datetime(day, dt.time(11), west.time_zone),
    )
    ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="East"),
        location=location,
        starts_at=local_datetime(day, dt.time(12, 15), location.time_zone),
        ends_at=local_datetime(day, dt.time(13), location.time_zone),
    )
    assert studio.time_zone == location.time_zone != west.time_zone
    staff = owner_client.get(url(studio, "schedule-calendar") + f"?date={day.isoformat()}").content.decode()
    public = client.get(url(studio, "public-schedule")).content.decode()
    for page in (staff, public):
        assert '10 a.m. <small class="zone">(Vancouver)</small></span>' in page
        assert "12:15 p.m. (" not in page  # the studio's own zone needs no note


def test_the_cancelled_list_says_cancelled_once(owner_client, studio, a_client):
    """It read "Noah · Annulé Annulé par le personnel": the status badge only marks a late cancel."""
    from scheduling.models import BookingStatus, CancelReason
    from scheduling.tests.factories import BookingFactory
    from tests.factories import ClientFactory

    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    BookingFactory(
        session=session, client=a_client, status=BookingStatus.CANCELLED, cancel_reason=CancelReason.STAFF
    )
    BookingFactory(
        session=session,
        client=ClientFactory(studio=studio, first_name="Noah"),
        status=BookingStatus.LATE_CANCELLED,
        cancel_reason=CancelReason.CLIENT,
    )
    page = owner_client.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()
    assert "Camille Tremblay · <small" in page and "Cancelled by staff" in page
    assert "Late cancel</span> · <small" in page
