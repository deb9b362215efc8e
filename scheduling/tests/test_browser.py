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
    return ClientFactory(studio=studio, first_name=first_name, last_name=last_name, email=email, user=user,
                         language=language)


def log_in_client(page, studio, email):
    page.goto(f"/{studio.slug}/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/account/")


def test_staff_create_a_template_and_a_weekly_series_and_see_it_on_the_calendar(page, log_in_as, studio, owner,
                                                                              location):
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


def test_last_spot_then_waitlist_then_promotion_when_the_first_cancels(browser, live_server, studio, location):
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, name="Vinyasa", capacity=2),
                                  location=location, starts_in=dt.timedelta(days=2))
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
    a.click("text=Cancel")
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
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, name="Hatha doux"), location=location,
                                  starts_in=dt.timedelta(minutes=15))
    camille = ClientFactory(studio=studio, first_name="Camille", last_name="Tremblay", email="camille@example.test")
    booking = BookingFactory(session=session, client=camille)
    BookingFactory(session=session, client=ClientFactory(studio=studio, first_name="Noah", last_name="Gagnon"))
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
