"""Series generation (DST-safe, idempotent), template and series edits, single-session changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import formats, translation
from django_scopes import scope, scopes_disabled

from scheduling import services, tasks
from scheduling.models import BookingStatus, ClassSeries, ClassSession, SessionStatus
from scheduling.tests.factories import BookingFactory, ClassTemplateFactory
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory, LocationFactory, RoomFactory, StaffFactory

pytestmark = pytest.mark.django_db

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def at(year, month, day, hour=12, tz=dt.UTC):
    return dt.datetime(year, month, day, hour, tzinfo=tz)


@pytest.fixture
def teacher(studio):
    return StaffFactory(studio=studio, kind=RoleKind.TEACHER)


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Grande salle")


def make_series(
    studio, *, template, teacher, location, room=None, weekdays, start, starts_on, now, weeks_ahead=4, **extra
):
    with scope(studio=studio):
        series = ClassSeries(
            template=template,
            teacher=teacher,
            location=location,
            room=room,
            weekdays=weekdays,
            start_time=start,
            starts_on=starts_on,
            weeks_ahead=weeks_ahead,
            **extra,
        )
        return services.series_create(studio=studio, actor=SYSTEM, series=series, now=now)


def sessions_of(studio, **filters):
    with scope(studio=studio):
        return list(
            ClassSession.objects.filter(**filters).select_related("location", "studio").order_by("starts_at")
        )


@pytest.mark.parametrize(
    ("tz_name", "starts_on", "change_day"),
    [
        ("America/Toronto", dt.date(2026, 10, 25), dt.date(2026, 11, 1)),  # clocks fall back
        ("America/Toronto", dt.date(2027, 3, 7), dt.date(2027, 3, 14)),  # clocks spring forward
        ("Europe/Paris", dt.date(2026, 10, 18), dt.date(2026, 10, 25)),
    ],
)
def test_generation_keeps_local_start_time_across_dst(
    studio, other_studio, teacher, tz_name, starts_on, change_day
):
    location = LocationFactory(studio=studio, name=f"Place {tz_name}", time_zone=tz_name)
    template = ClassTemplateFactory(studio=studio, default_duration_minutes=75)
    now = dt.datetime.combine(starts_on - dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)
    make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[6],
        start=dt.time(9, 30),
        starts_on=starts_on,
        now=now,
        weeks_ahead=3,
    )
    sessions = sessions_of(studio, template=template)
    zone = zoneinfo.ZoneInfo(tz_name)
    assert [s.occurrence_date for s in sessions] == [starts_on + dt.timedelta(weeks=i) for i in range(3)]
    assert change_day in [s.occurrence_date for s in sessions]
    for session in sessions:
        local = session.starts_at.astimezone(zone)
        assert (local.date(), local.time()) == (session.occurrence_date, dt.time(9, 30))
        assert session.ends_at - session.starts_at == dt.timedelta(minutes=75)
    offsets = {s.starts_at.astimezone(zone).utcoffset() for s in sessions}
    assert len(offsets) == 2, "the UTC instants move by an hour across the change"


def test_a_time_skipped_by_the_spring_change_lands_an_hour_later(studio, teacher, location):
    template = ClassTemplateFactory(studio=studio)
    make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[6],
        start=dt.time(2, 30),
        starts_on=dt.date(2027, 3, 14),
        now=at(2027, 3, 10),
        weeks_ahead=1,
    )
    first = sessions_of(studio, template=template)[0]
    assert first.starts_at.astimezone(TORONTO).time() == dt.time(3, 30)


def test_beat_task_twice_creates_no_duplicates(studio, other_studio, teacher, location):
    template = ClassTemplateFactory(studio=studio)
    series = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[0, 2, 4],
        start=dt.time(18),
        starts_on=dt.date.today(),
        now=None,
        weeks_ahead=2,
    )
    created = len(sessions_of(studio, series=series))
    assert created >= 6
    with scopes_disabled():
        ClassSeries.objects.filter(pk=series.pk).update(weeks_ahead=4)
    assert tasks.extend_series(studio.pk) >= 6
    after_first = len(sessions_of(studio, series=series))
    assert tasks.extend_series(studio.pk) == 0
    assert tasks.extend_series_all_studios() == 2  # fans out to both studios, eagerly
    assert len(sessions_of(studio, series=series)) == after_first
    with scopes_disabled():
        dates = list(ClassSession.objects.filter(series=series).values_list("occurrence_date", flat=True))
    assert len(dates) == len(set(dates))


def test_beat_schedule_is_registered_with_celery():
    from studio.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["scheduling-extend-series"]["task"] == "scheduling.extend_series_all_studios"
    assert schedule["scheduling-mark-no-shows"]["task"] == "scheduling.mark_no_shows_all_studios"
    assert {"scheduling.extend_series", "scheduling.mark_no_shows"} <= set(app.tasks.keys())


def test_editing_the_template_updates_future_sessions_of_its_series(studio, teacher, location):
    template = ClassTemplateFactory(studio=studio, capacity=10, default_duration_minutes=60)
    now = at(2026, 6, 1)
    follows = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[1],
        start=dt.time(10),
        starts_on=dt.date(2026, 6, 2),
        now=now,
    )
    own = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[3],
        start=dt.time(10),
        starts_on=dt.date(2026, 6, 4),
        now=now,
        capacity=5,
        duration_minutes=45,
    )
    with scope(studio=studio):
        template.capacity = 14
        template.default_duration_minutes = 90
        template.name = "Vinyasa flow"
        services.class_template_save(studio=studio, actor=SYSTEM, template=template, now=now)
    for s in sessions_of(studio, series=follows):
        assert (s.capacity, s.duration_minutes) == (14, 90)
    for s in sessions_of(studio, series=own):
        assert (s.capacity, s.duration_minutes) == (5, 45)


def test_edit_this_and_following_splits_the_series_and_keeps_earlier_sessions(
    studio, teacher, location, room
):
    template = ClassTemplateFactory(studio=studio)
    now = at(2026, 6, 1)
    series = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        room=room,
        weekdays=[1],
        start=dt.time(10),
        starts_on=dt.date(2026, 6, 2),
        now=now,
    )
    substitute = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    from_date = dt.date(2026, 6, 16)
    with scope(studio=studio):
        edited = ClassSeries.objects.get(pk=series.pk)
        edited.teacher = substitute
        edited.start_time = dt.time(11)
        new = services.series_update(studio=studio, actor=SYSTEM, series=edited, from_date=from_date, now=now)
        series.refresh_from_db()
    assert new.pk != series.pk
    assert series.ends_on == dt.date(2026, 6, 15)
    old_sessions = sessions_of(studio, series=series)
    new_sessions = sessions_of(studio, series=new)
    assert [s.occurrence_date for s in old_sessions] == [dt.date(2026, 6, 2), dt.date(2026, 6, 9)]
    assert all(
        s.teacher_id == teacher.pk and s.starts_at.astimezone(TORONTO).hour == 10 for s in old_sessions
    )
    assert new_sessions[0].occurrence_date == from_date
    assert all(
        s.teacher_id == substitute.pk and s.starts_at.astimezone(TORONTO).hour == 11 for s in new_sessions
    )


def test_changing_weekdays_cancels_booked_dates_and_deletes_empty_ones(studio, teacher, location):
    template = ClassTemplateFactory(studio=studio)
    now = at(2026, 6, 1)
    series = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[1, 3],
        start=dt.time(10),
        starts_on=dt.date(2026, 6, 2),
        now=now,
        weeks_ahead=2,
    )
    assert len(sessions_of(studio, series=series)) == 4
    thursday = sessions_of(studio, series=series, occurrence_date=dt.date(2026, 6, 4))[0]
    booking = BookingFactory(session=thursday, client=ClientFactory(studio=studio, language="fr"))
    with scope(studio=studio):
        edited = ClassSeries.objects.get(pk=series.pk)
        edited.weekdays = [1]
        services.series_update(
            studio=studio, actor=SYSTEM, series=edited, from_date=dt.date(2026, 6, 2), now=now
        )
    with scopes_disabled():
        thursday.refresh_from_db()
        booking.refresh_from_db()
        assert thursday.status == SessionStatus.CANCELLED
        assert booking.status == BookingStatus.CANCELLED
        assert not ClassSession.objects.filter(series=series, occurrence_date=dt.date(2026, 6, 11)).exists()
        assert ClassSession.objects.filter(series=series, occurrence_date=dt.date(2026, 6, 9)).exists()


def test_session_edit_is_its_own_and_survives_series_edits(studio, teacher, location):
    template = ClassTemplateFactory(studio=studio)
    now = at(2026, 6, 1)
    series = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[1],
        start=dt.time(10),
        starts_on=dt.date(2026, 6, 2),
        now=now,
    )
    substitute = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    second = sessions_of(studio, series=series)[1]
    with scope(studio=studio):
        second.teacher = substitute
        services.session_update(studio=studio, actor=SYSTEM, session=second, now=now)
        edited = ClassSeries.objects.get(pk=series.pk)
        edited.teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
        edited.start_time = dt.time(8)
        services.series_update(
            studio=studio, actor=SYSTEM, series=edited, from_date=dt.date(2026, 6, 2), now=now
        )
    refreshed = sessions_of(studio, pk=second.pk)[0]
    assert refreshed.overrides == ["teacher"]
    assert refreshed.teacher_id == substitute.pk
    assert refreshed.starts_at.astimezone(TORONTO).hour == 8  # the time still follows the series


def test_cancelling_a_session_emails_booked_clients_in_their_language(
    studio, teacher, location, django_capture_on_commit_callbacks
):
    template = ClassTemplateFactory(studio=studio, name="Hatha doux")
    series = make_series(
        studio,
        template=template,
        teacher=teacher,
        location=location,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start=dt.time(23, 0),
        starts_on=dt.date.today(),
        now=None,
        weeks_ahead=1,
    )
    session = sessions_of(studio, series=series)[-1]
    fr = BookingFactory(
        session=session, client=ClientFactory(studio=studio, language="fr", email="fr@example.test")
    )
    en = BookingFactory(
        session=session,
        client=ClientFactory(studio=studio, language="en", email="en@example.test"),
        status=BookingStatus.WAITLISTED,
    )
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(studio=studio, actor=SYSTEM, session=session, note="Studio flooded")
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"fr@example.test", "en@example.test"}
    local = session.starts_at.astimezone(TORONTO)
    for language, address in (("fr", "fr@example.test"), ("en", "en@example.test")):
        with translation.override(language):
            when = formats.date_format(local, "DATETIME_FORMAT")
        assert when in by_to[address].subject, (language, by_to[address].subject)
    assert "Studio flooded" in by_to["en@example.test"].body
    with scopes_disabled():
        fr.refresh_from_db()
        en.refresh_from_db()
    assert fr.status == en.status == BookingStatus.CANCELLED
