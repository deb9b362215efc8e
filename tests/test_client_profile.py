"""The client profile, the page every app hangs a panel on (issue #11): its query budget holds
whatever the rows, its panels check their permission, and its lists are cut and ordered right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from studio.permissions import Perm, RoleKind
from studio.registries import profile_panels
from tests.factories import ClientFactory, FamilyLinkFactory, LocationFactory

pytestmark = pytest.mark.django_db

# Issue #11 allows 12 as panels are added. With its nine panels (memberships, penalties, bookings,
# saved methods, waivers, purchases, online orders, money, invoices) the profile reads 10, 3 of them
# the signed-in stack (session, user, and the studio with the staff member: studio/middleware.py
# `tenant_resolve`), 1 the client with every panel's annotations, 1 the family card. A panel that
# needs more batches its reads or rides on another's (its query compiled once: `compiled_rows`).
QUERY_BUDGET = 10


def fill(studio, client, n: int) -> None:
    """`n` rows in every list a profile panel shows (5 at most for saved methods, the product's cap)."""
    from memberships.tests.factories import MembershipFactory, PlanFactory
    from payments.models import (
        ConnectedAccount,
        CreditEntry,
        Payment,
        PaymentSettings,
        Refund,
        SavedPaymentMethod,
        StripeCustomer,
    )
    from scheduling.tests.factories import (
        AppointmentCalendarFactory,
        AppointmentFactory,
        BookingFactory,
        ClassSessionFactory,
        ClassTemplateFactory,
    )

    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Main",
            creation_key=f"k{client.pk}",
            stripe_account_id=f"acct_{client.pk}",
            charges_enabled=True,
        )
        customer = StripeCustomer.objects.create(
            studio=studio,
            client=client,
            account=account,
            stripe_customer_id=f"cus_{client.pk}",
            idempotency_key=f"c{client.pk}",
        )
        for i in range(min(n, 5)):
            SavedPaymentMethod.objects.create(
                studio=studio,
                client=client,
                account=account,
                customer=customer,
                stripe_payment_method_id=f"pm_{client.pk}_{i}",
                kind="card",
                brand="visa",
                last4=f"{4240 + i}",
                exp_month=1,
                exp_year=2030,
                is_default=i == 0,
                source="staff",
            )
        template = ClassTemplateFactory(studio=studio, name=f"Hatha flow {client.pk}")
        calendar = AppointmentCalendarFactory(location=LocationFactory(studio=studio))
        soon = timezone.now().replace(second=0, microsecond=0)
        for i in range(n):
            payment = Payment.objects.create(
                studio=studio,
                client=client,
                amount=1000 + i,
                currency="CAD",
                account=account,
                stripe_account_id=account.stripe_account_id,
                routing_rule="default",
                routing_reason="",
                channel="online",
                item_kind="membership",
                description=f"Payment number {i}",
                idempotency_key=f"p{client.pk}-{i}",
                status="succeeded",
                amount_refunded=100,
            )
            refund = Refund.objects.create(
                studio=studio,
                payment=payment,
                amount=100,
                destination="credit",
                status="succeeded",
                idempotency_key=f"r{client.pk}-{i}",
            )
            CreditEntry.objects.create(
                studio=studio,
                client=client,
                amount=100,
                currency="CAD",
                kind="refund",
                refund=refund,
                note=f"Credit note {i}",
            )
            BookingFactory(
                studio=studio,
                client=client,
                session=ClassSessionFactory(
                    studio=studio, template=template, starts_in=dt.timedelta(days=i + 1)
                ),
            )
            BookingFactory(
                studio=studio,
                client=client,
                status="checked_in",
                session=ClassSessionFactory(
                    studio=studio, template=template, starts_in=-dt.timedelta(days=i + 1)
                ),
            )
            AppointmentFactory(
                calendar=calendar, client=client, starts_at=soon + dt.timedelta(days=2, hours=i)
            )
            FamilyLinkFactory(
                studio=studio, guardian=client, dependant=ClientFactory(studio=studio, first_name=f"Child{i}")
            )
            MembershipFactory(client=client, plan=PlanFactory(studio=studio, name=f"Plan {client.pk}-{i}"))
        _fill_policy_and_waivers(studio, client, n)


