"""What a cancel gives back under the cancellation policy (POL-1): the outcomes table for seed
001's example and its variants, the worker applying it (once, with the cancel's own time), and
every cancel page saying it before the client or staff confirm."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from memberships.models import (
    CancelCreditGrant,
    CreditReturn,
    CreditUse,
    Membership,
    PenaltyRule,
    PenaltyRulePlan,
    PenaltyTrigger,
    PolicySettings,
)
from memberships.services.cancel_policy import cancel_outcome
from memberships.services.entitlements import cancel_settle, credit_returns_sweep
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.models import CreditEntry, Payment
from scheduling import services
from scheduling.models import Appointment, BookedBy, Booking, BookingStatus, PaymentKind
from scheduling.services import cancel_outcome_registered, cancel_outcomes_describe
from scheduling.tests.factories import (
    AppointmentCalendarFactory,
    AppointmentFactory,
    AppointmentServiceFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
)
from studio.services import SYSTEM
from tests.factories import ClientFactory, UserFactory

PRICE = 2000  # $20.00: seed 001's card-paid class


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def set_policy(studio, *, classes=CreditReturn.BEFORE_CUTOFF, class_hours=24, appointments=None, hours=24):
    with scopes_disabled():
        PolicySettings.objects.update_or_create(
            studio=studio,
            defaults={
                "class_credit_return": classes,
                "class_cutoff_hours": class_hours,
                "appointment_credit_return": appointments or classes,
                "appointment_cutoff_hours": hours,
                "saved_at": timezone.now(),
            },
        )


_names = itertools.count(1)


def session_in(studio, *, hours: float, price: int = PRICE):
    template = ClassTemplateFactory(studio=studio, drop_in_price=price, name=f"Flow yoga {next(_names)}")
    return ClassSessionFactory(template=template, starts_in=dt.timedelta(hours=hours))


def pack(client, *, credits=10, name="10-class pack") -> Membership:
    plan = PlanFactory(studio=client.studio, pack=True, pack_credits=credits, name=name)
    return MembershipFactory(client=client, plan=plan)


def unlimited(client, name="Monthly unlimited") -> Membership:
    return MembershipFactory(client=client, plan=PlanFactory(studio=client.studio, name=name))


def card_payment(studio, client, amount=PRICE) -> Payment:
    with scopes_disabled():
        n = Payment.objects.count()
        return Payment.objects.create(
            studio=studio,
            client=client,
            amount=amount,
            currency=studio.currency,
            subtotal=amount,
            routing_rule="client_home_location",
            channel="online",
            item_kind="class_booking",
            description="Drop-in",
            method=Payment.Method.CARD,
            idempotency_key=f"dropin:{n}",
            status=Payment.Status.SUCCEEDED,
        )


def book(studio, session, client, **kwargs) -> Booking:
    kwargs.setdefault("booked_by", BookedBy.STAFF)
    with scope(studio=studio):
        return services.booking_create(studio=studio, actor=SYSTEM, session=session, client=client, **kwargs)


def book_by_card(studio, session, client) -> Booking:
    payment = card_payment(studio, client)
    return book(
        studio, session, client, payment_kind=PaymentKind.DROP_IN, payment_ref=f"payment:{payment.pk}"
    )


def ask(studio, booking, *, hours_before: float, by="client", waive=False):
    """The page's question: what would cancelling `hours_before` the class give back?"""
    with scope(studio=studio):
        row = Booking.objects.select_related("session__template").get(pk=booking.pk)
        return cancel_outcome(
            studio=studio,
            event_kind="class",
            booking=row,
            now=row.session.starts_at - dt.timedelta(hours=hours_before),
            by=by,
            waive_late=waive,
        )


def cancel(studio, booking, *, hours_before: float, by_staff=False, waive=False):
    with scope(studio=studio):
        row = Booking.objects.select_related("session").get(pk=booking.pk)
        return services.booking_cancel(
            studio=studio,
            actor=SYSTEM,
            booking=row,
            by_staff=by_staff,
            waive_late_cancel=waive,
            now=row.session.starts_at - dt.timedelta(hours=hours_before),
        )


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def credit_of(client) -> int:
    with scopes_disabled():
        return sum(CreditEntry.objects.filter(client=client).values_list("amount", flat=True))


