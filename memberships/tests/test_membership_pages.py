"""A client's memberships on their profile and account page, the sale form, and one membership's
page with its full history (MEM-2): what they show, who sees them, and their query budgets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from memberships.models import CreditUse, Membership, MembershipPeriod, MembershipStatus, Renewal
from memberships.services.sales import membership_sell
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.models import PaymentSettings
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from payments.tests.helpers import cash_payment
from payments.tests.test_saved_methods import save_card
from studio.permissions import RoleKind
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory, UserFactory
from tests.test_hostile_input import server_errors  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _profile(studio, client):
    return reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk})


def _detail(studio, membership):
    return reverse("membership-detail", kwargs={"studio_slug": studio.slug, "pk": membership.pk})


def _count(http, url) -> tuple[int, str]:
    http.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response.content.decode()


def test_profile_panel_lists_memberships_at_no_extra_query_per_row(owner_client, studio, other_studio):
    few, many = ClientFactory(studio=studio), ClientFactory(studio=studio)
    eight = PlanFactory(studio=studio, name="Eight a month", credits_per_period=8)
    MembershipFactory(client=few, plan=eight)
    for i in range(12):
        MembershipFactory(client=many, plan=PlanFactory(studio=studio, name=f"Plan number {i}"))
    MembershipFactory(
        client=ClientFactory(studio=other_studio), plan=PlanFactory(studio=other_studio, name="Bravo")
    )
    few_queries, few_html = _count(owner_client, _profile(studio, few))
    many_queries, many_html = _count(owner_client, _profile(studio, many))
    assert few_queries == many_queries
    assert 'data-panel="memberships"' in few_html and "Eight a month" in few_html
    assert "8 credits left" in few_html and "Active" in few_html
    assert all(f"Plan number {i}" in many_html for i in range(12)) and "Bravo" not in many_html
    assert "Sell a membership" in few_html


def test_profile_panel_costs_no_query_of_its_own(owner_client, studio, a_client, monkeypatch):
    from studio.registries import profile_panels

    MembershipFactory(client=a_client)
    with_panel, _html = _count(owner_client, _profile(studio, a_client))
    panels = {k: v for k, v in profile_panels._PROFILE_PANELS.items() if k != "memberships"}
    monkeypatch.setattr(profile_panels, "_PROFILE_PANELS", panels)
    without, html = _count(owner_client, _profile(studio, a_client))
    assert 'data-panel="memberships"' not in html
    assert with_panel == without  # its rows ride on the query that reads the client


def test_current_memberships_come_first_with_period_renewal_and_credits(owner_client, studio, a_client):
    old = MembershipFactory(client=a_client, plan=PlanFactory(studio=studio, name="Old pack", pack=True))
    with scopes_disabled():
        Membership.objects.filter(pk=old.pk).update(status=MembershipStatus.EXPIRED)
    start = dt.date(2026, 1, 31)
    MembershipFactory(
        client=a_client,
        plan=PlanFactory(studio=studio, name="Monthly unlimited"),
        started_on=start,
        current_period_end=dt.date(2026, 2, 28),
    )
    html = owner_client.get(_profile(studio, a_client)).content.decode()
    panel = html.split('data-panel="memberships"', 1)[1]
    assert panel.index("Monthly unlimited") < panel.index("Old pack")
    assert "31 Jan 2026 – 27 Feb 2026" in panel and "28 Feb 2026" in panel  # last day; next renewal
    assert "Unlimited" in panel and "Expired" in panel


def test_a_teacher_sees_the_memberships_but_cannot_sell_or_open_them(login, studio, a_client, staff_factory):
    membership = MembershipFactory(client=a_client, plan=PlanFactory(studio=studio, name="Hatha unlimited"))
    http = login(staff_factory(RoleKind.TEACHER).user)
    html = http.get(_profile(studio, a_client)).content.decode()
    assert "Hatha unlimited" in html and "Sell a membership" not in html
    assert _detail(studio, membership) not in html
    assert http.get(_detail(studio, membership)).status_code == 403
    sell = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    assert http.get(sell).status_code == 403


@pytest.fixture
def laval_setup(studio, make_account, location):  # noqa: F811
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Plateau account", default=True, locations=[location])
    make_account(studio, name="Laval account", locations=[laval])
    return ClientFactory(studio=studio, first_name="Léa", home_location=laval)


def test_sale_form_loads_on_demand_and_says_which_account_and_card(
    owner_client,
    studio,
    sandbox,  # noqa: F811
    laval_setup,
):
    PlanFactory(studio=studio, name="Unlimited monthly", featured=True)
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": laval_setup.pk})
    profile = owner_client.get(_profile(studio, laval_setup)).content.decode()
    assert f'hx-get="{url}"' in profile and "Unlimited monthly" not in profile  # the plans load with the form
    fragment = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Unlimited monthly" in fragment
    assert "no saved payment method on “Laval account”" in fragment
    assert re.search(r'value="cash"[^>]*checked', fragment)  # no card there: cash is offered first
    assert "Laval — client&#x27;s home location" in fragment
    save_card(sandbox, studio, laval_setup)
    fragment = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "default method, Visa •••• 4242, would be charged on the account “Laval account”" in fragment
    assert re.search(r'value="saved_method"[^>]*checked', fragment)
    page = owner_client.get(url)
    assert "<html" in page.content.decode()


def test_selling_on_the_form_then_declined_goes_to_the_membership_and_says_why(
    owner_client,
    studio,
    sandbox,  # noqa: F811
    laval_setup,
):
    plan = PlanFactory(studio=studio, name="Unlimited monthly")
    save_card(sandbox, studio, laval_setup, pm="pm_card_chargeCustomerFail")
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": laval_setup.pk})
    response = owner_client.post(
        url, {"plan": plan.pk, "tender": "saved_method", "sale_token": "d" * 32}, follow=True
    )
    html = response.content.decode()
    with scopes_disabled():
        membership = Membership.objects.get(client=laval_setup)
    assert response.redirect_chain[-1][0] == _detail(studio, membership)
    assert "was not sold" in html and "declined" in html and "Cancelled" in html
    assert "Laval — client&#x27;s home location" in html  # the refused payment shows with its route


def test_no_method_refusal_shows_on_the_form_and_saves_nothing(owner_client, studio, laval_setup):
    plan = PlanFactory(studio=studio)
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": laval_setup.pk})
    response = owner_client.post(url, {"plan": plan.pk, "tender": "saved_method", "sale_token": "n" * 32})
    assert response.status_code == 200 and b"errorlist" in response.content
    assert "no saved payment method on “Laval account”" in response.content.decode()
    with scopes_disabled():
        assert not Membership.objects.exists()


def test_staff_who_may_not_use_saved_cards_can_only_take_cash(login, studio, a_client):
    from studio.models import Role
    from studio.permissions import Perm
    from tests.factories import StaffFactory

    with scopes_disabled():
        role = Role.objects.create(
            studio=studio,
            name="Cashier",
            kind=RoleKind.CUSTOM,
            permissions=[Perm.VIEW_CLIENTS, Perm.SELL_POS],
        )
    http = login(StaffFactory(studio=studio, role=role).user)
    plan = PlanFactory(studio=studio)
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    form = http.get(url).content.decode()
    assert 'value="cash"' in form and 'value="saved_method"' not in form
    refused = http.post(url, {"plan": plan.pk, "tender": "saved_method", "sale_token": "c" * 32})
    assert refused.status_code == 200 and b"errorlist" in refused.content
    sold = http.post(url, {"plan": plan.pk, "tender": "cash", "sale_token": "c" * 32})
    assert sold.status_code == 302
    with scopes_disabled():
        assert Membership.objects.get(client=a_client).status == MembershipStatus.ACTIVE


def _history(studio, membership, n: int) -> None:
    """`n` periods (each paid), renewals and credit uses on `membership`, the first booking real."""
    from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory

    template = ClassTemplateFactory(studio=studio, name=f"Yin yoga {membership.pk}")
    booking = BookingFactory(
        studio=studio,
        client=membership.client,
        session=ClassSessionFactory(studio=studio, template=template, starts_in=dt.timedelta(days=2)),
    )
    payments = [
        cash_payment(studio, membership.client, amount=1000 + i, description=f"Period {i}") for i in range(n)
    ]
    start = dt.date(2010, 1, 1)
    with scopes_disabled():
        MembershipPeriod.objects.bulk_create(
            MembershipPeriod(
                studio=studio,
                membership=membership,
                kind="renewal",
                starts_on=start + dt.timedelta(days=30 * i),
                ends_on=start + dt.timedelta(days=30 * (i + 1)),
                payment=payments[i],
            )
            for i in range(n)
        )
        Renewal.objects.bulk_create(
            Renewal(
                studio=studio,
                membership=membership,
                period_start=start + dt.timedelta(days=30 * i),
                amount=1000,
                currency="CAD",
                status="succeeded",
                idempotency_key=f"renewal:{membership.pk}:{i}",
                payment=payments[i],
            )
            for i in range(n)
        )
        CreditUse.objects.bulk_create(
            CreditUse(
                studio=studio,
                membership=membership,
                booking_kind="class",
                booking_id=booking.pk if i == 0 else 10**9 + i,
                used_at=timezone.now(),
            )
            for i in range(n)
        )


def test_membership_page_shows_the_full_history_at_a_constant_query_count(owner_client, studio, other_studio):
    small = MembershipFactory(client=ClientFactory(studio=studio))
    large = MembershipFactory(client=ClientFactory(studio=studio))
    _history(studio, small, 1)
    _history(studio, large, 200)
    small_queries, small_html = _count(owner_client, _detail(studio, small))
    large_queries, large_html = _count(owner_client, _detail(studio, large))
    assert small_queries == large_queries, (small_queries, large_queries)
    assert "Yin yoga" in small_html and "Yin yoga" in large_html  # the booked class, named
    assert large_html.count("data-period=") == 200 and large_html.count("data-renewal=") == 200
    assert large_html.count("data-credit-use=") == 200
    # Each period's payment: its amount, status and route (no account yet: held in escrow).
    assert "$10.00" in small_html and "Succeeded" in small_html and "held in escrow" in small_html


def test_membership_page_of_a_cash_sale_shows_the_period_and_its_payment(
    owner_client, studio, owner, a_client
):
    plan = PlanFactory(studio=studio, name="Ten classes", pack=True)
    with scope(studio=studio):
        result = membership_sell(
            studio=studio, actor=Actor(user=owner.user), client=a_client, plan=plan, tender="cash"
        )
    html = owner_client.get(_detail(studio, result.membership)).content.decode()
    assert "Ten classes" in html and "10 credits left" in html and "Purchase" in html
    assert "$150.00" in html and "Succeeded" in html


def test_the_client_sees_their_memberships_on_their_account_page(client, studio, login):
    user = UserFactory(email="lea@example.test")
    me = ClientFactory(studio=studio, user=user)
    MembershipFactory(client=me, plan=PlanFactory(studio=studio, name="My monthly", credits_per_period=4))
    MembershipFactory(
        client=ClientFactory(studio=studio), plan=PlanFactory(studio=studio, name="Someone else's")
    )
    html = login(user).get(f"/{studio.slug}/account/").content.decode()
    assert "My memberships" in html and "My monthly" in html and "4 credits left" in html
    assert "Someone else" not in html


@pytest.mark.parametrize("name", ["client-membership-sell", "membership-detail"])
def test_another_studios_ids_answer_404_on_the_sale_and_membership_pages(
    owner_client, studio, other_studio, name
):
    from memberships.tests.isolation import CASES

    kwargs = CASES[name](other_studio)
    url = reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})
    with scopes_disabled():
        before = Membership.objects.filter(studio=other_studio).count()
    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url, {"plan": "1", "tender": "cash", "sale_token": "i" * 32}).status_code == 404
    with scopes_disabled():
        assert Membership.objects.filter(studio=other_studio).count() == before


def test_a_membership_awaiting_payment_shows_so_and_no_credits(owner_client, studio, a_client):
    waiting = MembershipFactory(
        client=a_client,
        plan=PlanFactory(studio=studio, name="Waiting plan"),
        status=MembershipStatus.PENDING,
        started_on=None,
        anchor_day=None,
        current_period_start=None,
        current_period_end=None,
        next_renewal_on=None,
        credits_remaining=None,
        periods_paid=0,
    )
    panel = (
        owner_client.get(_profile(studio, a_client)).content.decode().split('data-panel="memberships"', 1)[1]
    )
    assert "Awaiting payment" in panel and "Unlimited" not in panel.split("</table>", 1)[0]
    detail = owner_client.get(_detail(studio, waiting)).content.decode()
    assert "Awaiting payment" in detail and "settled automatically" in detail


def test_the_sale_form_survives_the_hostile_input_walk(
    owner_client,
    studio,
    sandbox,  # noqa: F811
    laval_setup,
    server_errors,  # noqa: F811
):
    """The hostile walk of tests/test_hostile_input.py on this form, with plans on sale (the demo
    may have none): no 500, NUL refused with a 400, and nothing saved when the form refuses."""
    from tests.test_hostile_input import VARIANTS, _form_data, _FormParser, _is_refusal

    PlanFactory(studio=studio, name="Unlimited monthly")
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": laval_setup.pk})
    parser = _FormParser()
    parser.feed(owner_client.get(url).content.decode())
    [form] = [f for f in parser.forms if f["action"] == url]
    assert {f["name"] for f in form["fields"]} >= {"plan", "tender", "sale_token"}
    failures = []
    for variant in range(VARIANTS + 1):
        data = _form_data(form, variant, nul=variant == VARIANTS)
        with scopes_disabled():
            before = (Membership.objects.count(), PaymentSettings.objects.count())
        response = owner_client.post(url, data)
        with scopes_disabled():
            after = (Membership.objects.count(), PaymentSettings.objects.count())
        if response.status_code >= 500:
            failures.append((variant, response.status_code))
        elif variant == VARIANTS and response.status_code != 400:
            failures.append((variant, "NUL not refused", response.status_code))
        elif _is_refusal(response) and after != before:
            failures.append((variant, "refused but saved"))
    assert not failures, (failures, server_errors)
