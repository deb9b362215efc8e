"""Capacity under simultaneous requests: real PostgreSQL, one connection per thread."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from scheduling import services
from scheduling.models import BookedBy, Booking, BookingStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from studio.services import SYSTEM
from tests.factories import ClientFactory

THREADS = 50
CAPACITY = 20
ALREADY_BOOKED = 10


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(3))
def test_fifty_simultaneous_bookings_for_the_last_ten_spots(studio, other_studio, run):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, capacity=CAPACITY), starts_in=dt.timedelta(days=1)
    )
    for _ in range(ALREADY_BOOKED):
        BookingFactory(session=session)
    clients = [ClientFactory(studio=studio) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(client):
        try:
            start.wait(timeout=30)
            with scope(studio=studio):
                booking = services.booking_create(
                    studio=studio,
                    actor=SYSTEM,
                    session=session,
                    client=client,
                    booked_by=BookedBy.CLIENT,
                    booker=client,
                )
            with lock:
                outcomes.append(booking.status)
        except BaseException as exc:  # collected and re-raised in the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes).count(BookingStatus.BOOKED) == CAPACITY - ALREADY_BOOKED
    assert outcomes.count(BookingStatus.WAITLISTED) == THREADS - (CAPACITY - ALREADY_BOOKED)
    with scopes_disabled():
        rows = Booking.objects.filter(session=session)
        assert rows.filter(status=BookingStatus.BOOKED).count() == CAPACITY
        assert rows.filter(status=BookingStatus.WAITLISTED).count() == THREADS - (CAPACITY - ALREADY_BOOKED)
        stamps = list(rows.filter(status=BookingStatus.WAITLISTED).values_list("waitlisted_at", flat=True))
    assert len(stamps) == 40 and all(stamps)
