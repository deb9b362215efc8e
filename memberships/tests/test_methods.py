"""A renewing membership's payment method (SPM-4, SPM-7, PAY-3 rule 3, PAY-10).

Plateau and Laval are home locations with their own connected accounts. A card saved on
Plateau's account is never used for a renewal routed to Laval's, so moving a client's home
location to Laval warns first, then emails them a link to add a method there, and the membership
says "Needs a payment method on Laval's account" until they do. A card that expires before the
next renewal is announced a week ahead; a migration import keeps every renewal charging.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import Membership, MembershipReminder, Renewal, RenewalStatus
from memberships.services import methods as svc
from memberships.services.lifecycle import studio_today
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.models import SavedPaymentMethod
from payments.services import saved_methods
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - the sandbox fixtures
from payments.tests.test_migration_import import upload, world  # noqa: F401 - the migration world
from payments.tests.test_saved_methods import save_card
from studio.notifications.models import Message
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def places(sandbox, make_account, studio, other_studio, location, owner):  # noqa: F811
    """Plateau (the `location` fixture) and Laval, each with its own account; saved methods on."""
    laval = LocationFactory(studio=studio, name="Laval")
    plateau_account = make_account(studio, name="Plateau Inc.", default=True, locations=[location])
    laval_account = make_account(studio, name="Laval Inc.", locations=[laval])
    with scope(studio=studio):
        saved_methods.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    return {
        "plateau": location,
        "laval": laval,
        "plateau_account": plateau_account,
        "laval_account": laval_account,
    }


def renewing(client, **fields) -> Membership:
    today = studio_today(client.studio)
    values = {
        "started_on": today,
        "anchor_day": today.day,
        "current_period_start": today,
        "current_period_end": today + dt.timedelta(days=30),
        "next_renewal_on": today + dt.timedelta(days=30),
        **fields,
    }
    return MembershipFactory(
        client=client, plan=PlanFactory(studio=client.studio, name="Unlimited"), **values
    )


def status_of(studio, membership):
    with scope(studio=studio), scopes_disabled():
        membership = Membership.objects.select_related("plan", "client__home_location", "studio").get(
            pk=membership.pk
        )
    with scope(studio=studio):
        return svc.membership_method_status(membership=membership)


# --- the status a membership shows ---------------------------------------------------------------------


def test_a_default_card_on_the_home_account_is_ready(sandbox, studio, a_client, places):  # noqa: F811
    save_card(sandbox, studio, a_client)
    status = status_of(studio, renewing(a_client))
    assert status.ok and not status.needs_method and status.message == ""
    assert status.account_name == "Plateau" and status.method_label == "Visa •••• 4242"


def test_without_a_method_on_the_home_account_it_needs_one_there(sandbox, studio, a_client, places):  # noqa: F811
    save_card(sandbox, studio, a_client)  # on Plateau's account
    with scopes_disabled():
        a_client.home_location = places["laval"]
        a_client.save()
    status = status_of(studio, renewing(a_client))
    assert status.needs_method and status.state == svc.MethodState.MISSING
    assert status.message == "Needs a payment method on Laval's account"
    assert "no saved payment method on “Laval Inc.”" in status.detail


def test_an_expired_default_or_no_default_needs_a_method_too(sandbox, studio, a_client, places):  # noqa: F811
    method = save_card(sandbox, studio, a_client)
    with scopes_disabled():
        SavedPaymentMethod.objects.filter(pk=method.pk).update(exp_year=2020)
    assert status_of(studio, renewing(a_client)).needs_method
    with scopes_disabled():
        SavedPaymentMethod.objects.filter(pk=method.pk).update(exp_year=2040, is_default=False)
    assert "none is the default" in status_of(studio, renewing(a_client)).detail


def test_what_does_not_renew_needs_nothing(sandbox, studio, a_client, places):  # noqa: F811
    pack = MembershipFactory(client=a_client, plan=PlanFactory(studio=studio, pack=True))
    ending = renewing(a_client, cancel_at_period_end=True, next_renewal_on=None)
    for membership in (pack, ending):
        status = status_of(studio, membership)
        assert status.state == svc.MethodState.NOT_RENEWING and status.ok


def test_the_batch_costs_the_same_at_one_and_many_memberships(sandbox, studio, a_client, places):  # noqa: F811
    save_card(sandbox, studio, a_client)

    def queries(count: int) -> int:
        with scopes_disabled():
            Membership.objects.filter(client=a_client).delete()
        for _ in range(count):
            renewing(a_client)
        with scope(studio=studio):
            rows = list(
                Membership.objects.filter(client=a_client).select_related("plan", "client__home_location")
            )
            with CaptureQueriesContext(connection) as captured:
                found = svc.memberships_method_status(memberships=rows)
        assert len(found) == count and all(s.ok for s in found.values())
        return len(captured.captured_queries)

    assert queries(1) == queries(12)


# --- changing the home location ------------------------------------------------------------------------


def _edit(studio, client, location, **extra):
    return {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "email": client.email or "camille@example.test",
        "language": client.language or "en",
        "home_location": location.pk,
        **extra,
    }


def test_the_home_change_warning_lists_memberships_moving_and_whether_a_method_waits(
    sandbox,  # noqa: F811
    studio,
    a_client,
    places,
):
    save_card(sandbox, studio, a_client)
    renewing(a_client)
    with scope(studio=studio):
        [line] = svc.home_change_warnings(a_client, places["laval"])
        assert (
            "“Unlimited” renews on" in line
            and "Laval's account" in line
            and "no usable payment method" in line
        )
        assert svc.home_change_warnings(a_client, places["plateau"]) == []  # same account: nothing moves
    # A card already saved on Laval's account: the warning says the renewal will use it.
    with scopes_disabled():
        a_client.home_location = places["laval"]
        a_client.save()
    save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    with scopes_disabled():
        a_client.home_location = places["plateau"]
        a_client.save()
    with scope(studio=studio):
        [line] = svc.home_change_warnings(a_client, places["laval"])
    assert "default method there (Mastercard •••• 4444)" in line


def test_after_the_change_the_client_is_emailed_once_and_the_membership_says_so(
    sandbox,  # noqa: F811
    studio,
    a_client,
    places,
    owner_client,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    save_card(sandbox, studio, a_client)
    membership = renewing(a_client)
    edit = reverse("client-edit", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    warned = owner_client.post(edit, _edit(studio, a_client, places["laval"]))
    assert any("Laval's account" in w for w in warned.context["home_change_warnings"])
    with django_capture_on_commit_callbacks(execute=True):
        saved = owner_client.post(edit, _edit(studio, a_client, places["laval"], confirm_home_change="1"))
    assert saved.status_code == 302
    with scopes_disabled():
        [message] = Message.objects.filter(template="memberships/method_needed")
        [reminder] = MembershipReminder.objects.filter(membership=membership)
    assert message.to_email == a_client.email and "Laval's account" in message.body_text
    link = reverse("payments-client-method-add", kwargs={"studio_slug": studio.slug, "kind": "card"})
    assert link in message.body_text and link in message.body_html
    assert reminder.kind == MembershipReminder.Kind.METHOD_NEEDED
    # The task again (a retry, a second worker): nothing more is sent.
    with scope(studio=studio), scopes_disabled():
        client = type(a_client).objects.select_related("home_location").get(pk=a_client.pk)
    with scope(studio=studio):
        assert svc.method_needed_notify(studio=studio, client=client) == 0
    # The membership page says what is missing, until a card is added on Laval's account.
    detail = reverse("membership-detail", kwargs={"studio_slug": studio.slug, "pk": membership.pk})
    assert "Needs a payment method on Laval&#x27;s account" in owner_client.get(detail).content.decode()
    with scopes_disabled():
        a_client.refresh_from_db()
    save_card(sandbox, studio, a_client, pm="pm_card_mastercard")
    page = owner_client.get(detail).content.decode()
    assert "Needs a payment method" not in page and "Mastercard •••• 4444" in page


def test_a_change_with_a_method_waiting_sends_nothing(sandbox, studio, a_client, places):  # noqa: F811
    with scopes_disabled():
        a_client.home_location = places["laval"]
        a_client.save()
    save_card(sandbox, studio, a_client)  # on Laval's
    renewing(a_client)
    with scope(studio=studio):
        assert svc.method_needed_notify(studio=studio, client=a_client) == 0
    with scopes_disabled():
        assert not Message.objects.filter(template="memberships/method_needed").exists()


def test_the_renewal_after_the_change_fails_without_a_method_with_the_reason(
    sandbox,  # noqa: F811
    studio,
    a_client,
    places,
):
    from memberships.services.renewals import renewal_attempt, renewals_run_due

    save_card(sandbox, studio, a_client)
    membership = renewing(a_client)
    with scopes_disabled():
        a_client.home_location = places["laval"]
        a_client.save()
    when = timezone.now() + dt.timedelta(days=31)
    with scope(studio=studio):
        renewals_run_due(studio=studio, now=when)
        renewal = Renewal.objects.get(membership=membership)
        renewal = renewal_attempt(renewal_id=renewal.pk, now=when)
    assert renewal.status == RenewalStatus.RETRYING and renewal.failure_code == "no_method"
    assert sandbox.objects("payment_intent", account=places["plateau_account"].stripe_account_id) == []


# --- a card that expires before the renewal ----------------------------------------------------------


def _expiring_card(sandbox, studio, client, renewal_on):  # noqa: F811
    method = save_card(sandbox, studio, client)
    before = renewal_on.replace(day=1) - dt.timedelta(days=1)  # the month before the renewal
    with scopes_disabled():
        SavedPaymentMethod.objects.filter(pk=method.pk).update(exp_month=before.month, exp_year=before.year)
    return method


def test_a_card_expiring_before_the_renewal_is_announced_a_week_ahead_once(sandbox, studio, places):  # noqa: F811
    client = ClientFactory(
        studio=studio,
        first_name="Élise",
        email="elise@example.test",
        language="fr",
        home_location=places["plateau"],
    )
    today = studio_today(studio)
    renewal_on = today + dt.timedelta(days=7)
    _expiring_card(sandbox, studio, client, renewal_on)
    renewing(client, next_renewal_on=renewal_on, current_period_end=renewal_on)
    with scope(studio=studio):
        assert (
            svc.card_expiry_reminders_send(studio=studio, today=today - dt.timedelta(days=1)) == 0
        )  # 8 days
        assert svc.card_expiry_reminders_send(studio=studio, today=today) == 1
        assert svc.card_expiry_reminders_send(studio=studio, today=today) == 0  # the beat again
        assert svc.card_expiry_reminders_send(studio=studio, today=today + dt.timedelta(days=2)) == 0
    with scopes_disabled():
        [message] = Message.objects.filter(template="memberships/card_expiring")
    assert message.language == "fr" and message.to_email == "elise@example.test"
    link = reverse("payments-client-method-add", kwargs={"studio_slug": studio.slug, "kind": "card"})
    assert link in message.body_text and "4242" in message.body_text


def test_a_card_valid_at_the_renewal_or_a_renewal_far_away_sends_nothing(
    sandbox,  # noqa: F811
    studio,
    a_client,
    places,
):
    today = studio_today(studio)
    save_card(sandbox, studio, a_client)  # valid for years
    renewing(a_client, next_renewal_on=today + dt.timedelta(days=3))
    other = ClientFactory(studio=studio, email="far@example.test", home_location=places["plateau"])
    _expiring_card(sandbox, studio, other, today + dt.timedelta(days=30))
    renewing(other)  # renews in 30 days: too early to write
    with scope(studio=studio):
        assert svc.card_expiry_reminders_send(studio=studio, today=today) == 0


def test_two_memberships_on_the_same_card_and_date_make_one_email(sandbox, studio, a_client, places):  # noqa: F811
    today = studio_today(studio)
    renewal_on = today + dt.timedelta(days=5)
    _expiring_card(sandbox, studio, a_client, renewal_on)
    renewing(a_client, next_renewal_on=renewal_on)
    renewing(a_client, next_renewal_on=renewal_on)
    with scope(studio=studio):
        assert svc.card_expiry_reminders_send(studio=studio, today=today) == 1


def test_the_daily_task_runs_pauses_and_reminders(studio, celery_eager, places, sandbox, a_client):  # noqa: F811
    from memberships.tasks.methods import lifecycle_daily

    today = studio_today(studio)
    renewal_on = today + dt.timedelta(days=6)
    _expiring_card(sandbox, studio, a_client, renewal_on)
    renewing(a_client, next_renewal_on=renewal_on)
    result = lifecycle_daily(studio.pk)
    assert result == {"pauses": 0, "card_expiring": 1}
    from studio import beat

    assert beat.entries()["memberships-lifecycle-daily"]["task"] == "memberships.lifecycle_daily_all_studios"


# --- a migration from an old Stripe account (PAY-10) keeps renewals working ---------------------------


def test_after_a_migration_import_the_renewal_charges_the_migrated_default(sandbox, studio, owner, world):  # noqa: F811
    data = world  # the payments suite's migration world: old and new accounts, Stripe's copied customers
    alice = data["people"]["alice"]
    membership = renewing(alice)
    before = status_of(studio, membership)
    assert before.needs_method  # her cards are still on the old account
    from payments.services import migration_import

    migration = upload(data)
    with scope(studio=studio):
        migration_import.migration_dry_run(migration=migration)
        migration_import.migration_apply(migration=migration, actor=Actor(user=owner.user))
    after = status_of(studio, membership)
    assert after.ok and after.method_label == "Visa •••• 4242"

    from memberships.services.renewals import renewal_attempt, renewals_run_due

    when = timezone.now() + dt.timedelta(days=31)
    with scope(studio=studio):
        renewals_run_due(studio=studio, now=when)
        renewal = renewal_attempt(renewal_id=Renewal.objects.get(membership=membership).pk, now=when)
        assert renewal.status == RenewalStatus.SUCCEEDED
        payment = renewal.payment
    assert payment.account_id == data["new"].pk and payment.payment_method_id == "pm_1NewAliceVisa000000000"


# --- cancelling now refunds a card payment at Stripe, on the account it was taken on -------------------


def test_cancel_now_refunds_the_card_payment_at_stripe_once(sandbox, studio, a_client, places, owner):  # noqa: F811
    from memberships.models import MembershipPeriod, MembershipStatus, Proration
    from memberships.services.lifecycle import WHEN_NOW, membership_cancel
    from payments.models import Refund
    from payments.services.automatic import payment_charge_default

    save_card(sandbox, studio, a_client)
    membership = renewing(a_client, price_amount=3000)
    with scope(studio=studio):
        charge = payment_charge_default(
            studio=studio,
            client=a_client,
            subtotal=3000,
            item_kind="membership",
            description="Unlimited",
            idempotency_key=f"membership_sale:{membership.pk}",
        )
        assert charge.succeeded
        MembershipPeriod.objects.create(
            studio=studio,
            membership=membership,
            kind="purchase",
            starts_on=membership.current_period_start,
            ends_on=membership.current_period_end,
            payment=charge.payment,
        )
        result = membership_cancel(
            studio=studio,
            actor=Actor(user=owner.user),
            membership=membership,
            when=WHEN_NOW,
            proration=Proration.REFUND,
        )
    # Cancelled on the period's first day: the whole of it comes back, to the card, on Plateau's account.
    assert result.refund.status == Refund.Status.SUCCEEDED and result.refund.amount == charge.payment.amount
    [refund] = sandbox.objects("refund", account=places["plateau_account"].stripe_account_id)
    assert refund["amount"] == charge.payment.amount
    with scopes_disabled():
        assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.CANCELLED