def late_rule(studio, *, plans=()):
    with scopes_disabled():
        rule = PenaltyRule.objects.create(
            studio=studio,
            trigger=PenaltyTrigger.LATE_CANCEL,
            all_plans=not plans,
            fee_amount=500,
            currency=studio.currency,
        )
        for plan in plans:
            PenaltyRulePlan.objects.create(studio=studio, rule=rule, plan=plan)
    return rule


# --- the outcomes table -----------------------------------------------------------------------

# (policy for classes, paid with, hours before the class, code, reason, sentence)
TABLE = [
    # Seed 001: « crédits rendus pour tout », cut-off 24 h.
    (CreditReturn.ALWAYS, "card", 25, "money_credit", "always", "$20.00 goes to your studio credit."),
    (CreditReturn.ALWAYS, "pack", 25, "credit_back", "always", "1 credit goes back to your 10-class pack."),
    # Inside the cut-off, "always" still gives back.
    (CreditReturn.ALWAYS, "card", 5, "money_credit", "always", "$20.00 goes to your studio credit."),
    (CreditReturn.ALWAYS, "pack", 5, "credit_back", "always", "1 credit goes back to your 10-class pack."),
    # Only before the cut-off.
    (CreditReturn.BEFORE_CUTOFF, "card", 25, "money_credit", "in_time", "$20.00 goes to your studio credit."),
    (CreditReturn.BEFORE_CUTOFF, "card", 24, "money_credit", "in_time", "$20.00 goes to your studio credit."),
    (
        CreditReturn.BEFORE_CUTOFF,
        "card",
        23,
        "nothing",
        "cutoff_passed",
        "Nothing comes back: the cut-off (24 h before) has passed.",
    ),
    (
        CreditReturn.BEFORE_CUTOFF,
        "pack",
        25,
        "credit_back",
        "in_time",
        "1 credit goes back to your 10-class pack.",
    ),
    (
        CreditReturn.BEFORE_CUTOFF,
        "pack",
        23,
        "nothing",
        "cutoff_passed",
        "Nothing comes back: the cut-off (24 h before) has passed.",
    ),
    # Never.
    (
        CreditReturn.NEVER,
        "pack",
        72,
        "nothing",
        "never",
        "Nothing comes back: the studio's policy gives nothing back for a cancelled class.",
    ),
    (
        CreditReturn.NEVER,
        "card",
        72,
        "nothing",
        "never",
        "Nothing comes back: the studio's policy gives nothing back for a cancelled class.",
    ),
    # An unlimited membership has no credit to give back, whatever the policy.
    (
        CreditReturn.ALWAYS,
        "unlimited",
        25,
        "nothing",
        "unlimited",
        "Included in your membership (Monthly unlimited): there is no credit to give back.",
    ),
    # Free and complimentary: nothing was paid.
    (
        CreditReturn.ALWAYS,
        "free",
        25,
        "free",
        "complimentary",
        "This class was free: there is nothing to give back.",
    ),
    (
        CreditReturn.BEFORE_CUTOFF,
        "complimentary",
        2,
        "free",
        "complimentary",
        "This class was free: there is nothing to give back.",
    ),
]


def _booking_paid_with(studio, session, client, paid_with):
    if paid_with == "card":
        return book_by_card(studio, session, client)
    if paid_with == "pack":
        pack(client)
    elif paid_with == "unlimited":
        unlimited(client)
    elif paid_with == "complimentary":
        return book(studio, session, client, payment_kind=PaymentKind.COMPLIMENTARY)
    return book(studio, session, client)


@pytest.mark.parametrize(("policy", "paid_with", "hours", "code", "reason", "sentence"), TABLE)
def test_the_outcomes_table(studio, other_studio, policy, paid_with, hours, code, reason, sentence):
    set_policy(studio, classes=policy)
    set_policy(other_studio, classes=CreditReturn.NEVER)  # another studio's policy changes nothing here
    client = ClientFactory(studio=studio)
    session = session_in(studio, hours=96, price=0 if paid_with == "free" else PRICE)
    booking = _booking_paid_with(studio, session, client, paid_with)
    outcome = ask(studio, booking, hours_before=hours)
    assert (outcome.code, outcome.reason, outcome.sentence) == (code, reason, sentence)
    assert outcome.late_notice == ""  # far outside the 60-minute late window
    if code == "money_credit":
        assert (outcome.amount, outcome.currency) == (PRICE, studio.currency)


