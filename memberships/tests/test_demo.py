"""Memberships' demo data (H7): the five plans, members in each home location, the states the
renewals page shows, bookings paid by memberships — and seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from memberships.models import CreditUse, Membership, MembershipPeriod, Plan, PlanKind, Renewal
from memberships.selectors.renewals import studio_today
from memberships.services.renewals import renewals_run_due
from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Studio

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Plan.objects.count(),
        Membership.objects.count(),
        MembershipPeriod.objects.count(),
        Renewal.objects.count(),
        CreditUse.objects.count(),
    )


def test_demo_memberships_are_complete_and_seeding_twice_adds_nothing():
    from payments.models import Payment, SavedPaymentMethod
    from scheduling.models import Booking

    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            first = _counts()
        call_command("seed_demo")
    with scopes_disabled():
        assert _counts() == first
        demo = Studio.objects.get(slug="demo")
        today = studio_today(studio=demo)
        plans = {p.name: p for p in Plan.objects.filter(studio=demo)}
        assert {p.kind for p in plans.values()} == {
            PlanKind.SUBSCRIPTION,
            PlanKind.PACK,
            PlanKind.PASS,
            PlanKind.PAYMENT_PLAN,
        }
        assert len(plans) == 5
        assert plans["Formation d'enseignant·e (6 versements)"].instalment_count == 6
        assert plans["Formation d'enseignant·e (6 versements)"].location.name == "Laval"
        assert plans["Passe hiver"].pass_starts_on and plans["Passe hiver"].pass_ends_on

        members = Membership.objects.filter(studio=demo).select_related("client__home_location", "plan")
        assert {m.client.home_location.name for m in members} == {"Montréal", "Laval", "Québec"}
        tomorrow = today + dt.timedelta(days=1)
        assert members.filter(status="active", next_renewal_on=tomorrow).count() >= 2
        # Sold for real: every membership's first period names its payment in the ledger.
        for membership in members:
            period = MembershipPeriod.objects.filter(membership=membership).first()
            assert period is not None and period.payment_id, membership
            payment = Payment.objects.get(pk=period.payment_id)
            # (sold by memberships' demo, or bought online by checkout's demo order)
            assert payment.status == "succeeded"
            assert payment.source_type in ("membership_sale", "checkout_order")

        late = members.get(status="past_due")
        renewal = Renewal.objects.get(membership=late)
        assert (renewal.status, renewal.failure_code) == ("retrying", "card_declined")
        assert renewal.idempotency_key == f"renewal:{late.pk}:{renewal.period_start.isoformat()}"
        assert members.filter(status="paused").count() == 1

        acss = SavedPaymentMethod.objects.filter(studio=demo, kind="acss_debit", is_default=True)
        acss_clients = set(acss.values_list("client_id", flat=True))
        assert members.filter(client_id__in=acss_clients, status="active").exists()

        uses = CreditUse.objects.filter(studio=demo)
        assert uses.count() >= 4
        booked = Booking.objects.filter(pk__in=uses.values_list("booking_id", flat=True))
        assert {b.payment_kind for b in booked} == {"membership", "class_pack"}
        assert all(b.payment_ref.startswith("membership:") for b in booked)
        eight = members.get(plan__name="8 cours par mois", status="active")
        assert eight.credits_remaining == 8 - uses.filter(membership=eight).count()

        other = Studio.objects.get(slug="autre")
        assert Membership.objects.filter(studio=other).count() == 1
        assert not Membership.objects.filter(studio=other, client__studio=demo).exists()


def test_tomorrow_nights_run_renews_the_demo_members(celery_eager, django_capture_on_commit_callbacks):
    """The demo's data is real: tomorrow night's run charges the saved card of one member and the
    pre-authorized debit of another (processing: the bank settles it days later)."""
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            demo = Studio.objects.get(slug="demo")
        # Tomorrow night's run renews the demo's members for real: the card ones succeed, Julie's
        # pre-authorized debit is processing (the bank settles it days later).
        tomorrow_night = dt.datetime.combine(
            studio_today(studio=demo) + dt.timedelta(days=1), dt.time(4), tzinfo=ZoneInfo(demo.time_zone)
        )
        with scope(studio=demo), django_capture_on_commit_callbacks(execute=True):
            renewals_run_due(studio=demo, now=tomorrow_night)
        with scopes_disabled():
            renewed = {
                r.membership.client.email: r.status
                for r in Renewal.objects.filter(
                    studio=demo, period_start=tomorrow_night.date()
                ).select_related("membership__client")
            }
        assert renewed["client@demo.atelier.test"] == "succeeded"
        assert renewed["julie.gagnon@example.test"] == "processing"
