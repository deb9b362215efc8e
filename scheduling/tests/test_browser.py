"""Browser journeys of scheduling, in Debian's chromium (shared fixtures: tests/browser.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from scheduling.models import Booking, BookingStatus, ClassSession
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from scheduling.timeutils import local_today
from studio.permissions import RoleKind
from tests.factories import PASSWORD, ClientFactory, RoomFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def client_with_login(studio, first_name, last_name, email, language="en"):
    user = UserFactory(email=email, language=language)
    return ClientFactory(
        studio=studio, first_name=first_name, last_name=last_name, email=email, user=user, language=language
    )


def log_in_client(page, studio, email):
    page.goto(f"/{studio.slug}/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/account/")


def test_staff_create_a_template_and_a_weekly_series_and_see_it_on_the_calendar(
    page, log_in_as, studio, owner, location
):
    RoomFactory(location=location, name="Grande salle")
    StaffFactory(studio=studio, kind=RoleKind.TEACHER, display_name="Ana Souza")
    log_in_as(owner.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/manage/")
    page.click("nav >> text=Classes")
    page.click("text=New class template")
    page.fill("#id_name", "Danse contemporaine")
    page.fill("#id_default_duration_minutes", "75")
    page.fill("#id_capacity", "16")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/schedule/templates/*/")
    page.click("text=New recurring series")
    today = local_today(location.time_zone)
    page.check(f"input[name=weekdays][value='{today.weekday()}']")
    page.fill("#id_start_time", "18:30")
    page.select_option("#id_teacher", label="Ana Souza")
    page.select_option("#id_location", label="Plateau")
    page.select_option("#id_room", label="Plateau · Grande salle")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/schedule/series/*/")
    assert "Danse contemporaine" in page.inner_text("h1")
    page.click("nav >> text=Schedule")
    page.wait_for_url("**/manage/schedule/")
    card = page.locator("#calendar .day.today .session", has_text="Danse contemporaine")
    assert card.count() == 1
    assert "Ana Souza" in card.inner_text()
    # Filtering by location keeps it; the calendar swaps in place (htmx).
    page.select_option("select[name=location]", label="Plateau")
    page.wait_for_url("**location=*")
    assert page.locator("#calendar .session", has_text="Danse contemporaine").count() >= 1
    with scopes_disabled():
        assert ClassSession.objects.filter(studio=studio, template__name="Danse contemporaine").count() >= 8


def test_last_spot_then_waitlist_then_promotion_when_the_first_cancels(
    browser, live_server, studio, location
):
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Vinyasa", capacity=2),
        location=location,
        starts_in=dt.timedelta(days=2),
    )
    BookingFactory(session=session)  # one spot left
    alice = client_with_login(studio, "Alice", "Martin", "alice@example.test")
    bruno = client_with_login(studio, "Bruno", "Roy", "bruno@example.test", language="fr")
    pages = {}
    for person in (alice, bruno):
        context = browser.new_context(base_url=live_server.url, locale="en-CA")
        context.set_default_timeout(10_000)
        pages[person.pk] = context.new_page()
        log_in_client(pages[person.pk], studio, person.email)

    a, b = pages[alice.pk], pages[bruno.pk]
    a.goto(f"/{studio.slug}/schedule/{session.pk}/")
    a.click("#book button[type=submit]")
    assert "Booked" in a.inner_text(".messages")
    b.goto(f"/{studio.slug}/schedule/{session.pk}/")
    assert "liste d'attente" in b.inner_text("#book")  # Bruno reads the pages in French, his language
    b.click("#book button[type=submit]")
    b.wait_for_selector(".messages")
    with scopes_disabled():
        assert Booking.objects.get(session=session, client=bruno).status == BookingStatus.WAITLISTED

    mail.outbox.clear()
    a.goto(f"/{studio.slug}/account/")
    a.click(".bookings >> text=Cancel")
    a.wait_for_selector("text=Cancel this booking?")  # a confirmation first
    a.click("button:has-text('Cancel my booking')")
    a.wait_for_selector(".messages")
    b.goto(f"/{studio.slug}/account/")
    assert "Vinyasa" in b.inner_text(".bookings")
    assert "Réservé" in b.inner_text(".bookings")
    with scopes_disabled():
        assert Booking.objects.get(session=session, client=bruno).status == BookingStatus.BOOKED
        assert Booking.objects.get(session=session, client=alice).status == BookingStatus.CANCELLED
    assert any(m.to == ["bruno@example.test"] for m in mail.outbox)
    for p in pages.values():
        p.context.close()


def test_kiosk_check_in(page, log_in_as, studio, staff_factory, location):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    session = ClassSessionFactory(
        template=ClassTemplateFactory(studio=studio, name="Hatha doux"),
        location=location,
        starts_in=dt.timedelta(minutes=15),
        today=True,
    )
    camille = ClientFactory(
        studio=studio, first_name="Camille", last_name="Tremblay", email="camille@example.test"
    )
    booking = BookingFactory(session=session, client=camille)
    BookingFactory(
        session=session, client=ClientFactory(studio=studio, first_name="Noah", last_name="Gagnon")
    )
    log_in_as(clerk.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/kiosk/")
    page.select_option("#id_location", label="Plateau")
    page.click("text=Open the kiosk on this device")
    page.wait_for_selector(".kiosk-sessions")
    assert page.locator("a[href^='/'][href*='/manage']").count() == 0
    page.click(".kiosk-session >> text=Hatha doux")
    page.wait_for_selector("#kiosk-people")
    people = page.inner_text("#kiosk-people")
    assert "Camille T." in people and "Noah G." in people
    assert "Tremblay" not in people and "camille@example.test" not in page.content()
    page.fill("#kiosk-filter", "cam")
    assert page.locator("#kiosk-people li[data-name]:visible").count() == 1
    page.click("button.kiosk-person >> text=Camille T.")
    page.wait_for_selector(f"#person-{booking.pk} .done")
    assert "checked in" in page.inner_text(f"#person-{booking.pk}")
    with scopes_disabled():
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CHECKED_IN
    # The back office is not reachable from the kiosk tablet.
    page.goto(f"/{studio.slug}/manage/")
    assert "/login/" in page.url


def _no_error_page(page):
    body = page.content()
    assert "Traceback" not in body and "Server Error" not in body and "Erreur du serveur" not in body


def test_walk_the_schedule_in_french_with_hostile_input(page, log_in_as, studio, owner, location):
    """A French-speaking owner: extreme dates and odd ids fall back, a single class takes its template's
    length, a room too small asks for confirmation, a clash is refused, a series end error reads French."""
    from django.utils import formats, translation

    from scheduling.models import ClassSeries
    from scheduling.tests.factories import ClassSeriesFactory

    with scopes_disabled():
        owner.user.language = "fr"
        owner.user.save()
    room = RoomFactory(location=location, name="Petite salle", capacity=10)
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER, display_name="Ana Souza")
    ClassTemplateFactory(studio=studio, name="Atelier long", default_duration_minutes=75, capacity=24)
    log_in_as(owner.user.email, PASSWORD)
    for path in [
        "manage/schedule/?date=9999-12-31",
        "manage/schedule/?date=0001-01-01&view=day",
        "manage/schedule/?location=%C2%B2&teacher=%C2%B3",
        "schedule/?week=9999-12-31",
        "schedule/?location=%C2%B2",
        "manage/appointments/book/?service=%C2%B2&day=9999-12-31",
    ]:
        response = page.goto(f"/{studio.slug}/{path}")
        assert response.status < 500, path
        _no_error_page(page)
    tomorrow = local_today(location.time_zone) + dt.timedelta(days=1)
    page.goto(f"/{studio.slug}/manage/schedule/sessions/new/")
    assert page.locator("html[lang=fr]").count() == 1
    page.select_option("#id_template", label="Atelier long")
    page.fill("#id_date", tomorrow.isoformat())
    page.fill("#id_start_time", "10:00")
    page.select_option("#id_teacher", label="Ana Souza")
    page.select_option("#id_location", label="Plateau")
    page.select_option("#id_room", label="Plateau · Petite salle")
    page.click("main button[type=submit]")
    page.wait_for_selector("#id_confirm_over_room")  # 24 people in a room of 10: confirm first
    with scopes_disabled():
        assert not ClassSession.objects.filter(studio=studio).exists()
    page.check("#id_confirm_over_room")
    page.click("main button[type=submit]")
    page.wait_for_url("**/manage/schedule/sessions/*/")
    with scopes_disabled():
        session = ClassSession.objects.get(studio=studio)
    assert session.duration_minutes == 75 and session.capacity == 24 and session.room_id == room.pk
    # The same room at the same time is refused, with the reason on the form.
    page.goto(f"/{studio.slug}/manage/schedule/sessions/new/")
    page.select_option("#id_template", label="Atelier long")
    page.fill("#id_date", tomorrow.isoformat())
    page.fill("#id_start_time", "10:30")
    page.select_option("#id_teacher", index=1)
    page.select_option("#id_location", label="Plateau")
    page.select_option("#id_room", label="Plateau · Petite salle")
    page.fill("#id_capacity", "8")
    page.click("main button[type=submit]")
    page.wait_for_selector(".form-errors")
    assert "Petite salle" in page.inner_text(".form-errors")
    with scopes_disabled():
        assert ClassSession.objects.filter(studio=studio).count() == 1
    # Ending a series before it starts: the message gives the date the French way, not ISO.
    later = local_today(location.time_zone) + dt.timedelta(days=20)
    series = ClassSeriesFactory(
        template=ClassTemplateFactory(studio=studio),
        starts_on=later,
        teacher=teacher,
        location=location,
        room=RoomFactory(location=location),
    )
    page.goto(f"/{studio.slug}/manage/schedule/series/{series.pk}/")
    assert page.input_value("#id_last_date") == later.isoformat()
    page.fill("#id_last_date", (later - dt.timedelta(days=2)).isoformat())
    page.click("button.danger")
    page.wait_for_selector(".messages")
    with translation.override("fr"):
        french = formats.date_format(later, "DATE_FORMAT")
    message = page.inner_text(".messages")
    assert french in message and later.isoformat() not in message
    with scopes_disabled():
        assert ClassSeries.objects.get(pk=series.pk).ends_on is None


def test_client_sees_the_price_before_booking_an_appointment(browser, live_server, studio, location):
    from scheduling.models import Appointment
    from scheduling.tests.factories import (
        AppointmentCalendarFactory,
        AppointmentServiceFactory,
        AvailabilityFactory,
        offer,
    )

    calendar = AppointmentCalendarFactory(location=location)
    service = AppointmentServiceFactory(studio=studio, name="Massage", duration_minutes=60, price_amount=8500)
    offer(calendar, service)
    day = local_today(location.time_zone) + dt.timedelta(days=1)
    AvailabilityFactory(
        calendar=calendar, weekday=day.weekday(), start_time=dt.time(10), end_time=dt.time(12)
    )
    for language, price in (("en", "$85.00"), ("fr", "85,00 $")):
        person = client_with_login(
            studio, "Chloé", language.upper(), f"chloe-{language}@example.test", language=language
        )
        context = browser.new_context(
            base_url=live_server.url, locale="fr-CA" if language == "fr" else "en-CA"
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        log_in_client(page, studio, person.email)
        page.goto(f"/{studio.slug}/appointments/?service={service.pk}&calendar={calendar.pk}&day={day}")
        page.locator(".slots button").first.click()
        page.wait_for_selector(".confirm")
        assert price in page.inner_text(".confirm").replace("\xa0", " ")
        with scopes_disabled():
            assert not Appointment.objects.filter(client=person).exists()
        page.click(".confirm button[type=submit]")
        page.wait_for_url(f"**/{studio.slug}/account/")
        with scopes_disabled():
            assert Appointment.objects.filter(client=person).count() == 1
        context.close()
