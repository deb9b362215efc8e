"""The booking payer seam (SCH-4), tested with payers of the test's own: scheduling knows no
membership. Only the test's payer is registered here (memberships' own is set aside)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from scheduling import services
from scheduling.models import Appointment, BookedBy, Booking, BookingStatus, ClassTemplate, PaymentKind
from scheduling.services import APPOINTMENT, CLASS, BookingError, BookingPayment, checks
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_datetime, local_today
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory, UserFactory


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


class Wallet:
    """A payer for tests: `credits` per client pk; pays "Test pack" while some are left."""

    def __init__(self, **credits):
        self.credits = {int(k[1:]): v for k, v in credits.items()}
        self.asked: list = []
        self.taken: list[tuple[str, int, bool]] = []

    def __call__(self, attempt):
        self.asked.append(attempt)
        if attempt.price_amount <= 0:
            return None
        left = self.credits.get(attempt.client.pk)
        if left is None:
            return None
        if left <= 0:
            return "Nothing pays for this."

        def take(row):
            # Inside booking_create's transaction, after the row is saved.
            self.taken.append((attempt.kind, row.pk, connection.in_atomic_block))
            self.credits[attempt.client.pk] -= 1

        return BookingPayment(
            kind=PaymentKind.CLASS_PACK, ref=f"wallet:{attempt.client.pk}", label="Test pack", take=take
        )


@pytest.fixture
def wallet(monkeypatch):
    def install(**credits):
        payer = Wallet(**credits)
        monkeypatch.setattr(checks, "_PAYERS", {"test.wallet": payer})
        return payer

    return install


def book(studio, session, client, **kwargs):
    kwargs.setdefault("booked_by", BookedBy.STAFF)
    with scope(studio=studio):
        return services.booking_create(studio=studio, actor=SYSTEM, session=session, client=client, **kwargs)


def priced(studio, price=1500, **kwargs):
    return ClassSessionFactory(template=ClassTemplateFactory(studio=studio, drop_in_price=price, **kwargs))


def test_a_payer_pays_and_takes_inside_the_booking_transaction(studio, other_studio, wallet):
    client = ClientFactory(studio=studio)
    payer = wallet(**{f"c{client.pk}": 2})
    session = priced(studio)
    booking = book(studio, session, client)
    assert (booking.payment_kind, booking.payment_ref) == (PaymentKind.CLASS_PACK, f"wallet:{client.pk}")
    assert payer.taken == [(CLASS, booking.pk, True)]
    attempt = payer.asked[0]
    assert (attempt.template_id, attempt.price_amount, attempt.dry_run) == (session.template_id, 1500, False)
    assert attempt.local_date == session.local_start.date()


def test_a_payer_refusal_refuses_the_booking(studio, other_studio, wallet):
    client = ClientFactory(studio=studio)
    wallet(**{f"c{client.pk}": 0})
    with pytest.raises(BookingError, match="Nothing pays for this"):
        book(studio, priced(studio), client)
    with scopes_disabled():
        assert not Booking.objects.filter(client=client).exists()


def test_a_take_that_fails_books_nothing(studio, other_studio, monkeypatch):
    def payer(attempt):
        def take(row):
            raise BookingError("The last credit was just used.")

        return BookingPayment(kind=PaymentKind.MEMBERSHIP, ref="x:1", take=take)

    monkeypatch.setattr(checks, "_PAYERS", {"test.failing": payer})
    client = ClientFactory(studio=studio)
    with pytest.raises(BookingError, match="last credit"):
        book(studio, priced(studio), client)
    with scopes_disabled():
        assert not Booking.objects.filter(client=client).exists()


def test_an_explicit_payment_skips_the_payers_and_no_say_is_complimentary(studio, other_studio, wallet):
    client, stranger = ClientFactory(studio=studio), ClientFactory(studio=studio)
    payer = wallet(**{f"c{client.pk}": 0})
    comp = book(studio, priced(studio), client, payment_kind=PaymentKind.COMPLIMENTARY)
    drop_in = book(studio, priced(studio), client, payment_kind=PaymentKind.DROP_IN, payment_ref="payment:9")
    assert not payer.asked
    assert comp.payment_kind == PaymentKind.COMPLIMENTARY
    assert (drop_in.payment_kind, drop_in.payment_ref) == (PaymentKind.DROP_IN, "payment:9")
    assert book(studio, priced(studio), stranger).payment_kind == PaymentKind.COMPLIMENTARY


def test_a_waitlist_place_is_paid_when_it_is_taken(studio, other_studio, wallet):
    first, second = ClientFactory(studio=studio), ClientFactory(studio=studio)
    payer = wallet(**{f"c{first.pk}": 1, f"c{second.pk}": 1})
    session = priced(studio, capacity=1)
    book(studio, session, first)
    waiting = book(studio, session, second)
    assert waiting.status == BookingStatus.WAITLISTED and waiting.payment_kind == PaymentKind.CLASS_PACK
    assert payer.asked[-1].waitlist is True and payer.credits[second.pk] == 0


def test_an_appointment_asks_the_payers_with_its_service(studio, other_studio, wallet):
    client = ClientFactory(studio=studio)
    payer = wallet(**{f"c{client.pk}": 1})
    calendar = AppointmentCalendarFactory(location__studio=studio)
    service = AppointmentServiceFactory(studio=studio, price_amount=7000)
    offer(calendar, service)
    day = local_today(calendar.location.time_zone) + dt.timedelta(days=2)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(12))
    starts = local_datetime(day, dt.time(9), calendar.location.time_zone)
    with scope(studio=studio):
        appointment = services.appointment_book(
            studio=studio,
            actor=SYSTEM,
            calendar=calendar,
            service=service,
            client=client,
            starts_at=starts,
            booked_by=BookedBy.STAFF,
        )
    attempt = payer.asked[0]
    assert (attempt.kind, attempt.service_id, attempt.price_amount, attempt.local_date) == (
        APPOINTMENT,
        service.pk,
        7000,
        day,
    )
    assert payer.taken == [(APPOINTMENT, appointment.pk, True)]
    with scopes_disabled():
        assert Appointment.objects.get(pk=appointment.pk).payment_kind == PaymentKind.CLASS_PACK


# --- pages ------------------------------------------------------------------------------------


def test_staff_see_what_pays_and_only_schedule_managers_book_as_complimentary(
    login, owner, studio, other_studio, staff_factory, wallet
):
    paying = ClientFactory(studio=studio, first_name="Anna", last_name="Tremblay")
    broke = ClientFactory(studio=studio, first_name="Marc", last_name="Tremblay")
    wallet(**{f"c{paying.pk}": 3, f"c{broke.pk}": 0})
    session = priced(studio, capacity=5)
    search = url(studio, "class-session-client-search", pk=session.pk) + "?q=tremblay"
    owner_client = login(owner.user)
    page = owner_client.get(search).content.decode()
    assert "Paid with: Test pack" in page and "Nothing pays for this." in page
    assert page.count('name="complimentary"') == 2
    with scopes_disabled():
        ClassTemplate.objects.filter(pk=session.template_id).update(drop_in_price=0)
    assert 'name="complimentary"' not in owner_client.get(search).content.decode()  # a free class
    with scopes_disabled():
        ClassTemplate.objects.filter(pk=session.template_id).update(drop_in_price=1500)

    clerk = login(staff_factory(RoleKind.FRONT_DESK).user)
    assert 'name="complimentary"' not in clerk.get(search).content.decode()
    response = clerk.post(
        url(studio, "class-session-book", pk=session.pk), {"client": broke.pk, "complimentary": "1"}
    )
    assert response.status_code == 403
    refused = clerk.post(url(studio, "class-session-book", pk=session.pk), {"client": broke.pk}, follow=True)
    assert "Nothing pays for this." in refused.content.decode()
    with scopes_disabled():
        assert not Booking.objects.filter(client=broke).exists()

    owner = login(owner.user)  # the same test client, signed in as the owner again
    owner.post(url(studio, "class-session-book", pk=session.pk), {"client": broke.pk, "complimentary": "1"})
    paid = owner.post(url(studio, "class-session-book", pk=session.pk), {"client": paying.pk}, follow=True)
    assert "Anna Tremblay is booked, paid with their class pack credit." in paid.content.decode()
    with scopes_disabled():
        assert Booking.objects.get(client=broke).payment_kind == PaymentKind.COMPLIMENTARY
        assert Booking.objects.get(client=paying).payment_kind == PaymentKind.CLASS_PACK
    assert (
        "Class pack credit" in owner.get(url(studio, "class-session-detail", pk=session.pk)).content.decode()
    )


def _client_login(login, client_profile):
    user = UserFactory(email=f"payer-{client_profile.pk}@example.test")
    with scopes_disabled():
        client_profile.user = user
        client_profile.save()
    return login(user)


def test_a_client_sees_what_pays_or_why_nothing_does_before_booking(login, studio, other_studio, wallet):
    paying, broke = ClientFactory(studio=studio), ClientFactory(studio=studio)
    payer = wallet(**{f"c{paying.pk}": 2, f"c{broke.pk}": 0})
    session = priced(studio)
    page = _client_login(login, paying).get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert (
        "Paid with: Test pack" in page
        and 'action="' + url(studio, "public-session-book", pk=session.pk) in page
    )
    assert payer.asked[-1].dry_run is True and payer.credits[paying.pk] == 2  # a preview takes nothing
    page = _client_login(login, broke).get(url(studio, "public-session", pk=session.pk)).content.decode()
    assert "Nothing pays for this." in page
    assert url(studio, "public-session-book", pk=session.pk) not in page


def test_the_drop_in_price_reads_french_decimals(owner_client, studio, other_studio):
    owner_client.cookies["django_language"] = "fr"
    response = owner_client.post(
        url(studio, "class-template-create"),
        {
            "name": "Yoga chaud",
            "default_duration_minutes": 60,
            "capacity": 12,
            "colour": "#aa3355",
            "drop_in_price": "22,50",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 302
    with scopes_disabled():
        template = ClassTemplate.objects.get(studio=studio, name="Yoga chaud")
    assert template.drop_in_price == 2250
    page = owner_client.get(url(studio, "class-template-detail", pk=template.pk), HTTP_ACCEPT_LANGUAGE="fr")
    assert "22,50" in page.content.decode()
    edit = owner_client.get(url(studio, "class-template-edit", pk=template.pk), HTTP_ACCEPT_LANGUAGE="fr")
    assert 'value="22,50"' in edit.content.decode()
    refused = owner_client.post(
        url(studio, "class-template-edit", pk=template.pk),
        {
            "name": "Yoga chaud",
            "default_duration_minutes": 60,
            "capacity": 12,
            "colour": "#aa3355",
            "drop_in_price": "-3",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 200
    with scopes_disabled():
        assert ClassTemplate.objects.get(pk=template.pk).drop_in_price == 2250
