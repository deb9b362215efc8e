"""Bookings paid with memberships and class packs (SCH-4): which one pays, the credit taken and
given back, and the last credit under simultaneous bookings."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import (
    CreditUse,
    Membership,
    MembershipPeriod,
    MembershipSettings,
    MembershipStatus,
    PassStart,
    PlanClassTemplate,
    PlanKind,
    PlanService,
)
from memberships.services.entitlements import credit_return, entitlement_for
from memberships.services.periods import period_open
from memberships.tests.factories import MembershipFactory, PlanFactory
from scheduling import services
from scheduling.models import Appointment, BookedBy, Booking, BookingStatus, PaymentKind
from scheduling.services import BookingError
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentServiceFactory,
    AvailabilityFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
    offer,
)
from scheduling.timeutils import local_datetime
from studio.services import SYSTEM
from tests.factories import ClientFactory

PRICE = 2500


@pytest.fixture(autouse=True)
def _english():
    # The refusals are asserted in English; the project's default language is French.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def eager(celery_eager):
    """The credit-return task runs in-process once the cancel commits."""
    return celery_eager


def today() -> dt.date:
    return timezone.localdate()


def priced_session(studio, *, days: int = 1, price: int = PRICE, template=None, **kwargs):
    template = template or ClassTemplateFactory(studio=studio, drop_in_price=price)
    return ClassSessionFactory(template=template, starts_in=dt.timedelta(days=days), **kwargs)


def pack(client, *, credits: int = 10, expires_in: int | None = None, **kwargs) -> Membership:
    plan = PlanFactory(
        studio=client.studio, pack=True, pack_credits=credits, pack_expires_after_days=expires_in, **kwargs
    )
    return MembershipFactory(client=client, plan=plan)


def subscription(client, **kwargs) -> Membership:
    plan_fields = {k[5:]: kwargs.pop(k) for k in list(kwargs) if k.startswith("plan_")}
    return MembershipFactory(client=client, plan=PlanFactory(studio=client.studio, **plan_fields), **kwargs)


def book(studio, session, client, **kwargs) -> Booking:
    kwargs.setdefault("booked_by", BookedBy.STAFF)
    with scope(studio=studio):
        return services.booking_create(studio=studio, actor=SYSTEM, session=session, client=client, **kwargs)


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def uses_of(membership) -> list[CreditUse]:
    with scopes_disabled():
        return list(CreditUse.objects.filter(membership=membership))


# --- which entitlement pays -------------------------------------------------------------------


def _case_membership_before_pack(client):
    sub = subscription(client, plan_credits_per_period=8)
    pack(client, expires_in=5)
    return sub


def _case_soonest_expiring_pack(client):
    pack(client, expires_in=60)
    soon = pack(client, expires_in=10)
    pack(client, expires_in=None)
    return soon


def _case_never_expiring_pack_last(client):
    pack(client, expires_in=None)
    return pack(client, expires_in=90)


def _case_empty_pack_skipped(client):
    empty = pack(client, expires_in=3)
    with scopes_disabled():
        Membership.objects.filter(pk=empty.pk).update(credits_remaining=0)
    return pack(client, expires_in=30)


def _case_archived_plan_still_pays(client):
    held = subscription(client, plan_archived_at=timezone.now())
    return held


def _case_named_template(client, template):
    plan = PlanFactory(studio=client.studio, all_classes=False)
    with scopes_disabled():
        PlanClassTemplate.objects.create(studio=client.studio, plan=plan, template=template)
    return MembershipFactory(client=client, plan=plan)


def _case_other_template_refused(client, template):
    plan = PlanFactory(studio=client.studio, all_classes=False)
    with scopes_disabled():
        PlanClassTemplate.objects.create(
            studio=client.studio, plan=plan, template=ClassTemplateFactory(studio=client.studio)
        )
    MembershipFactory(client=client, plan=plan)
    return None


def _case_outside_period(client):
    # Credits count per period: a renewal not yet made does not pay for the next period's class.
    subscription(
        client,
        started_on=today() - dt.timedelta(days=40),
        current_period_end=today(),
        plan_credits_per_period=8,
    )
    return None


def _case_unlimited_renewing_pays_next_period(client):
    # Unlimited and renewing: next week's class is booked before the night's renewal.
    return subscription(client, started_on=today() - dt.timedelta(days=40), current_period_end=today())


def _case_ending_at_period_end_refused_after(client):
    subscription(
        client,
        started_on=today() - dt.timedelta(days=40),
        current_period_end=today(),
        cancel_at_period_end=True,
        next_renewal_on=None,
    )
    return None


def _case_paused(client):
    subscription(client, paused_from=today(), paused_until=today() + dt.timedelta(days=14))
    return None


def _case_paused_status(client):
    subscription(client, status=MembershipStatus.PAUSED)
    return None


def _case_paused_now_class_after_the_pause(client):
    # Paused today for one day; the class is in two days (the period was lengthened by the pause).
    return subscription(
        client,
        status=MembershipStatus.PAUSED,
        paused_from=today(),
        paused_until=today() + dt.timedelta(days=1),
    )


def _case_pause_over_before_the_class(client):
    return subscription(
        client, paused_from=today() - dt.timedelta(days=10), paused_until=today() + dt.timedelta(days=1)
    )


def _case_cancelled_refused(client):
    subscription(client, status=MembershipStatus.CANCELLED)
    return None


def _case_past_due_allowed(client):
    return subscription(client, status=MembershipStatus.PAST_DUE)


def _case_past_due_blocked(client):
    with scopes_disabled():
        MembershipSettings.objects.update_or_create(
            studio=client.studio, defaults={"past_due_bookings": "block"}
        )
    subscription(client, status=MembershipStatus.PAST_DUE)
    return None


def _case_past_due_blocked_falls_back_to_pack(client):
    with scopes_disabled():
        MembershipSettings.objects.update_or_create(
            studio=client.studio, defaults={"past_due_bookings": "block"}
        )
    subscription(client, status=MembershipStatus.PAST_DUE)
    return pack(client)


CASES = {
    "membership before pack": _case_membership_before_pack,
    "soonest-expiring pack first": _case_soonest_expiring_pack,
    "never-expiring pack last": _case_never_expiring_pack_last,
    "empty pack skipped": _case_empty_pack_skipped,
    "archived plan still pays its holders": _case_archived_plan_still_pays,
    "plan naming the class template": _case_named_template,
    "plan naming another template refused": _case_other_template_refused,
    "class after the current period refused": _case_outside_period,
    "unlimited and renewing pays the next period": _case_unlimited_renewing_pays_next_period,
    "ending at period end refused after it": _case_ending_at_period_end_refused_after,
    "class inside a pause refused": _case_paused,
    "paused membership refused": _case_paused_status,
    "pause over before the class": _case_pause_over_before_the_class,
    "paused now, class after the pause": _case_paused_now_class_after_the_pause,
    "cancelled membership refused": _case_cancelled_refused,
    "past due allowed by the studio": _case_past_due_allowed,
    "past due blocked by the studio": _case_past_due_blocked,
    "past due blocked, a pack pays": _case_past_due_blocked_falls_back_to_pack,
}


@pytest.mark.parametrize("case", list(CASES))
def test_which_entitlement_pays(studio, other_studio, case):
    client = ClientFactory(studio=studio, first_name="Anna", last_name="Roy")
    template = ClassTemplateFactory(studio=studio, drop_in_price=PRICE)
    build = CASES[case]
    expected = build(client, template) if build.__code__.co_argcount == 2 else build(client)
    session = priced_session(studio, days=2, template=template)
    with scope(studio=studio):
        found = entitlement_for(client=client, template_id=template.pk, on=session.local_start.date())
    assert (found.membership.pk if found else None) == (expected.pk if expected else None)
    if expected is None:
        with pytest.raises(BookingError, match="Nothing Anna Roy holds pays for this class"):
            book(studio, session, client)
        with scopes_disabled():
            assert not Booking.objects.filter(client=client).exists()
    else:
        booking = book(studio, session, client)
        assert booking.payment_ref == f"membership:{expected.pk}"
        kind = PaymentKind.CLASS_PACK if expected.plan.kind == PlanKind.PACK else PaymentKind.MEMBERSHIP
        assert booking.payment_kind == kind


def test_a_refusal_says_why_the_covering_membership_cannot_pay(studio, other_studio):
    client = ClientFactory(studio=studio, first_name="Anna", last_name="Roy")
    held = pack(client, credits=1)
    with scopes_disabled():
        Membership.objects.filter(pk=held.pk).update(credits_remaining=0)
    with pytest.raises(BookingError) as refused:
        book(studio, priced_session(studio), client)
    assert f"{held.plan.name} has no credits left." in str(refused.value.messages[0])


def test_the_client_is_told_to_buy_a_plan(studio, other_studio):
    guardian = ClientFactory(studio=studio)
    with pytest.raises(BookingError, match="Nothing you hold pays for this class: buy a membership"):
        book(studio, priced_session(studio), guardian, booked_by=BookedBy.CLIENT, booker=guardian)


def test_another_studios_membership_never_pays(studio, other_studio):
    client = ClientFactory(studio=studio)
    stranger = ClientFactory(studio=other_studio)
    pack(stranger)
    with pytest.raises(BookingError):
        book(studio, priced_session(studio), client)


# --- the credit taken ---------------------------------------------------------------------------


def test_a_pack_credit_is_taken_and_recorded(studio, other_studio):
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    booking = book(studio, priced_session(studio), client)
    assert fresh(held).credits_remaining == 9
    [use] = uses_of(held)
    assert (use.booking_kind, use.booking_id, use.credits, use.returned_at) == ("class", booking.pk, 1, None)


def test_an_unlimited_membership_records_the_use_without_a_credit(studio, other_studio):
    client = ClientFactory(studio=studio)
    held = subscription(client)
    assert held.credits_remaining is None
    book(studio, priced_session(studio), client)
    assert fresh(held).credits_remaining is None
    assert [u.credits for u in uses_of(held)] == [0]


def test_a_free_class_is_complimentary_and_uses_no_credit(studio, other_studio):
    client = ClientFactory(studio=studio)
    held = pack(client)
    booking = book(studio, priced_session(studio, price=0), client)
    assert (booking.payment_kind, booking.payment_ref) == (PaymentKind.COMPLIMENTARY, "")
    assert fresh(held).credits_remaining == 10 and not uses_of(held)


def test_staff_choosing_complimentary_skips_the_payers(studio, other_studio):
    client = ClientFactory(studio=studio)  # holds nothing: a payer would refuse
    held = pack(ClientFactory(studio=studio))
    booking = book(studio, priced_session(studio), client, payment_kind=PaymentKind.COMPLIMENTARY)
    assert booking.payment_kind == PaymentKind.COMPLIMENTARY
    assert not uses_of(held)


def test_a_waitlist_place_holds_the_credit_and_promotion_keeps_it(studio, other_studio):
    session = priced_session(
        studio, template=ClassTemplateFactory(studio=studio, capacity=1, drop_in_price=PRICE)
    )
    first, second = ClientFactory(studio=studio), ClientFactory(studio=studio)
    pack(first)
    held = pack(second, credits=3)
    booked = book(studio, session, first)
    waiting = book(studio, session, second)
    assert waiting.status == BookingStatus.WAITLISTED
    assert fresh(held).credits_remaining == 2
    with scope(studio=studio):
        services.booking_cancel(studio=studio, actor=SYSTEM, booking=booked, by_staff=True)
    assert fresh(waiting).status == BookingStatus.BOOKED
    assert fresh(held).credits_remaining == 2
    assert [u.returned_at for u in uses_of(held)] == [None]


def test_a_pass_from_first_use_opens_its_period_on_the_class_date(studio, other_studio):
    client = ClientFactory(studio=studio)
    plan = PlanFactory(studio=studio, pass_=True, pass_start=PassStart.FIRST_USE, interval_count=30)
    held = MembershipFactory(
        client=client,
        plan=plan,
        started_on=None,
        anchor_day=None,
        current_period_start=None,
        current_period_end=None,
        next_renewal_on=None,
    )
    session = priced_session(studio, days=5)
    booking = book(studio, session, client)
    held = fresh(held)
    class_day = session.local_start.date()
    assert booking.payment_kind == PaymentKind.MEMBERSHIP
    assert (held.current_period_start, held.current_period_end) == (
        class_day,
        class_day + dt.timedelta(days=30),
    )
    with scopes_disabled():
        assert MembershipPeriod.objects.filter(membership=held, starts_on=class_day).count() == 1


# --- the credit given back ----------------------------------------------------------------------


def cancel(studio, booking, *, by_staff=True, waive=False, now=None):
    with scope(studio=studio):
        return services.booking_cancel(
            studio=studio, actor=SYSTEM, booking=booking, by_staff=by_staff, waive_late_cancel=waive, now=now
        )


def test_cancelling_before_the_class_returns_the_credit_once(
    studio, other_studio, django_capture_on_commit_callbacks
):
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    booking = book(studio, priced_session(studio, days=3), client)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking, by_staff=False)
    assert fresh(held).credits_remaining == 10
    [use] = uses_of(held)
    assert use.returned_at is not None
    with scope(studio=studio):  # a duplicate event gives nothing twice
        assert credit_return(studio=studio, booking_kind="class", booking_id=booking.pk) is False
    assert fresh(held).credits_remaining == 10


def test_a_late_cancel_keeps_the_credit_used(studio, other_studio, django_capture_on_commit_callbacks):
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    session = priced_session(studio, days=1)
    booking = book(studio, session, client)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = cancel(studio, booking, by_staff=False, now=session.starts_at - dt.timedelta(minutes=5))
    assert cancelled.status == BookingStatus.LATE_CANCELLED
    assert fresh(held).credits_remaining == 9
    assert [u.returned_at for u in uses_of(held)] == [None]


def test_staff_waiving_the_late_cancel_return_the_credit(
    studio, other_studio, django_capture_on_commit_callbacks
):
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    session = priced_session(studio, days=1)
    booking = book(studio, session, client)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking, waive=True, now=session.starts_at - dt.timedelta(minutes=5))
    assert fresh(held).credits_remaining == 10


def test_a_class_cancelled_by_the_studio_returns_every_credit(
    studio, other_studio, django_capture_on_commit_callbacks
):
    session = priced_session(studio, days=2)
    holders = [pack(ClientFactory(studio=studio), credits=4) for _ in range(3)]
    for held in holders:
        book(studio, session, held.client)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(studio=studio, actor=SYSTEM, session=session)
    assert [fresh(h).credits_remaining for h in holders] == [4, 4, 4]


def test_leaving_the_waitlist_or_its_expiry_returns_the_credit(
    studio, other_studio, django_capture_on_commit_callbacks
):
    template = ClassTemplateFactory(studio=studio, capacity=1, drop_in_price=PRICE)
    session = priced_session(studio, template=template, days=1)
    book(studio, session, pack(ClientFactory(studio=studio)).client)
    leaving, staying = (
        pack(ClientFactory(studio=studio), credits=5),
        pack(ClientFactory(studio=studio), credits=5),
    )
    left = book(studio, session, leaving.client)
    book(studio, session, staying.client)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, left, by_staff=False)
    assert fresh(leaving).credits_remaining == 5
    assert fresh(staying).credits_remaining == 4
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.attendance_mark_no_shows(studio=studio, now=session.ends_at + dt.timedelta(minutes=1))
    assert fresh(staying).credits_remaining == 5


def test_no_credit_comes_back_into_a_period_renewed_since(
    studio, other_studio, django_capture_on_commit_callbacks
):
    client = ClientFactory(studio=studio)
    held = subscription(client, plan_credits_per_period=8)
    booking = book(studio, priced_session(studio, days=3), client)
    assert fresh(held).credits_remaining == 7
    with scope(studio=studio):  # the renewal engine opens the next period: 8 credits afresh
        membership = Membership.objects.select_for_update().select_related("plan").get(pk=held.pk)
        start = membership.current_period_end
        period_open(
            membership=membership,
            starts_on=start,
            ends_on=start + dt.timedelta(days=30),
            kind=MembershipPeriod.Kind.RENEWAL,
        )
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking)
    assert fresh(held).credits_remaining == 8  # not 9
    assert uses_of(held)[0].returned_at is not None


def test_a_return_never_exceeds_what_the_period_granted(studio, other_studio):
    client = ClientFactory(studio=studio)
    held = subscription(client, plan_credits_per_period=8)
    with scope(studio=studio):
        period_open(
            membership=Membership.objects.select_related("plan").get(pk=held.pk),
            starts_on=held.current_period_start,
            ends_on=held.current_period_end,
            kind=MembershipPeriod.Kind.PURCHASE,
        )
    booking = book(studio, priced_session(studio, days=3), client)
    with scopes_disabled():  # staff topped the client up by hand meanwhile
        Membership.objects.filter(pk=held.pk).update(credits_remaining=8)
    with scope(studio=studio):
        assert credit_return(studio=studio, booking_kind="class", booking_id=booking.pk)
    assert fresh(held).credits_remaining == 8


# --- appointments -------------------------------------------------------------------------------


def _appointment_setup(studio):
    calendar = AppointmentCalendarFactory(location__studio=studio)
    service = AppointmentServiceFactory(studio=studio, price_amount=9000)
    offer(calendar, service)
    day = today() + dt.timedelta(days=3)
    AvailabilityFactory(calendar=calendar, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(17))
    return calendar, service, local_datetime(day, dt.time(10), calendar.location.time_zone)


def _book_appointment(studio, calendar, service, client, starts_at) -> Appointment:
    with scope(studio=studio):
        return services.appointment_book(
            studio=studio,
            actor=SYSTEM,
            calendar=calendar,
            service=service,
            client=client,
            starts_at=starts_at,
            booked_by=BookedBy.STAFF,
        )


def test_an_appointment_is_paid_by_a_plan_covering_its_service(
    studio, other_studio, django_capture_on_commit_callbacks
):
    calendar, service, starts_at = _appointment_setup(studio)
    client = ClientFactory(studio=studio)
    pack(client, credits=5)  # classes only: does not cover the service
    plan = PlanFactory(studio=studio, pack=True, pack_credits=3, all_services=False)
    with scopes_disabled():
        PlanService.objects.create(studio=studio, plan=plan, service=service)
    held = MembershipFactory(client=client, plan=plan, current_period_end=today() + dt.timedelta(days=200))
    appointment = _book_appointment(studio, calendar, service, client, starts_at)
    assert (appointment.payment_kind, appointment.payment_ref) == (
        PaymentKind.CLASS_PACK,
        f"membership:{held.pk}",
    )
    assert fresh(held).credits_remaining == 2
    assert [(u.booking_kind, u.booking_id) for u in uses_of(held)] == [("appointment", appointment.pk)]
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(studio=studio, actor=SYSTEM, appointment=appointment, by_staff=True)
    assert fresh(held).credits_remaining == 3


def test_an_appointment_nothing_covers_is_left_to_pay_at_the_visit(studio, other_studio):
    calendar, service, starts_at = _appointment_setup(studio)
    client = ClientFactory(studio=studio)
    held = pack(client)  # a class pack: every class, no appointment
    appointment = _book_appointment(studio, calendar, service, client, starts_at)
    assert appointment.payment_kind == PaymentKind.COMPLIMENTARY and appointment.price_amount == 9000
    assert not uses_of(held)


# --- the last credit, twenty bookings at once ---------------------------------------------------

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_bookings_against_the_last_credit(studio, other_studio):
    client = ClientFactory(studio=studio)
    held = pack(client, credits=1)
    template = ClassTemplateFactory(studio=studio, drop_in_price=PRICE)
    sessions = [priced_session(studio, template=template, days=1 + i) for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    booked: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(session):
        try:
            start.wait(timeout=30)
            # A new thread starts in the default language (French): read the refusal in English.
            with scope(studio=studio), translation.override("en"):
                booking = services.booking_create(
                    studio=studio,
                    actor=SYSTEM,
                    session=session,
                    client=client,
                    booked_by=BookedBy.CLIENT,
                    booker=client,
                )
            with lock:
                booked.append(booking.pk)
        except BookingError as exc:
            with lock:
                refused.append(str(exc.messages[0]))
        except BaseException as exc:  # collected and re-raised in the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(booked) == 1 and len(refused) == THREADS - 1
    assert all("Nothing you hold pays for this class" in r for r in refused)
    with scopes_disabled():
        assert Membership.objects.get(pk=held.pk).credits_remaining == 0
        assert Booking.objects.filter(client=client).count() == 1
        assert list(CreditUse.objects.filter(membership=held).values_list("booking_id", flat=True)) == booked


# --- pages --------------------------------------------------------------------------------------


def test_the_roster_search_and_the_class_page_say_which_membership_pays(
    owner_client, login, studio, other_studio
):
    from django.urls import reverse

    anna = ClientFactory(studio=studio, first_name="Anna", last_name="Gagnon")
    marc = ClientFactory(studio=studio, first_name="Marc", last_name="Gagnon")
    held = pack(anna, credits=3, name="10-class pack")
    session = priced_session(studio, days=2)
    search = reverse("class-session-client-search", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    page = owner_client.get(search + "?q=gagnon").content.decode()
    assert "Paid with: 10-class pack, 3 credits left" in page
    assert "Nothing Marc Gagnon holds pays for this class" in page
    assert fresh(held).credits_remaining == 3  # a preview takes nothing

    from tests.factories import UserFactory

    user = UserFactory(email="anna@example.test")
    with scopes_disabled():
        anna.user = user
        anna.save()
    web = login(user)
    public = web.get(reverse("public-session", kwargs={"studio_slug": studio.slug, "pk": session.pk}))
    assert "Paid with: 10-class pack, 3 credits left" in public.content.decode()
    assert marc.pk  # Marc holds nothing: the staff page said so


def test_the_sweep_returns_credits_whose_event_was_lost_and_keeps_late_ones(studio, other_studio):
    from memberships.tasks.credits import return_lost_credits_all_studios

    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    in_time = book(studio, priced_session(studio, days=3), client)
    late_session = priced_session(studio, days=1)
    late = book(studio, late_session, client)
    kept = book(studio, priced_session(studio, days=4), client)
    # No on-commit callbacks run here (the test's transaction never commits): the events are lost.
    cancel(studio, in_time, by_staff=False)
    cancel(studio, late, by_staff=False, now=late_session.starts_at - dt.timedelta(minutes=5))
    assert fresh(held).credits_remaining == 7
    assert return_lost_credits_all_studios.apply().get() >= 2  # fanned out to both studios
    assert fresh(held).credits_remaining == 8
    returned = {u.booking_id for u in uses_of(held) if u.returned_at}
    assert returned == {in_time.pk} and kept.pk not in returned