def _fill_policy_and_waivers(studio, client, n: int) -> None:
    """`n` open penalty fees and `n` published waivers (one signed) for the panels of issues #13/#16."""
    from memberships.models import Penalty
    from memberships.tests.factories import PenaltyRuleFactory
    from waivers.tests.factories import published_waiver, signature_for

    rule = PenaltyRuleFactory(studio=studio)
    at = timezone.now() - dt.timedelta(days=3)
    for i in range(n):
        Penalty.objects.create(
            studio=studio,
            client=client,
            rule=rule,
            trigger="no_show",
            event_kind="class",
            event_id=10_000 * client.pk + i,
            occurred_at=at - dt.timedelta(hours=i),
            amount=1000,
            currency=studio.currency,
            status="failed" if i % 2 else "pending",
            due_at=at + dt.timedelta(days=1),
            idempotency_key=f"penalty:class:{10_000 * client.pk + i}:{rule.pk}",
        )
    waivers = [published_waiver(studio, name=f"Waiver {client.pk}-{i}") for i in range(n)]
    signature_for(waivers[0], client)


def _profile(studio, client):
    return reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk})


def _count(http, url) -> tuple[int, str]:
    http.get(url)  # warm: the session's first read may differ
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_profile_query_count_is_within_budget_and_does_not_grow_with_rows(
    owner_client, studio, other_studio, location
):
    few, many = ClientFactory(studio=studio), ClientFactory(studio=studio)
    fill(studio, few, 1)
    fill(studio, many, 12)
    few_queries, few_html = _count(owner_client, _profile(studio, few))
    many_queries, many_html = _count(owner_client, _profile(studio, many))
    assert few_queries == many_queries <= QUERY_BUDGET, (few_queries, many_queries)
    # Every registered panel is on both pages (the owner may see them all), whichever app added it:
    # a new panel is inside the budget from the day it registers.
    keys = [panel.key for panel in profile_panels.profile_panels()]
    assert {"bookings", "saved-methods", "money"} <= set(keys)
    for key in keys:
        assert few_html.count(f'data-panel="{key}"') == many_html.count(f'data-panel="{key}"') == 1, key
    # Every panel rendered its rows (the budget is not met by showing less).
    for text in ("Payment number 0", "Credit note 0", "•••• 4240", "Hatha flow", "Massage", "Child0"):
        assert text in few_html, text
    assert f"Plan {few.pk}-0" in few_html and f"Plan {many.pk}-11" in many_html
    assert f"Waiver {few.pk}-0" in few_html and f"Waiver {many.pk}-11" in many_html
    assert few_html.count("data-penalty=") == 1 and many_html.count("data-penalty=") == 12
    assert "Payment number 11" in many_html and "Payment number 1 " not in many_html.replace("</td>", " ")
    assert many_html.count("Credit note") == 10  # the newest ten, the full history one link away
    assert "Attended 12" in many_html


def test_profile_totals_and_balance_come_from_the_client_row(owner_client, studio, a_client):
    fill(studio, a_client, 3)
    html = owner_client.get(_profile(studio, a_client)).content.decode()
    # Paid 10.00 + 10.01 + 10.02, refunded 3 × 1.00, credit 3 × 1.00.
    assert "$30.03" in html and "$3.00" in html


def test_teacher_sees_no_money_and_costs_fewer_queries(login, studio, a_client, staff_factory):
    fill(studio, a_client, 2)
    teacher_queries, html = _count(login(staff_factory(RoleKind.TEACHER).user), _profile(studio, a_client))
    assert 'data-panel="bookings"' in html and "Hatha flow" in html
    assert 'data-panel="money"' not in html and 'data-panel="saved-methods"' not in html
    assert "Payment number" not in html and "•••• 4240" not in html and "Credit note" not in html
    clerk_queries, clerk_html = _count(
        login(staff_factory(RoleKind.FRONT_DESK).user), _profile(studio, a_client)
    )
    assert 'data-panel="money"' in clerk_html and 'data-panel="saved-methods"' in clerk_html
    assert teacher_queries < clerk_queries  # the hidden panels are not even read


