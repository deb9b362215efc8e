"""The renewals page (H7): its tabs, the failure reasons in the reader's language, "Retry now" (once per
click), the night's progress and its polling, dates in the studio's zone, and a flat query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from memberships.models import Membership, MembershipStatus, Renewal, RenewalStatus
from memberships.selectors.renewals import renewal_version, renewals_page, studio_today
from memberships.tests.factories import MembershipFactory, PlanFactory
from memberships.tests.renewal_rows import renewal_for
from studio.models import AuditLog
from studio.permissions import RoleKind
from tests.factories import ClientFactory, make_studio

pytestmark = pytest.mark.django_db


def _url(studio, **query):
    url = reverse("renewal-list", kwargs={"studio_slug": studio.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _today(studio):
    return studio_today(studio=studio)


def _member(studio, *, renews_on, status=MembershipStatus.ACTIVE, first="Zoé", plan=None, **kwargs):
    client = ClientFactory(studio=studio, first_name=first, last_name="Roy")
    fields = {"client": client, "status": status, "next_renewal_on": renews_on}
    if plan is not None:
        fields["plan"] = plan
    return MembershipFactory(**fields, **kwargs)


@pytest.fixture
def rows(studio, other_studio):
    """One membership per tab in `studio`, and the same in the other studio (never shown)."""
    today = _today(studio)
    made = {}
    for place in (studio, other_studio):
        tag = "A" if place == studio else "B"
        plan = PlanFactory(studio=place, name=f"Illimité {tag}")
        waiting = _member(place, renews_on=today, first=f"Due{tag}", plan=plan)
        charged = _member(place, renews_on=today, first=f"Charged{tag}", plan=plan)
        renewal_for(charged, period_start=today, status=RenewalStatus.DUE, attempts=1)
        soon = _member(place, renews_on=today + dt.timedelta(days=5), first=f"Soon{tag}", plan=plan)
        later = _member(place, renews_on=today + dt.timedelta(days=20), first=f"Later{tag}", plan=plan)
        late = _member(
            place, renews_on=today - dt.timedelta(days=2), first=f"Late{tag}", plan=plan, status="past_due"
        )
        failing = renewal_for(
            late,
            period_start=today - dt.timedelta(days=2),
            failure_code="insufficient_funds",
            attempts=2,
            next_attempt_at=timezone.now() + dt.timedelta(days=1),
        )
        made[tag] = {
            "waiting": waiting,
            "charged": charged,
            "soon": soon,
            "later": later,
            "late": late,
            "failing": failing,
        }
    return made


def test_each_tab_lists_its_rows_and_none_of_the_other_studio(owner_client, studio, rows):
    today_page = owner_client.get(_url(studio)).content.decode()
    assert "DueA" in today_page and "ChargedA" in today_page
    assert "SoonA" not in today_page and "DueB" not in today_page and "ChargedB" not in today_page
    assert (
        reverse("membership-detail", kwargs={"studio_slug": studio.slug, "pk": rows["A"]["waiting"].pk})
        in today_page
    )
    assert (
        reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": rows["A"]["waiting"].client_id})
        in today_page
    )

    week = owner_client.get(_url(studio, tab="upcoming")).content.decode()
    assert "SoonA" in week and "LaterA" not in week and "SoonB" not in week
    month = owner_client.get(_url(studio, tab="upcoming", days=30)).content.decode()
    assert "SoonA" in month and "LaterA" in month and "LaterB" not in month

    failing = owner_client.get(_url(studio, tab="failing")).content.decode()
    assert "LateA" in failing and "LateB" not in failing
    assert "The card has insufficient funds." in failing
    assert "Retry now" in failing

    past_due = owner_client.get(_url(studio, tab="past_due")).content.decode()
    assert "LateA" in past_due and "insufficient funds" in past_due and "LateB" not in past_due


def test_counts_and_the_reason_in_french(client, login, owner, studio, rows):
    login(owner.user)
    client.cookies["django_language"] = "fr"
    page = client.get(_url(studio, tab="failing"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les fonds de la carte sont insuffisants." in page
    assert "Réessayer maintenant" in page
    with scope(studio=studio):
        counts = renewals_page(studio=studio, tab="today").counts
    assert (counts.today, counts.upcoming, counts.failing, counts.past_due) == (2, 1, 1, 1)


def test_progress_polls_only_while_the_run_is_working(owner_client, studio, rows):
    page = owner_client.get(_url(studio)).content.decode()
    assert 'id="renewal-progress"' in page and "every 3s" in page
    partial = owner_client.get(_url(studio, part="progress"), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section") and 'data-status="due">1<' in partial
    with scopes_disabled():
        Renewal.objects.filter(studio=studio, status=RenewalStatus.DUE).update(status=RenewalStatus.SUCCEEDED)
    partial = owner_client.get(_url(studio, part="progress"), HTTP_HX_REQUEST="true").content.decode()
    assert "every 3s" not in partial  # the swap without the trigger stops the polling
    assert 'data-status="succeeded">1<' in partial


def test_retry_now_queues_one_attempt_per_click(owner_client, studio, rows):
    renewal = rows["A"]["failing"]
    url = reverse("renewal-retry", kwargs={"studio_slug": studio.slug, "pk": renewal.pk})
    seen = renewal_version(renewal)
    first = owner_client.post(url, {"seen": seen, "tab": "failing"})
    assert first.status_code == 302 and first["Location"].endswith("?tab=failing")
    with scopes_disabled():
        renewal.refresh_from_db()
        assert renewal.next_attempt_at <= timezone.now()
        assert AuditLog.objects.filter(studio=studio, action="memberships.renewal_retry_now").count() == 1
    second = owner_client.post(url, {"seen": seen, "tab": "failing"})  # the double click
    assert second.status_code == 302
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action="memberships.renewal_retry_now").count() == 1
    page = owner_client.get(second["Location"]).content.decode()
    assert "already tried again" in page


def test_retry_now_refuses_a_renewal_that_is_not_failing_and_the_other_studio(owner_client, studio, rows):
    with scopes_disabled():
        due = Renewal.objects.get(studio=studio, status=RenewalStatus.DUE)
    url = reverse("renewal-retry", kwargs={"studio_slug": studio.slug, "pk": due.pk})
    assert owner_client.post(url, {"seen": renewal_version(due)}).status_code == 302
    foreign = rows["B"]["failing"]
    url = reverse("renewal-retry", kwargs={"studio_slug": studio.slug, "pk": foreign.pk})
    assert owner_client.post(url, {"seen": renewal_version(foreign)}).status_code == 404
    assert owner_client.get(url).status_code == 405
    with scopes_disabled():
        assert not AuditLog.objects.filter(action="memberships.renewal_retry_now").exists()


def test_front_desk_may_not_see_renewals(login, staff_factory, studio):
    response = login(staff_factory(RoleKind.FRONT_DESK).user).get(_url(studio))
    assert response.status_code == 403


def test_today_is_the_studio_calendar_day():
    """22:00 in Vancouver on 28 February is 06:00 UTC on 1 March: Vancouver's renewals of the 28th are
    today's, its renewals of the 1st are tomorrow's."""
    west = make_studio("west", time_zone="America/Vancouver")
    now = dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.UTC)
    due = _member(west, renews_on=dt.date(2027, 2, 28), first="Feb")
    tomorrow = _member(west, renews_on=dt.date(2027, 3, 1), first="Mar")
    with scope(studio=west):
        page = renewals_page(studio=west, tab="today", now=now)
        upcoming = renewals_page(studio=west, tab="upcoming", now=now)
    assert page.today == dt.date(2027, 2, 28)
    assert [r.membership.pk for r in page.memberships] == [due.pk]
    assert [r.membership.pk for r in upcoming.memberships] == [tomorrow.pk]


def _fill(studio, n: int, today: dt.date) -> None:
    plan = PlanFactory(studio=studio, name="Mensuel")
    for i in range(n):
        late = _member(
            studio, renews_on=today - dt.timedelta(days=1), first=f"L{i}", plan=plan, status="past_due"
        )
        renewal_for(late, period_start=today - dt.timedelta(days=1), attempts=1)
        charged = _member(studio, renews_on=today, first=f"C{i}", plan=plan)
        renewal_for(charged, period_start=today, status=RenewalStatus.SUCCEEDED)
        _member(studio, renews_on=today, first=f"W{i}", plan=plan)
        _member(studio, renews_on=today + dt.timedelta(days=3), first=f"U{i}", plan=plan)


@pytest.mark.parametrize("tab", ["today", "upcoming", "failing", "past_due"])
def test_query_budget_is_the_same_at_1_and_200_rows(owner_client, studio, other_studio, tab):
    today = _today(studio)
    _fill(studio, 1, today)
    url = _url(studio, tab=tab)
    owner_client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert owner_client.get(url).status_code == 200
    _fill(studio, 199, today)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(url)
    assert response.status_code == 200
    with scopes_disabled():
        assert Membership.objects.filter(studio=studio).count() == 800
    assert response.content.decode().count("data-membership=" if tab != "failing" else "data-renewal=") == 200
    assert len(many) == len(one), [q["sql"][:120] for q in many.captured_queries]


def test_failure_codes_read_as_sentences():
    from memberships.selectors.renewals import renewal_failure_reason

    assert renewal_failure_reason("card_declined") == "The card was declined."
    assert renewal_failure_reason("no_method").startswith("No usable payment method")
    assert renewal_failure_reason("") == ""
    assert renewal_failure_reason("weird_code") == "The payment was refused (weird_code)."


def test_retry_now_on_a_cancelled_membership_says_why_and_queues_nothing(owner_client, studio, rows):
    renewal = rows["A"]["failing"]
    with scopes_disabled():
        Membership.objects.filter(pk=renewal.membership_id).update(status=MembershipStatus.CANCELLED)
    url = reverse("renewal-retry", kwargs={"studio_slug": studio.slug, "pk": renewal.pk})
    response = owner_client.post(url, {"seen": renewal_version(renewal), "tab": "failing"}, follow=True)
    assert "can no longer be charged" in response.content.decode()
    with scopes_disabled():
        assert not AuditLog.objects.filter(action="memberships.renewal_retry_now").exists()


def test_the_progress_poll_reads_only_the_counts(owner_client, studio, rows):
    url = _url(studio, part="progress")
    with CaptureQueriesContext(connection) as poll:
        response = owner_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<table" not in response.content.decode()
    with CaptureQueriesContext(connection) as full:
        owner_client.get(_url(studio))
    assert len(poll) < len(full)


def test_old_final_failures_of_memberships_since_cancelled_leave_the_failing_tab(owner_client, studio):
    today = _today(studio)
    gone = _member(studio, renews_on=today - dt.timedelta(days=70), first="Gone", status="cancelled")
    old = renewal_for(gone, period_start=today - dt.timedelta(days=70), status=RenewalStatus.FAILED)
    still = _member(studio, renews_on=today - dt.timedelta(days=70), first="Still", status="past_due")
    kept = renewal_for(still, period_start=today - dt.timedelta(days=70), status=RenewalStatus.FAILED)
    with scopes_disabled():
        Renewal.objects.filter(pk__in=[old.pk, kept.pk]).update(
            updated_at=timezone.now() - dt.timedelta(days=60)
        )
    page = owner_client.get(_url(studio, tab="failing")).content.decode()
    assert f'data-renewal="{kept.pk}"' in page and f'data-renewal="{old.pk}"' not in page
