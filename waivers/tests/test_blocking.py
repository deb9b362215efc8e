"""Booking and buying wait for the waivers they require (WAI-5), and pass right after signing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from memberships.models import Membership
from memberships.services.sales import membership_sell
from memberships.tests.factories import PlanFactory
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from scheduling import services as scheduling
from scheduling.models import Appointment, BookedBy, Booking
from scheduling.services import BookingError
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_datetime, local_today
from studio.services import SYSTEM, Actor
from tests.factories import ClientFactory, FamilyLinkFactory, UserFactory
from waivers.tests.factories import req_publish, req_require, req_sign, req_waiver

pytestmark = pytest.mark.django_db


def _book(studio, session, client, *, booker=None, by=BookedBy.CLIENT):
    with scope(studio=studio):
        return scheduling.booking_create(
            studio=studio, actor=SYSTEM, session=session, client=client, booked_by=by, booker=booker
        )


def _booked(session, client) -> bool:
    with scopes_disabled():
        return Booking.objects.filter(session=session, client=client).exists()


@pytest.fixture
def aerial(studio):
    return ClassTemplateFactory(studio=studio, name="Aerial")


@pytest.fixture
def client_waiver(studio, aerial):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client", name="Décharge client")
        req_require(waiver, "class_template", aerial.pk)
    return waiver


@translation.override("en")
def test_a_class_booking_refuses_until_signed_and_passes_right_after(
    studio, other_studio, a_client, aerial, client_waiver
):
    session = ClassSessionFactory(template=aerial)
    with pytest.raises(BookingError) as refused:
        _book(studio, session, a_client, booker=a_client)
    message = refused.value.messages[0]
    assert "Sign the waiver “Décharge client” before booking" in message
    assert "Waivers page" in message and "Sign now</a>" in message
    assert not _booked(session, a_client)
    # Another class of the studio does not ask for it.
    other_class = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, name="Yoga"))
    assert _book(studio, other_class, a_client, booker=a_client).pk
    with scope(studio=studio):
        req_sign(client_waiver, a_client)
    assert _book(studio, session, a_client, booker=a_client).status == "booked"


@translation.override("en")
def test_staff_are_told_to_sign_in_person(studio, a_client, aerial, client_waiver):
    session = ClassSessionFactory(template=aerial)
    with pytest.raises(BookingError) as refused:
        _book(studio, session, a_client, by=BookedBy.STAFF)
    assert refused.value.messages[0] == (
        "Camille Tremblay must sign the waiver “Décharge client” before booking: sign it in person or "
        "send the link from their profile."
    )


@translation.override("en")
def test_a_required_waiver_for_every_booking_applies_to_appointments(studio, a_client):
    calendar = AppointmentCalendarFactory(location__studio=studio)
    service = AppointmentServiceFactory(studio=studio, price_amount=0)
    offer(calendar, service)
    day = local_today(calendar.location.time_zone) + dt.timedelta(days=2)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(12))
    starts = local_datetime(day, dt.time(9), calendar.location.time_zone)
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client", name="Massage")
        req_require(waiver, "service", service.pk)

    def book():
        with scope(studio=studio):
            return scheduling.appointment_book(
                studio=studio,
                actor=SYSTEM,
                calendar=calendar,
                service=service,
                client=a_client,
                starts_at=starts,
                booked_by=BookedBy.CLIENT,
                booker=a_client,
            )

    with pytest.raises(BookingError) as refused:
        book()
    assert "“Massage”" in refused.value.messages[0]
    with scopes_disabled():
        assert not Appointment.objects.filter(client=a_client).exists()
    with scope(studio=studio):
        req_sign(waiver, a_client)
    assert book().pk


@translation.override("en")
def test_a_guardian_signs_the_child_waiver_for_a_dependant(studio, a_client, location):
    ben = ClientFactory(studio=studio, first_name="Ben", last_name="Tremblay", home_location=location)
    FamilyLinkFactory(guardian=a_client, dependant=ben)
    with scope(studio=studio):
        adults = req_waiver(studio, kind="client", name="Adultes")
        req_require(adults)
        child = req_waiver(studio, kind="child", name="Décharge enfant")
        req_require(child)
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio, name="Danse enfants"))
    with pytest.raises(BookingError) as refused:
        _book(studio, session, ben, booker=a_client)
    message = refused.value.messages[0]
    assert "Sign the waiver “Décharge enfant” for Ben before booking" in message and "Adultes" not in message
    # Staff booking the child are asked for the same waiver.
    with pytest.raises(BookingError) as refused:
        _book(studio, session, ben, by=BookedBy.STAFF)
    assert "“Décharge enfant”" in refused.value.messages[0]
    with scope(studio=studio):
        req_sign(child, ben, signer=a_client)
    assert _book(studio, session, ben, booker=a_client).status == "booked"
    # The guardian themself still needs the client waiver.
    with pytest.raises(BookingError):
        _book(studio, session, a_client, booker=a_client)


@translation.override("en")
def test_resign_is_asked_only_when_the_studio_asked(studio, a_client, aerial, client_waiver):
    with scope(studio=studio):
        req_sign(client_waiver, a_client)
        req_publish(client_waiver, resign_required=False)
    assert _book(studio, ClassSessionFactory(template=aerial), a_client, booker=a_client).pk
    with scope(studio=studio):
        req_publish(client_waiver, resign_required=True)
    session = ClassSessionFactory(template=aerial)
    with pytest.raises(BookingError):
        _book(studio, session, a_client, booker=a_client)
    with scope(studio=studio):
        req_sign(client_waiver, a_client)
    assert _book(studio, session, a_client, booker=a_client).pk


# --- the client's booking page ----------------------------------------------------------------


def _client_web(login, client_profile):
    user = UserFactory(email=f"wreq-{client_profile.pk}@example.test")
    with scopes_disabled():
        client_profile.user = user
        client_profile.save()
    return login(user)


def test_the_booking_page_shows_the_refusal_with_a_link_to_sign(
    login, studio, other_studio, a_client, aerial, client_waiver
):
    session = ClassSessionFactory(template=aerial, starts_in=dt.timedelta(days=3))
    web = _client_web(login, a_client)
    back = reverse("public-session", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    response = web.post(
        reverse("public-session-book", kwargs={"studio_slug": studio.slug, "pk": session.pk}),
        {"client": a_client.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Sign the waiver “Décharge client” before booking" in page
    sign = reverse("account-waiver-sign", kwargs={"studio_slug": studio.slug, "waiver_pk": client_waiver.pk})
    assert f'<a href="{sign}?next={back.replace("/", "%2F")}">Sign now</a>' in page
    assert not _booked(session, a_client)


def test_a_waiver_name_cannot_inject_html_into_the_refusal(login, studio, a_client, aerial):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client", name="<script>alert(1)</script>")
        req_require(waiver)
    session = ClassSessionFactory(template=aerial, starts_in=dt.timedelta(days=3))
    web = _client_web(login, a_client)
    page = web.post(
        reverse("public-session-book", kwargs={"studio_slug": studio.slug, "pk": session.pk}),
        {"client": a_client.pk},
        follow=True,
    ).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- membership sales -------------------------------------------------------------------------


@pytest.fixture
def accounts(make_account, studio, location):  # noqa: F811
    return make_account(studio, name="Plateau", default=True, locations=[location])


@pytest.fixture
def plan(studio):
    return PlanFactory(studio=studio, name="Unlimited monthly", price_amount=9900)


@pytest.fixture
def membership_waiver(studio, plan):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="membership", name="Décharge abonnement")
        req_require(waiver, "plan", plan.pk)
    return waiver


def _sell(studio, owner, client, plan):
    with scope(studio=studio):
        return membership_sell(
            studio=studio, actor=Actor(user=owner.user), client=client, plan=plan, tender="cash"
        )


@translation.override("en")
def test_a_membership_sale_refuses_until_signed_and_passes_right_after(
    studio,
    other_studio,
    owner,
    a_client,
    plan,
    membership_waiver,
    accounts,
    sandbox,  # noqa: F811
):
    with pytest.raises(ValidationError) as refused:
        _sell(studio, owner, a_client, plan)
    assert refused.value.messages == [
        "Camille Tremblay must sign the waiver “Décharge abonnement” before buying this plan."
    ]
    with scopes_disabled():
        assert not Membership.objects.filter(client=a_client).exists()
    # Another plan does not ask for it.
    assert _sell(studio, owner, a_client, PlanFactory(studio=studio, name="Pack")).status == "active"
    with scope(studio=studio):
        req_sign(membership_waiver, a_client, method="drawn")
    assert _sell(studio, owner, a_client, plan).status == "active"


@translation.override("en")
def test_the_sell_form_shows_the_missing_waiver_with_a_sign_in_person_link(
    owner_client,
    studio,
    a_client,
    plan,
    membership_waiver,
    accounts,
    sandbox,  # noqa: F811
):
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    page = owner_client.get(url)
    response = owner_client.post(
        url, {"plan": plan.pk, "tender": "cash", "sale_token": page.context["form"].initial["sale_token"]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "must sign the waiver “Décharge abonnement” before buying this plan" in body
    sign = reverse(
        "client-waiver-sign",
        kwargs={"studio_slug": studio.slug, "pk": a_client.pk, "waiver_pk": membership_waiver.pk},
    )
    assert f'href="{sign}' in body and "Sign in person" in body
    with scopes_disabled():
        assert not Membership.objects.filter(client=a_client).exists()


@translation.override("en")
def test_a_dependant_booking_for_themself_is_told_a_guardian_signs(studio, a_client, location):
    teen = ClientFactory(studio=studio, first_name="Zoé", home_location=location)
    FamilyLinkFactory(guardian=a_client, dependant=teen)
    with scope(studio=studio):
        child = req_waiver(studio, kind="child", name="Décharge enfant")
        req_require(child)
    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio))
    with pytest.raises(BookingError) as refused:
        _book(studio, session, teen, booker=teen)
    assert refused.value.messages == [
        "One of your guardians must sign the waiver “Décharge enfant” before you book."
    ]
