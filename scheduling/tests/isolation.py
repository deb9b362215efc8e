"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

import datetime as dt

from django_scopes import scopes_disabled

from scheduling.models import AvailabilityException, CalendarFeed
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    BookingFactory,
    ClassSeriesFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
)
from tests.factories import ClientFactory, LocationFactory


def _template(studio):
    return {"pk": ClassTemplateFactory(studio=studio).pk}


def _series(studio):
    return {"pk": ClassSeriesFactory(template=ClassTemplateFactory(studio=studio)).pk}


def _session(studio):
    return {"pk": ClassSessionFactory(template=ClassTemplateFactory(studio=studio)).pk}


def _booking(studio):
    return {
        "pk": BookingFactory(session=ClassSessionFactory(template=ClassTemplateFactory(studio=studio))).pk
    }


def _appointment(studio):
    return {
        "pk": AppointmentFactory(
            calendar=AppointmentCalendarFactory(location=LocationFactory(studio=studio))
        ).pk
    }


def _service(studio):
    return {"pk": AppointmentServiceFactory(studio=studio).pk}


def _calendar(studio):
    return {"pk": AppointmentCalendarFactory(location=LocationFactory(studio=studio)).pk}


def _availability(studio):
    return {
        "pk": AvailabilityFactory(
            calendar=AppointmentCalendarFactory(location=LocationFactory(studio=studio))
        ).pk
    }


def _exception(studio):
    calendar = AppointmentCalendarFactory(location=LocationFactory(studio=studio))
    with scopes_disabled():
        return {
            "pk": AvailabilityException.objects.create(
                studio=studio, calendar=calendar, date=dt.date(2030, 1, 1)
            ).pk
        }


def _feed(studio):
    with scopes_disabled():
        feed = CalendarFeed.objects.create(
            studio=studio, client=ClientFactory(studio=studio), token=f"feed-{studio.slug}"
        )
    return {"token": feed.token}


CASES = {
    "class-template-detail": _template,
    "class-template-edit": _template,
    "class-template-archive": _template,
    "class-series-detail": _series,
    "class-series-edit": _series,
    "class-series-end": _series,
    "class-session-detail": _session,
    "class-session-edit": _session,
    "class-session-cancel": _session,
    "class-session-book": _session,
    "class-session-client-search": _session,
    "booking-cancel": _booking,
    "booking-attendance": _booking,
    "appointment-detail": _appointment,
    "appointment-cancel": _appointment,
    "appointment-check-in": _appointment,
    "appointment-service-edit": _service,
    "appointment-calendar-detail": _calendar,
    "appointment-availability-add": _calendar,
    "appointment-availability-remove": _availability,
    "appointment-exception-add": _calendar,
    "appointment-exception-remove": _exception,
    "kiosk-session": _session,
    "kiosk-check-in": _booking,
    "public-session": _session,
    "public-session-book": _session,
    "public-calendar-feed": _feed,
    "account-booking-cancel": _booking,
    "account-booking-ics": _booking,
    "account-appointment-cancel": _appointment,
}
