"""The client profile, the page every app hangs a panel on (issue #11): its query budget holds
whatever the rows, its panels check their permission, and its lists are cut and ordered right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from studio.permissions import Perm, RoleKind
from studio.registries import profile_panels
from tests.factories import ClientFactory, FamilyLinkFactory, LocationFactory

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12  # issue #11: the profile stays at or under this as panels are added


def fill(studio, client, n: int) -> None:
    """`n` rows in every list a profile panel shows (5 at most for saved methods, the product's cap)."""
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
        account = ConnectedAccount.objects.create(studio=studio, display_name="Main", creation_key=f"k{client.pk}",
                                                  stripe_account_id=f"acct_{client.pk}", charges_enabled=True)
        customer = StripeCustomer.objects.create(studio=studio, client=client, account=account,
                                                 stripe_customer_id=f"cus_{client.pk}", idempotency_key=f"c{client.pk}")
        for i in range(min(n, 5)):
            SavedPaymentMethod.objects.create(studio=studio, client=client, account=account, customer=customer,
                                              stripe_payment_method_id=f"pm_{client.pk}_{i}", kind="card",
                                              brand="visa", last4=f"{4240 + i}", exp_month=1, exp_year=2030,
                                              is_default=i == 0, source="staff")
        template = ClassTemplateFactory(studio=studio, name=f"Hatha flow {client.pk}")
        calendar = AppointmentCalendarFactory(location=LocationFactory(studio=studio))
        soon = timezone.now().replace(second=0, microsecond=0)
        for i in range(n):
            payment = Payment.objects.create(
                studio=studio, client=client, amount=1000 + i, currency="CAD", account=account,
                stripe_account_id=account.stripe_account_id, routing_rule="default", routing_reason="",
                channel="online", item_kind="membership", description=f"Payment number {i}",
                idempotency_key=f"p{client.pk}-{i}", status="succeeded", amount_refunded=100)
            refund = Refund.objects.create(studio=studio, payment=payment, amount=100, destination="credit",
                                           status="succeeded", idempotency_key=f"r{client.pk}-{i}")
            CreditEntry.objects.create(studio=studio, client=client, amount=100, currency="CAD", kind="refund",
                                       refund=refund, note=f"Credit note {i}")
            BookingFactory(studio=studio, client=client, session=ClassSessionFactory(
                studio=studio, template=template, starts_in=dt.timedelta(days=i + 1)))
            BookingFactory(studio=studio, client=client, status="checked_in", session=ClassSessionFactory(
                studio=studio, template=template, starts_in=-dt.timedelta(days=i + 1)))
            AppointmentFactory(calendar=calendar, client=client, starts_at=soon + dt.timedelta(days=2, hours=i))
            FamilyLinkFactory(studio=studio, guardian=client,
                              dependant=ClientFactory(studio=studio, first_name=f"Child{i}"))


def _profile(studio, client):
    return reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk})


def _count(http, url) -> tuple[int, str]:
    http.get(url)  # warm: the session's first read may differ
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_profile_query_count_is_within_budget_and_does_not_grow_with_rows(owner_client, studio, other_studio,
                                                                           location):
    few, many = ClientFactory(studio=studio), ClientFactory(studio=studio)
    fill(studio, few, 1)
    fill(studio, many, 12)
    few_queries, few_html = _count(owner_client, _profile(studio, few))
    many_queries, many_html = _count(owner_client, _profile(studio, many))
    assert few_queries == many_queries <= QUERY_BUDGET, (few_queries, many_queries)
    # Every panel rendered its rows (the budget is not met by showing less).
    for text in ("Payment number 0", "Credit note 0", "•••• 4240", "Hatha flow", "Massage", "Child0"):
        assert text in few_html, text
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
    clerk_queries, clerk_html = _count(login(staff_factory(RoleKind.FRONT_DESK).user), _profile(studio, a_client))
    assert 'data-panel="money"' in clerk_html and 'data-panel="saved-methods"' in clerk_html
    assert teacher_queries < clerk_queries  # the hidden panels are not even read


def test_upcoming_and_history_are_cut_and_ordered_in_one_query(studio, a_client, django_assert_num_queries):
    from scheduling.panels import client_bookings_recent
    from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory

    template = ClassTemplateFactory(studio=studio)
    ahead = [BookingFactory(studio=studio, client=a_client, session=ClassSessionFactory(
        studio=studio, template=template, starts_in=dt.timedelta(days=d))) for d in (3, 1, 2)]
    past = [BookingFactory(studio=studio, client=a_client, status="checked_in", session=ClassSessionFactory(
        studio=studio, template=template, starts_in=-dt.timedelta(days=d))) for d in (2, 1, 3)]
    cancelled_ahead = BookingFactory(studio=studio, client=a_client, status="cancelled",
                                     session=ClassSessionFactory(studio=studio, template=template,
                                                                                 starts_in=dt.timedelta(days=5)))
    with scope(studio=studio), django_assert_num_queries(1):
        upcoming, history = client_bookings_recent(client=a_client, now=timezone.now(), upcoming=2, history=3)
    assert upcoming == [ahead[1], ahead[2]]  # soonest first, cut at 2
    assert history == [cancelled_ahead, past[1], past[0]]  # newest first; a cancelled class is history


def test_a_panel_must_declare_its_permission():
    with pytest.raises(ValueError, match="declares no permission"):
        profile_panels.register_profile_panel(profile_panels.ProfilePanel(
            key="nothing", title="Nothing", template="x.html", load=lambda **kw: {}, perms=frozenset()))


def test_the_registry_checks_the_permission_before_calling_the_panel(rf, studio, staff_factory):
    called = []
    panel = profile_panels.ProfilePanel(key="probe", title="Probe", template="x.html",
                                        load=lambda **kw: called.append(1) or {}, perms=frozenset({Perm.REFUND}))
    request = rf.get("/")
    request.staff = staff_factory(RoleKind.TEACHER)
    assert profile_panels.profile_sections(request=request, client=None, panels=[panel]) == []
    assert called == []
    request.staff = staff_factory(RoleKind.MANAGER)
    assert [s.key for s in profile_panels.profile_sections(request=request, client=None, panels=[panel])] == ["probe"]


def test_add_a_dependant_form_loads_on_demand(owner_client, studio, a_client, other_studio):
    url = reverse("client-family-add", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    ClientFactory(studio=studio, first_name="Léo")
    profile = owner_client.get(_profile(studio, a_client)).content.decode()
    assert "Léo" not in profile and f'hx-get="{url}"' in profile  # not one option per client on each profile
    fragment = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Léo" in fragment and "<html" not in fragment and 'for="id_relationship"' in fragment
    page = owner_client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