@pytest.mark.parametrize(("policy", "paid_with", "hours", "code", "reason", "sentence"), TABLE)
def test_the_worker_applies_the_table(
    studio,
    other_studio,
    celery_eager,
    django_capture_on_commit_callbacks,
    policy,
    paid_with,
    hours,
    code,
    reason,
    sentence,
):
    """The cancel itself, its event, the task: the credit or the money comes back as the page said."""
    set_policy(studio, classes=policy)
    client = ClientFactory(studio=studio)
    session = session_in(studio, hours=96, price=0 if paid_with == "free" else PRICE)
    booking = _booking_paid_with(studio, session, client, paid_with)
    with scopes_disabled():
        held = Membership.objects.filter(client=client).first()
        before = held.credits_remaining if held else None
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking, hours_before=hours)
    assert credit_of(client) == (PRICE if code == "money_credit" else 0)
    if held is not None and before is not None:
        assert fresh(held).credits_remaining == before + (1 if code == "credit_back" else 0)


def test_a_late_cancel_says_a_fee_may_follow_when_a_rule_could_apply(studio, other_studio):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    held = pack(client)
    booking = book(studio, session_in(studio, hours=48), client)
    # Inside the late window (60 minutes) and past the cut-off, no rule yet: no notice.
    outcome = ask(studio, booking, hours_before=0.5)
    assert (outcome.code, outcome.late, outcome.late_notice) == ("nothing", True, "")
    # A rule for another plan only: still none.
    late_rule(studio, plans=[PlanFactory(studio=studio, name="Other plan")])
    assert ask(studio, booking, hours_before=0.5).late_notice == ""
    # A rule for another studio: none.
    late_rule(other_studio)
    assert ask(studio, booking, hours_before=0.5).late_notice == ""
    # A rule for the client's plan: the notice.
    late_rule(studio, plans=[held.plan])
    outcome = ask(studio, booking, hours_before=0.5)
    assert outcome.lines == [
        "Nothing comes back: the cut-off (24 h before) has passed.",
        "This cancel is late: it may be charged a fee.",
    ]
    # Outside the late window (2 h before) the same rule says nothing.
    assert ask(studio, booking, hours_before=2).late_notice == ""
    # Staff waiving the late cancel: not late, and treated as a cancel in time.
    waived = ask(studio, booking, hours_before=0.5, by="staff", waive=True)
    assert (waived.late, waived.code, waived.sentence) == (
        False,
        "credit_back",
        "1 credit goes back to their 10-class pack.",
    )


def test_a_late_cancel_under_always_gives_back_and_warns(studio, other_studio):
    set_policy(studio, classes=CreditReturn.ALWAYS)
    late_rule(studio)
    client = ClientFactory(studio=studio)
    booking = book_by_card(studio, session_in(studio, hours=48), client)
    outcome = ask(studio, booking, hours_before=0.25)
    assert outcome.lines == [
        "$20.00 goes to your studio credit.",
        "This cancel is late: it may be charged a fee.",
    ]


def test_a_class_cancelled_by_the_studio_always_gives_back(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.NEVER)
    session = session_in(studio, hours=2)
    holders = [pack(ClientFactory(studio=studio), credits=4) for _ in range(2)]
    for held in holders:
        book(studio, session, held.client)
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(studio=studio, actor=SYSTEM, session=session)
    assert [fresh(h).credits_remaining for h in holders] == [4, 4]
    with scope(studio=studio):
        row = Booking.objects.select_related("session__template").get(client=holders[0].client)
        outcome = cancel_outcome(studio=studio, event_kind="class", booking=row, now=timezone.now())
    assert (outcome.code, outcome.reason) == ("credit_back", "studio_cancelled")


def test_leaving_the_waitlist_gives_back_under_any_policy(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.NEVER)
    template = ClassTemplateFactory(studio=studio, capacity=1, drop_in_price=PRICE)
    session = ClassSessionFactory(template=template, starts_in=dt.timedelta(hours=3))
    book(studio, session, pack(ClientFactory(studio=studio)).client)
    waiting = pack(ClientFactory(studio=studio), credits=5)
    place = book(studio, session, waiting.client)
    assert place.status == BookingStatus.WAITLISTED
    assert ask(studio, place, hours_before=1).reason == "waitlist"
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, place, hours_before=1)
    assert fresh(waiting).credits_remaining == 5


