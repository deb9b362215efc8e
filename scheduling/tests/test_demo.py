"""The demo schedule: realistic, idempotent, and in both demo studios."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from scheduling import demo
from scheduling.models import (
    Appointment,
    Availability,
    Booking,
    BookingStatus,
    ClassSeries,
    ClassSession,
    ClassTemplate,
)
from studio.demo import seed_core

pytestmark = pytest.mark.django_db


def _counts():
    with scopes_disabled():
        return tuple(
            m.objects.count()
            for m in (ClassTemplate, ClassSeries, ClassSession, Booking, Appointment, Availability)
        )


def test_demo_schedule_is_realistic_and_idempotent():
    studio, second = seed_core()
    demo.seed(studio=studio, second_studio=second)
    first = _counts()
    demo.seed(studio=studio, second_studio=second)
    assert _counts() == first
    now = timezone.now()
    with scopes_disabled():
        assert set(ClassTemplate.objects.filter(studio=studio).values_list("name", flat=True)) == {
            "Vinyasa",
            "Hatha doux",
            "Danse contemporaine",
            "Pilates mat",
        }
        week = ClassSession.objects.filter(
            studio=studio, starts_at__gte=now, starts_at__lt=now + timezone.timedelta(days=7)
        )
        assert week.count() >= 25
        assert set(week.exclude(location=None).values_list("location__name", flat=True)) == {
            "Montréal",
            "Laval",
        }
        bookings = Booking.objects.filter(studio=studio)
        for status in (
            BookingStatus.CHECKED_IN,
            BookingStatus.NO_SHOW,
            BookingStatus.LATE_CANCELLED,
            BookingStatus.WAITLISTED,
            BookingStatus.BOOKED,
        ):
            assert bookings.filter(status=status).exists(), status
        assert bookings.filter(client__email="client@demo.atelier.test", session__starts_at__gt=now).exists()
        assert Appointment.objects.filter(studio=studio, client__email="client@demo.atelier.test").exists()
        assert ClassSession.objects.filter(studio=second).exists()
        assert not Booking.objects.filter(studio=studio, client__studio=second).exists()
