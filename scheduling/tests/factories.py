"""Scheduling factories. Like tests/factories.py, tenant rows are created with scopes disabled."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from scheduling.models import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    Availability,
    BookedBy,
    Booking,
    BookingStatus,
    CalendarService,
    ClassSeries,
    ClassSession,
    ClassTemplate,
)
from scheduling.timeutils import local_today
from studio.permissions import RoleKind
from tests.factories import ClientFactory, LocationFactory, RoomFactory, StaffFactory, UnscopedFactory


class ClassTemplateFactory(UnscopedFactory):
    class Meta:
        model = ClassTemplate

    name = factory.Sequence(lambda n: f"Vinyasa {n}")
    default_duration_minutes = 60
    capacity = 10
    colour = "#3b5bdb"


class ClassSeriesFactory(UnscopedFactory):
    """A weekly series at a room of a new location (Toronto time), starting today."""

    class Meta:
        model = ClassSeries

    template = factory.SubFactory(ClassTemplateFactory)
    studio = factory.SelfAttribute("template.studio")
    location = factory.SubFactory(LocationFactory, studio=factory.SelfAttribute("..template.studio"))
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    teacher = factory.LazyAttribute(lambda o: StaffFactory(studio=o.template.studio, kind=RoleKind.TEACHER))
    weekdays = factory.LazyFunction(lambda: [0, 2])
    start_time = dt.time(9, 0)
    starts_on = factory.LazyFunction(lambda: timezone.localdate())
    weeks_ahead = 4


def _session_start(o) -> dt.datetime:
    now = timezone.now()
    start = now + o.starts_in
    zone = o.location.time_zone
    if o.today and local_today(zone, start) != local_today(zone, now):
        start = now - dt.timedelta(minutes=10)  # late at night there: one running since just before
    return start.replace(second=0, microsecond=0)


class ClassSessionFactory(UnscopedFactory):
    """A single session starting `starts_in` from now (default: tomorrow), one hour long.

    `today=True` asks for one of today's classes at its location, not over, whatever the hour:
    `starts_in` from now when that is still today in the location's zone, else (late in the
    evening there) one that began ten minutes ago and is still running."""

    class Meta:
        model = ClassSession

    class Params:
        starts_in = dt.timedelta(days=1)
        today = False

    template = factory.SubFactory(ClassTemplateFactory)
    studio = factory.SelfAttribute("template.studio")
    location = factory.SubFactory(LocationFactory, studio=factory.SelfAttribute("..template.studio"))
    room = None
    teacher = factory.LazyAttribute(lambda o: StaffFactory(studio=o.template.studio, kind=RoleKind.TEACHER))
    starts_at = factory.LazyAttribute(_session_start)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=1))
    occurrence_date = factory.LazyAttribute(lambda o: o.starts_at.date())
    capacity = factory.SelfAttribute("template.capacity")


class BookingFactory(UnscopedFactory):
    class Meta:
        model = Booking

    session = factory.SubFactory(ClassSessionFactory)
    studio = factory.SelfAttribute("session.studio")
    client = factory.SubFactory(ClientFactory, studio=factory.SelfAttribute("..session.studio"))
    status = BookingStatus.BOOKED
    booked_by_kind = BookedBy.STAFF


class AppointmentServiceFactory(UnscopedFactory):
    class Meta:
        model = AppointmentService

    name = factory.Sequence(lambda n: f"Massage {n}")
    duration_minutes = 60
    price_amount = 9000


class AppointmentCalendarFactory(UnscopedFactory):
    class Meta:
        model = AppointmentCalendar

    location = factory.SubFactory(LocationFactory)
    studio = factory.SelfAttribute("location.studio")
    teacher = factory.LazyAttribute(lambda o: StaffFactory(studio=o.location.studio, kind=RoleKind.TEACHER))


def offer(calendar: AppointmentCalendar, service: AppointmentService) -> None:
    with scopes_disabled():
        CalendarService.objects.create(studio=calendar.studio, calendar=calendar, service=service)


class AvailabilityFactory(UnscopedFactory):
    class Meta:
        model = Availability

    calendar = factory.SubFactory(AppointmentCalendarFactory)
    studio = factory.SelfAttribute("calendar.studio")
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)


class AppointmentFactory(UnscopedFactory):
    class Meta:
        model = Appointment

    calendar = factory.SubFactory(AppointmentCalendarFactory)
    studio = factory.SelfAttribute("calendar.studio")
    service = factory.SubFactory(AppointmentServiceFactory, studio=factory.SelfAttribute("..calendar.studio"))
    client = factory.SubFactory(ClientFactory, studio=factory.SelfAttribute("..calendar.studio"))
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=o.service.duration_minutes))
    booked_by_kind = BookedBy.STAFF
    currency = "CAD"
