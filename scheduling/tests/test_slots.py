"""Bookable appointment slots: a table of availability / exception / buffer / existing-appointment cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from scheduling import selectors, services
from scheduling.models import AvailabilityException, BookedBy
from scheduling.services import BookingError
from scheduling.slots import Change, Interval, Opening, bookable_slots, open_windows
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_datetime
from studio.services import SYSTEM
from tests.factories import ClientFactory

TZ = "America/Toronto"
MONDAY = dt.date(2026, 6, 1)


def t(hhmm: str) -> dt.time:
    return dt.time(*map(int, hhmm.split(":")))


def local(hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
    return local_datetime(day, t(hhmm), TZ)


def busy(start: str, end: str, before: int = 0, after: int = 0) -> Interval:
    return Interval(local(start) - dt.timedelta(minutes=before), local(end) + dt.timedelta(minutes=after))


NINE_TO_NOON = [Opening(0, t("9:00"), t("12:00"))]

CASES = [
    # (label, openings, changes, busy, duration, before, after, step, not_before, expected local starts)
    (
        "open morning, hour-long service",
        NINE_TO_NOON,
        [],
        [],
        60,
        0,
        0,
        30,
        None,
        ["9:00", "9:30", "10:00", "10:30", "11:00"],
    ),
    ("the service must fit before closing", NINE_TO_NOON, [], [], 90, 0, 0, 60, None, ["9:00", "10:00"]),
    ("another weekday: closed", [Opening(1, t("9:00"), t("12:00"))], [], [], 60, 0, 0, 30, None, []),
    (
        "two ranges the same day",
        [Opening(0, t("9:00"), t("10:00")), Opening(0, t("14:00"), t("15:30"))],
        [],
        [],
        60,
        0,
        0,
        30,
        None,
        ["9:00", "14:00", "14:30"],
    ),
    (
        "existing appointment blocks its time",
        NINE_TO_NOON,
        [],
        [busy("10:00", "11:00")],
        60,
        0,
        0,
        30,
        None,
        ["9:00", "11:00"],
    ),
    (
        "without buffers, back to back is fine",
        NINE_TO_NOON,
        [],
        [busy("10:30", "11:00")],
        60,
        0,
        0,
        30,
        None,
        ["9:00", "9:30", "11:00"],
    ),
    (
        "buffer after the new one keeps away from the next",
        NINE_TO_NOON,
        [],
        [busy("10:30", "11:00")],
        60,
        0,
        15,
        30,
        None,
        ["9:00", "11:00"],
    ),
    (
        "buffer before the new one keeps away from the previous",
        NINE_TO_NOON,
        [],
        [busy("9:00", "10:00")],
        60,
        15,
        0,
        15,
        None,
        ["10:15", "10:30", "10:45", "11:00"],
    ),
    (
        "the existing appointment's own buffers count",
        NINE_TO_NOON,
        [],
        [busy("10:00", "10:30", before=30, after=30)],
        30,
        0,
        0,
        30,
        None,
        ["9:00", "11:00", "11:30"],
    ),
    (
        "buffers may reach outside opening hours",
        NINE_TO_NOON,
        [],
        [],
        60,
        30,
        30,
        60,
        None,
        ["9:00", "10:00", "11:00"],
    ),
    ("whole day off", NINE_TO_NOON, [Change(MONDAY)], [], 60, 0, 0, 30, None, []),
    (
        "time off in the middle",
        NINE_TO_NOON,
        [Change(MONDAY, t("10:00"), t("11:00"))],
        [],
        60,
        0,
        0,
        30,
        None,
        ["9:00", "11:00"],
    ),
    (
        "extra hours on a closed day",
        [],
        [Change(MONDAY, t("18:00"), t("20:00"), available=True)],
        [],
        60,
        0,
        0,
        60,
        None,
        ["18:00", "19:00"],
    ),
    (
        "extra hours extend the usual ones",
        NINE_TO_NOON,
        [Change(MONDAY, t("12:00"), t("13:00"), available=True)],
        [],
        120,
        0,
        0,
        60,
        None,
        ["9:00", "10:00", "11:00"],
    ),
    (
        "an exception on another date changes nothing",
        NINE_TO_NOON,
        [Change(MONDAY + dt.timedelta(days=7))],
        [],
        60,
        0,
        0,
        60,
        None,
        ["9:00", "10:00", "11:00"],
    ),
    ("nothing in the past", NINE_TO_NOON, [], [], 60, 0, 0, 30, "10:10", ["10:30", "11:00"]),
    ("fully booked", NINE_TO_NOON, [], [busy("9:00", "12:00")], 30, 0, 0, 30, None, []),
]


@pytest.mark.parametrize(
    (
        "label",
        "openings",
        "changes",
        "taken",
        "duration",
        "before",
        "after",
        "step",
        "not_before",
        "expected",
    ),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_slot_table(label, openings, changes, taken, duration, before, after, step, not_before, expected):
    windows = open_windows(day=MONDAY, tz=TZ, openings=openings, changes=changes)
    slots = bookable_slots(
        windows=windows,
        busy=taken,
        duration=dt.timedelta(minutes=duration),
        buffer_before=dt.timedelta(minutes=before),
        buffer_after=dt.timedelta(minutes=after),
        step=dt.timedelta(minutes=step),
        not_before=local(not_before) if not_before else None,
    )
    assert slots == [local(s) for s in expected]


def test_opening_hours_follow_local_time_on_a_dst_day():
    sunday = dt.date(2026, 11, 1)  # clocks fall back in Toronto
    windows = open_windows(day=sunday, tz=TZ, openings=[Opening(6, t("9:00"), t("10:00"))], changes=[])
    assert windows == [Interval(local("9:00", sunday), local("10:00", sunday))]
    assert windows[0].start.hour == 14  # 9:00 EST is 14:00 UTC (it was 13:00 UTC a week earlier)


@pytest.mark.django_db
def test_slots_from_the_database_include_the_teachers_classes_and_other_calendars(studio, other_studio):
    calendar = AppointmentCalendarFactory(location__studio=studio, location__time_zone=TZ)
    service = AppointmentServiceFactory(studio=studio, duration_minutes=60, buffer_after_minutes=0)
    offer(calendar, service)
    day = timezone.localdate() + dt.timedelta(days=7)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=t("9:00"), end_time=t("13:00"))
    AppointmentFactory(
        calendar=calendar,
        service=service,
        starts_at=local_datetime(day, t("9:00"), TZ),
        buffer_after_minutes=30,
    )
    ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio),
        teacher=calendar.teacher,
        starts_at=local_datetime(day, t("11:30"), TZ),
        ends_at=local_datetime(day, t("12:30"), TZ),
    )
    with scopes_disabled():
        AvailabilityException.objects.create(
            studio=studio, calendar=calendar, date=day + dt.timedelta(days=1)
        )
    with scope(studio=studio):
        slots = selectors.appointment_slots(calendar=calendar, service=service, day=day)
    # 9:00–10:00 taken (+30 min clean-up), a class at 11:30: only 10:30 fits an hour.
    assert slots == [local_datetime(day, t("10:30"), TZ)]


@pytest.mark.django_db
def test_booking_a_taken_slot_is_refused(studio, django_capture_on_commit_callbacks):
    calendar = AppointmentCalendarFactory(location__studio=studio, location__time_zone=TZ)
    service = AppointmentServiceFactory(studio=studio, duration_minutes=60, buffer_before_minutes=10)
    offer(calendar, service)
    day = timezone.localdate() + dt.timedelta(days=3)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=t("9:00"), end_time=t("12:00"))
    first, second = ClientFactory(studio=studio), ClientFactory(studio=studio)
    start = local_datetime(day, t("10:00"), TZ)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_book(
            studio=studio,
            actor=SYSTEM,
            calendar=calendar,
            service=service,
            client=first,
            starts_at=start,
            booked_by=BookedBy.STAFF,
        )
        assert appointment.price_amount == service.price_amount and appointment.currency == studio.currency
        with pytest.raises(BookingError):
            services.appointment_book(
                studio=studio,
                actor=SYSTEM,
                calendar=calendar,
                service=service,
                client=second,
                starts_at=start + dt.timedelta(minutes=30),
                booked_by=BookedBy.STAFF,
            )
        services.appointment_cancel(studio=studio, actor=SYSTEM, appointment=appointment, by_staff=True)
        again = services.appointment_book(
            studio=studio,
            actor=SYSTEM,
            calendar=calendar,
            service=service,
            client=second,
            starts_at=start,
            booked_by=BookedBy.STAFF,
        )
    assert again.pk != appointment.pk