def test_upcoming_history_and_appointments_are_cut_and_ordered_in_one_query(
    studio, a_client, django_assert_num_queries
):
    from scheduling.panels import client_bookings_recent
    from scheduling.tests.factories import (
        AppointmentCalendarFactory,
        AppointmentFactory,
        BookingFactory,
        ClassSessionFactory,
        ClassTemplateFactory,
    )

    template = ClassTemplateFactory(studio=studio)
    ahead = [
        BookingFactory(
            studio=studio,
            client=a_client,
            session=ClassSessionFactory(studio=studio, template=template, starts_in=dt.timedelta(days=d)),
        )
        for d in (3, 1, 2)
    ]
    past = [
        BookingFactory(
            studio=studio,
            client=a_client,
            status="checked_in",
            session=ClassSessionFactory(studio=studio, template=template, starts_in=-dt.timedelta(days=d)),
        )
        for d in (2, 1, 3)
    ]
    cancelled_ahead = BookingFactory(
        studio=studio,
        client=a_client,
        status="cancelled",
        session=ClassSessionFactory(studio=studio, template=template, starts_in=dt.timedelta(days=5)),
    )
    # Checked in to a class still running: an upcoming row, and counted as attended all the same.
    running = BookingFactory(
        studio=studio,
        client=a_client,
        status="checked_in",
        session=ClassSessionFactory(studio=studio, template=template, starts_in=-dt.timedelta(minutes=10)),
    )
    calendar = AppointmentCalendarFactory(location=LocationFactory(studio=studio, time_zone="Europe/Paris"))
    soon = timezone.now().replace(second=0, microsecond=0)
    later, sooner, past_appointment, _ = (
        AppointmentFactory(calendar=calendar, client=a_client, starts_at=soon + dt.timedelta(hours=h))
        for h in (5, 2, -3, 7)
    )
    AppointmentFactory(
        calendar=calendar, client=a_client, starts_at=soon + dt.timedelta(hours=1), status="cancelled"
    )
    with scope(studio=studio), django_assert_num_queries(1):
        upcoming, history, counts, appointments = client_bookings_recent(
            client=a_client, now=timezone.now(), upcoming=2, history=3, appointments=2
        )
    # The next booked appointments, soonest first, cut at 2; past and cancelled ones are not listed;
    # each in its location's zone, its teacher named as StaffMember.__str__ names them.
    assert [a["id"] for a in appointments] == [sooner.pk, later.pk]
    assert (
        appointments[0]["start"] == sooner.starts_at
        and str(appointments[0]["start"].tzinfo) == "Europe/Paris"
    )
    assert (
        appointments[0]["teacher"] == str(calendar.teacher) and appointments[0]["name"] == sooner.service.name
    )
    assert past_appointment.pk not in [a["id"] for a in appointments]
    assert [b["id"] for b in upcoming] == [running.pk, ahead[1].pk]  # soonest first, cut at 2
    # The counts cover every booking of both groups, not only the rows cut for display.
    assert counts == {"checked_in": 4, "no_show": 0, "late_cancelled": 0}
    # Newest first; a cancelled class is history.
    assert [b["id"] for b in history] == [cancelled_ahead.pk, past[1].pk, past[0].pk]
    # The rows carry what the model would have said: the worded status, its badge, the local start.
    assert (history[1]["status_label"], history[1]["badge"]) == ("Checked in", "ok")
    assert (history[0]["status_label"], history[0]["badge"]) == ("Cancelled", "")
    session, first = ahead[1].session, upcoming[1]
    assert (
        first["start"] == session.local_start
        and first["start"].utcoffset() == session.local_start.utcoffset()
    )
    assert first["place"] == session.place and first["name"] == session.template.name


def test_money_lists_and_totals_are_two_queries_newest_first(studio, a_client, django_assert_num_queries):
    from payments.panels import client_money_recent

    fill(studio, a_client, 12)
    with scope(studio=studio), django_assert_num_queries(2):
        money = client_money_recent(client=a_client, limit=10)
    # The totals cover the whole history, not only the ten rows shown.
    assert (money["total_paid"], money["total_refunded"], money["credit_balance"]) == (12066, 1200, 1200)
    assert [p["description"] for p in money["payments"]][:2] == ["Payment number 11", "Payment number 10"]
    assert [r["description"] for r in money["refunds"]][:2] == ["Payment number 11", "Payment number 10"]
    assert [e["note"] for e in money["credit_entries"]] == [f"Credit note {i}" for i in range(11, 1, -1)]
    assert (money["refunds"][0]["destination"], money["refunds"][0]["status"]) == (
        "Studio credit",
        "Succeeded",
    )
    assert money["credit_entries"][0]["kind"] == "Refund as credit"