def test_staff_waiving_a_late_cancel_gets_the_credit_back_past_the_cutoff(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    booking = book(studio, session_in(studio, hours=30), client)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking, hours_before=0.1, by_staff=True, waive=True)
    assert fresh(held).credits_remaining == 10


def test_a_money_credit_is_granted_once_whatever_is_redelivered(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.ALWAYS)
    client = ClientFactory(studio=studio)
    booking = book_by_card(studio, session_in(studio, hours=48), client)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(studio, booking, hours_before=25)
    assert credit_of(client) == PRICE
    from memberships.tasks.cancel_policy import cancel_settle_task

    # The same event again, the task twice, the sweep: still one grant.
    cancel_settle_task.apply(args=(studio.pk, "class", [booking.pk])).get()
    cancel_settle_task.apply(args=(studio.pk, "class", [booking.pk])).get()
    with scope(studio=studio):
        assert cancel_settle(studio=studio, booking_kind="class", booking_id=booking.pk) == "money_credit"
        credit_returns_sweep(studio=studio)
    assert credit_of(client) == PRICE
    with scopes_disabled():
        [grant] = CancelCreditGrant.objects.all()
        assert (grant.event_kind, grant.event_id, grant.amount, grant.client_id) == (
            "class",
            booking.pk,
            PRICE,
            client.pk,
        )
        entry = CreditEntry.objects.get(pk=grant.credit_entry_id)
        assert "Flow yoga" in entry.note and entry.amount == PRICE


def test_the_money_credit_is_at_most_the_price_and_what_was_not_refunded(studio, other_studio):
    set_policy(studio, classes=CreditReturn.ALWAYS)
    client = ClientFactory(studio=studio)
    session = session_in(studio, hours=48)
    payment = card_payment(studio, client, amount=PRICE * 3)  # one payment for three classes
    booking = book(
        studio, session, client, payment_kind=PaymentKind.DROP_IN, payment_ref=f"payment:{payment.pk}"
    )
    assert ask(studio, booking, hours_before=30).amount == PRICE
    with scopes_disabled():
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=PRICE * 3 - 500)
    assert ask(studio, booking, hours_before=30).amount == 500
    # Another client's payment, or a ref naming nothing: nothing comes back automatically.
    stranger = book(
        studio,
        session_in(studio, hours=48),
        ClientFactory(studio=studio),
        payment_kind=PaymentKind.DROP_IN,
        payment_ref=f"payment:{payment.pk}",
    )
    assert ask(studio, stranger, hours_before=30).reason == "unknown_payment"
    broken = book(
        studio,
        session_in(studio, hours=48),
        ClientFactory(studio=studio),
        payment_kind=PaymentKind.DROP_IN,
        payment_ref="payment:²",
    )
    assert ask(studio, broken, hours_before=30).code == "nothing"