def test_money_panel_of_a_client_without_history_shows_zeros(studio, a_client):
    from payments.panels import client_money_recent

    with scope(studio=studio):
        money = client_money_recent(client=a_client)
    assert money == {
        "payments": [],
        "refunds": [],
        "credit_entries": [],
        "credit_balance": 0,
        "total_paid": 0,
        "total_refunded": 0,
    }


def test_row_url_matches_reverse(studio):
    url = profile_panels.row_url("client-family-remove", key="link_pk", studio_slug=studio.slug, pk=7)
    assert url(42) == reverse(
        "client-family-remove", kwargs={"studio_slug": studio.slug, "pk": 7, "link_pk": 42}
    )
    with pytest.raises(NoReverseMatch):
        profile_panels.row_url("client-list", studio_slug=studio.slug)


def test_a_panel_must_declare_its_permission():
    with pytest.raises(ValueError, match="declares no permission"):
        profile_panels.register_profile_panel(
            profile_panels.ProfilePanel(
                key="nothing", title="Nothing", template="x.html", load=lambda **kw: {}, perms=frozenset()
            )
        )


def test_the_registry_checks_the_permission_before_calling_the_panel(rf, studio, staff_factory):
    called = []
    panel = profile_panels.ProfilePanel(
        key="probe",
        title="Probe",
        template="x.html",
        load=lambda **kw: called.append(1) or {},
        perms=frozenset({Perm.REFUND}),
    )
    request = rf.get("/")
    request.staff = staff_factory(RoleKind.TEACHER)
    assert profile_panels.profile_sections(request=request, client=None, panels=[panel]) == []
    assert called == []
    request.staff = staff_factory(RoleKind.MANAGER)
    assert [s.key for s in profile_panels.profile_sections(request=request, client=None, panels=[panel])] == [
        "probe"
    ]


def test_add_a_dependant_form_loads_on_demand(owner_client, studio, a_client, other_studio):
    url = reverse("client-family-add", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    ClientFactory(studio=studio, first_name="Léo")
    profile = owner_client.get(_profile(studio, a_client)).content.decode()
    assert "Léo" not in profile and f'hx-get="{url}"' in profile  # not one option per client on each profile
    fragment = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Léo" in fragment and "<html" not in fragment and 'for="id_relationship"' in fragment
    page = owner_client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_status_cells_match_the_ledger_badge_template_row_by_row(studio, a_client):
    """The money panel renders the shared badge template once per state: every state must read
    exactly as the template would have written that row."""
    from django.template.loader import render_to_string

    from payments.models import ConnectedAccount, Payment
    from payments.panels import payment_status_cells

    states = [
        ("succeeded", 0, False, False),
        ("succeeded", 400, False, False),
        ("succeeded", 1000, False, False),
        ("succeeded", 0, False, True),
        ("failed", 0, False, False),
        ("canceled", 0, False, False),
        ("pending", 0, True, False),
        ("processing", 0, False, True),
        ("succeeded", 400, False, False),
    ]
    with scope(studio=studio):
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Main",
            creation_key="k-badges",
            stripe_account_id="acct_badges",
            charges_enabled=True,
        )
        payments = [
            Payment.objects.create(
                studio=studio,
                client=a_client,
                amount=1000,
                currency="CAD",
                account=account,
                stripe_account_id="acct_badges",
                routing_rule="default",
                routing_reason="",
                channel="online",
                item_kind="membership",
                description=f"Badge {i}",
                idempotency_key=f"badge-{i}",
                status=status,
                amount_refunded=refunded,
                outcome_unknown=unknown,
                is_escrow=escrow,
            )
            for i, (status, refunded, unknown, escrow) in enumerate(states)
        ]
        # The rows the panel reads (plain values), each beside the saved payment it came from.
        columns = ("status", "amount", "amount_refunded", "outcome_unknown", "is_escrow")
        rows = [{column: getattr(p, column) for column in columns} for p in payments]
        payment_status_cells(rows)
        for payment, row in zip(payments, rows, strict=True):
            assert row["status_html"] == render_to_string(
                "payments/_payment_status.html", {"payment": payment}
            )
    assert "Partly refunded" in rows[1]["status_html"] and "Refunded" in rows[2]["status_html"]
    assert "Escrow" in rows[3]["status_html"] and "outcome unknown" in rows[6]["status_html"]