def test_the_worker_decides_with_the_cancel_time_not_its_own(
    studio, other_studio, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    booking = book(studio, session_in(studio, hours=72), client)
    # Cancelled 23 h before (past the cut-off); the task runs "now", 72 h before: still nothing.
    cancel(studio, booking, hours_before=23)
    with scope(studio=studio):
        assert cancel_settle(studio=studio, booking_kind="class", booking_id=booking.pk) == "nothing"
    assert fresh(held).credits_remaining == 9


def test_the_sweep_follows_the_policy(studio, other_studio):
    set_policy(studio, classes=CreditReturn.ALWAYS)
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    late_session = session_in(studio, hours=48)
    late = book(studio, late_session, client)
    in_time = book(studio, session_in(studio, hours=50), client)
    kept = book(studio, session_in(studio, hours=52), client)
    # The test's transaction never commits: the events are lost, the sweep is the net.
    cancel(studio, late, hours_before=0.2)
    cancel(studio, in_time, hours_before=30)
    assert fresh(late).status == BookingStatus.LATE_CANCELLED
    with scope(studio=studio):
        assert credit_returns_sweep(studio=studio) == 2  # "always": the late cancel too
    assert fresh(held).credits_remaining == 9
    with scopes_disabled():
        open_ids = set(
            CreditUse.objects.filter(returned_at__isnull=True).values_list("booking_id", flat=True)
        )
    assert open_ids == {kept.pk}


def test_the_sweep_grants_a_lost_drop_in_money_credit_once(studio, other_studio):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    in_time = book_by_card(studio, session_in(studio, hours=72), client)
    too_late = book_by_card(studio, session_in(studio, hours=72), client)
    # The events are lost (the test's transaction never commits): the sweep settles both.
    cancel(studio, in_time, hours_before=30)
    cancel(studio, too_late, hours_before=10)
    with scope(studio=studio):
        credit_returns_sweep(studio=studio)
        credit_returns_sweep(studio=studio)
    assert credit_of(client) == PRICE
    with scopes_disabled():
        assert list(CancelCreditGrant.objects.values_list("event_id", flat=True)) == [in_time.pk]


def test_the_sweep_gives_nothing_back_under_never(studio, other_studio):
    set_policy(studio, classes=CreditReturn.NEVER)
    client = ClientFactory(studio=studio)
    held = pack(client, credits=10)
    booking = book(studio, session_in(studio, hours=72), client)
    cancel(studio, booking, hours_before=70)
    with scope(studio=studio):
        assert credit_returns_sweep(studio=studio) == 0
    assert fresh(held).credits_remaining == 9


# --- appointments have their own policy -------------------------------------------------------


def appointment_for(studio, client, *, hours: float, price=9000, **kwargs) -> Appointment:
    calendar = AppointmentCalendarFactory(location__studio=studio)
    service = AppointmentServiceFactory(studio=studio, price_amount=price, name="Massage")
    starts_at = (timezone.now() + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return AppointmentFactory(
        calendar=calendar, service=service, client=client, starts_at=starts_at, price_amount=price, **kwargs
    )


def ask_appointment(studio, appointment, *, hours_before: float, by="client"):
    with scope(studio=studio):
        row = Appointment.objects.select_related("service").get(pk=appointment.pk)
        return cancel_outcome(
            studio=studio,
            event_kind="appointment",
            appointment=row,
            now=row.starts_at - dt.timedelta(hours=hours_before),
            by=by,
        )


def _pack_paid_appointment(studio, client, hours):
    held = pack(client, credits=3, name="3-massage pack")
    appointment = appointment_for(
        studio, client, hours=hours, payment_kind=PaymentKind.CLASS_PACK, payment_ref=f"membership:{held.pk}"
    )
    with scopes_disabled():
        CreditUse.objects.create(
            studio=studio,
            membership=held,
            booking_kind="appointment",
            booking_id=appointment.pk,
            credits=1,
            used_at=timezone.now(),
        )
        Membership.objects.filter(pk=held.pk).update(credits_remaining=2)
    return held, appointment


def test_classes_and_appointments_follow_their_own_policy(
    studio, other_studio, celery_eager, django_capture_on_commit_callbacks
):
    set_policy(studio, classes=CreditReturn.NEVER, appointments=CreditReturn.ALWAYS, hours=48)
    client = ClientFactory(studio=studio)
    held, appointment = _pack_paid_appointment(studio, client, hours=30)
    outcome = ask_appointment(studio, appointment, hours_before=2)
    assert (outcome.code, outcome.sentence) == ("credit_back", "1 credit goes back to your 3-massage pack.")
    class_booking = book(studio, session_in(studio, hours=72), pack(ClientFactory(studio=studio)).client)
    assert ask(studio, class_booking, hours_before=70).reason == "never"
    with scope(studio=studio), django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(
            studio=studio,
            actor=SYSTEM,
            appointment=Appointment.objects.get(pk=appointment.pk),
            by_staff=False,
            now=appointment.starts_at - dt.timedelta(hours=2),
        )
    assert fresh(held).credits_remaining == 3


def test_the_appointment_cutoff_is_its_own(studio, other_studio):
    set_policy(studio, classes=CreditReturn.ALWAYS, appointments=CreditReturn.BEFORE_CUTOFF, hours=48)
    client = ClientFactory(studio=studio)
    _held, appointment = _pack_paid_appointment(studio, client, hours=72)
    assert ask_appointment(studio, appointment, hours_before=49).code == "credit_back"
    outcome = ask_appointment(studio, appointment, hours_before=47)
    assert (outcome.code, outcome.sentence) == (
        "nothing",
        "Nothing comes back: the cut-off (48 h before) has passed.",
    )
    # Staff cancelling an appointment is never late (scheduling's rule): no fee notice.
    late_rule(studio)
    assert ask_appointment(studio, appointment, hours_before=0.5).late_notice
    assert not ask_appointment(studio, appointment, hours_before=0.5, by="staff").late_notice


def test_an_appointment_paid_at_the_visit_owes_nothing(studio, other_studio):
    set_policy(studio, classes=CreditReturn.NEVER)
    appointment = appointment_for(studio, ClientFactory(studio=studio), hours=30)
    outcome = ask_appointment(studio, appointment, hours_before=2)
    assert (outcome.code, outcome.sentence) == (
        "free",
        "Nothing was paid for it yet: nothing comes back and nothing is owed.",
    )


# --- the seam: robust, and every cancel page says it -------------------------------------------


def test_a_describer_that_raises_is_skipped(studio, other_studio, caplog):
    client = ClientFactory(studio=studio)
    pack(client)
    booking = book(studio, session_in(studio, hours=48), client)

    def broken(question):
        raise RuntimeError("a describer's bug")

    with scope(studio=studio), cancel_outcome_registered("test.broken", broken):
        row = Booking.objects.select_related("session__template").get(pk=booking.pk)
        lines = cancel_outcomes_describe(booking=row, now=timezone.now(), by="client")
    assert lines == ["1 credit goes back to your 10-class pack."]
    assert "test.broken" in caplog.text


def client_web(login, client_profile):
    user = UserFactory(email=f"pcancel-{client_profile.pk}@example.test")
    with scopes_disabled():
        client_profile.user = user
        client_profile.save()
    return login(user)


def _cookie(web, language):
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return web


PAGES = [
    ("en", "$20.00 goes to your studio credit.", "$20.00 goes to their studio credit."),
    pytest.param(
        "fr",
        "20,00\u00a0$ va dans votre crédit au studio.",
        "20,00\u00a0$ va dans son crédit au studio.",
    ),
]


@pytest.mark.parametrize(("language", "client_sentence", "staff_sentence"), PAGES)
def test_the_class_cancel_pages_say_what_comes_back(
    studio, other_studio, login, owner, language, client_sentence, staff_sentence
):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    booking = book_by_card(studio, session_in(studio, hours=48), client)
    web = _cookie(client_web(login, client), language)
    page = web.post(reverse("account-booking-cancel", kwargs={"studio_slug": studio.slug, "pk": booking.pk}))
    assert page.status_code == 200 and escape(client_sentence) in page.content.decode()
    staff = _cookie(login(owner.user), language)
    page = staff.post(reverse("booking-cancel", kwargs={"studio_slug": studio.slug, "pk": booking.pk}))
    assert page.status_code == 200 and escape(staff_sentence) in page.content.decode()
    assert fresh(booking).status == BookingStatus.BOOKED  # only asked


APPOINTMENT_PAGES = [
    ("en", "Nothing comes back: the cut-off (24 h before) has passed."),
    pytest.param("fr", "Rien n'est rendu\u00a0: la limite (24\u00a0h avant) est passée."),
]


@pytest.mark.parametrize(("language", "sentence"), APPOINTMENT_PAGES)
def test_the_appointment_cancel_pages_say_what_comes_back(
    studio, other_studio, login, owner, language, sentence
):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    client = ClientFactory(studio=studio)
    _held, appointment = _pack_paid_appointment(studio, client, hours=5)
    web = _cookie(client_web(login, client), language)
    url = reverse("account-appointment-cancel", kwargs={"studio_slug": studio.slug, "pk": appointment.pk})
    page = web.post(url)
    assert page.status_code == 200 and escape(sentence) in page.content.decode()
    staff = _cookie(login(owner.user), language)
    page = staff.post(
        reverse("appointment-cancel", kwargs={"studio_slug": studio.slug, "pk": appointment.pk})
    )
    assert page.status_code == 200 and escape(sentence) in page.content.decode()
    assert fresh(appointment).status == "booked"


def test_the_late_notice_shows_on_the_client_page(studio, other_studio, login):
    set_policy(studio, classes=CreditReturn.BEFORE_CUTOFF)
    late_rule(studio)
    client = ClientFactory(studio=studio)
    pack(client)
    booking = book(studio, session_in(studio, hours=0.5), client)
    web = _cookie(client_web(login, client), "en")
    page = web.post(
        reverse("account-booking-cancel", kwargs={"studio_slug": studio.slug, "pk": booking.pk})
    ).content.decode()
    assert "This cancel is late: it may be charged a fee." in page
    assert "Nothing comes back: the cut-off (24 h before) has passed." in page
