"""The penalty pages (POL-4): list by state, a fee's page, waive through a confirmation with a
reason, retry; the profile panel and the client's "amounts owed"; permissions, isolation, French."""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from memberships.models import Penalty, PenaltyStatus
from memberships.services import penalties as engine
from memberships.tests.penalty_helpers import (  # noqa: F401 - fixtures
    NOW,
    assess,
    charge_due,
    class_event,
    enabled,
    enqueued,
    failed_penalty,
    fresh,
    make_account,
    plateau,
    rule,
    sandbox,
    save_method,
)
from tests.factories import ClientFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


@pytest.fixture
def pending(studio, a_client):
    rule(studio, fee_amount=1000)
    [penalty] = assess(studio, class_event(a_client))
    return penalty


def test_the_list_shows_each_tab_with_its_fees(owner_client, studio, other_studio, pending, a_client):
    failed = failed_penalty(ClientFactory(studio=studio, first_name="Owing"), amount=700)
    failed_penalty(ClientFactory(studio=other_studio, first_name="Hidden"))
    page = owner_client.get(url(studio, "penalty-list")).content.decode()
    assert f'data-penalty="{pending.pk}"' in page and "Camille Tremblay" in page and "Hatha" in page
    assert f'data-penalty="{failed.pk}"' not in page and "Hidden" not in page
    failed_tab = owner_client.get(url(studio, "penalty-list") + "?tab=failed").content.decode()
    assert f'data-penalty="{failed.pk}"' in failed_tab and "No usable payment method" in failed_tab
    assert owner_client.get(url(studio, "penalty-list") + "?tab=bogus").status_code == 200
    assert owner_client.get(url(studio, "penalty-list") + "?tab=%00bad").status_code in (200, 400)


def test_the_list_reads_the_same_queries_at_1_and_40_rows(owner_client, studio, a_client):
    failed_penalty(a_client)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url(studio, "penalty-list") + "?tab=failed").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(39):
        failed_penalty(ClientFactory(studio=studio, first_name=f"C{n}"))
    assert count() == few


def test_the_fee_page_says_what_happened_and_where_the_money_went(
    sandbox, owner_client, studio, a_client, plateau, enabled
):
    save_method(sandbox, studio, a_client)
    rule(studio, fee_amount=1000)
    [penalty] = assess(studio, class_event(a_client))
    charge_due(studio, NOW)
    page = owner_client.get(url(studio, "penalty-detail", pk=penalty.pk)).content.decode()
    assert "No-show fee" in page and "Hatha" in page and "$10.00" in page
    assert "Charged" in page
    assert "client&#x27;s home location" in page or "client's home location" in page
    assert "Waive and refund" in page
    from django.utils import translation
    from django.utils.html import escape

    from memberships.selectors.penalties import _rule_sentence

    with translation.override("en"), scopes_disabled():
        sentence = _rule_sentence(studio=studio, rule=penalty.rule)
    assert sentence and escape(sentence) in page


def test_waiving_goes_through_a_confirmation_with_a_reason(owner_client, studio, pending):
    waive = url(studio, "penalty-waive", pk=pending.pk)
    confirm = owner_client.get(waive).content.decode()
    assert "Nothing will be charged" in confirm and 'name="reason"' in confirm
    # No reason: refused, nothing changes.
    refused = owner_client.post(waive, {"reason": "  "})
    assert refused.status_code == 200 and b"has-error" in refused.content
    assert fresh(pending).status == PenaltyStatus.PENDING
    done = owner_client.post(waive, {"reason": "Family emergency"})
    assert done.status_code == 302 and done["Location"] == url(studio, "penalty-detail", pk=pending.pk)
    penalty = fresh(pending)
    assert penalty.status == PenaltyStatus.WAIVED and penalty.waive_reason == "Family emergency"
    # A second submit of the same form is told the fee is waived already.
    again = owner_client.post(waive, {"reason": "Again"})
    assert b"already waived" in again.content
    assert fresh(pending).waive_reason == "Family emergency"


def test_hostile_reasons_are_refused_cleanly(owner_client, studio, pending):
    waive = url(studio, "penalty-waive", pk=pending.pk)
    for reason in ("x" * 301, "nul\x00byte", "x" * 10_000):
        response = owner_client.post(waive, {"reason": reason})
        assert response.status_code in (200, 400)
    assert fresh(pending).status == PenaltyStatus.PENDING


def test_a_fee_being_charged_cannot_be_waived_yet(owner_client, studio, pending):
    with scopes_disabled():
        Penalty.objects.filter(pk=pending.pk).update(status=PenaltyStatus.CHARGING)
    page = owner_client.get(url(studio, "penalty-waive", pk=pending.pk)).content.decode()
    assert "being charged right now" in page and 'name="reason"' not in page
    owner_client.post(url(studio, "penalty-waive", pk=pending.pk), {"reason": "x"})
    assert fresh(pending).status == PenaltyStatus.CHARGING


def test_a_charged_fee_needs_the_refund_permission_to_be_waived(
    sandbox, client, login, studio, a_client, plateau, enabled
):
    from studio.models import Role

    save_method(sandbox, studio, a_client)
    rule(studio)
    [penalty] = assess(studio, class_event(a_client))
    charge_due(studio, NOW)
    with scopes_disabled():
        role = Role.objects.create(
            studio=studio, name="Memberships only", kind="custom", permissions=["manage_memberships"]
        )
    staff = StaffFactory(studio=studio, role=role)
    login(staff.user)
    page = client.get(url(studio, "penalty-waive", pk=penalty.pk)).content.decode()
    assert "refund permission" in page
    client.post(url(studio, "penalty-waive", pk=penalty.pk), {"reason": "please"})
    assert fresh(penalty).status == PenaltyStatus.CHARGED


def test_retry_queues_one_new_attempt(owner_client, studio, a_client, enqueued):
    penalty = failed_penalty(a_client)
    retry = url(studio, "penalty-retry", pk=penalty.pk)
    assert owner_client.get(retry).status_code == 405
    assert owner_client.post(retry).status_code == 302
    assert owner_client.post(retry).status_code == 302  # a second click queues nothing more
    assert [c for c in enqueued if c[0] == engine.CHARGE_TASK] == [
        (engine.CHARGE_TASK, studio.pk, penalty.pk)
    ]
    penalty = fresh(penalty)
    assert penalty.status == PenaltyStatus.CHARGING and penalty.attempts == 2


def test_a_teacher_cannot_open_the_fee_pages(client, login, studio, pending):
    teacher = StaffFactory(studio=studio, kind="teacher")
    login(teacher.user)
    assert client.get(url(studio, "penalty-list")).status_code == 403
    assert client.post(url(studio, "penalty-waive", pk=pending.pk), {"reason": "x"}).status_code == 403
    assert fresh(pending).status == PenaltyStatus.PENDING


@pytest.mark.parametrize("name", ["penalty-detail", "penalty-waive", "penalty-retry"])
def test_another_studios_fee_answers_404(owner_client, studio, other_studio, name):
    from memberships.tests.isolation import CASES

    kwargs = CASES[name](other_studio)
    assert owner_client.post(url(studio, name, **kwargs), {"reason": "x"}).status_code == 404
    with scopes_disabled():
        assert Penalty.objects.get(pk=kwargs["pk"]).status == PenaltyStatus.FAILED


def test_the_profile_panel_lists_open_fees_with_their_actions(owner_client, studio, a_client, pending):
    failed = failed_penalty(a_client, amount=650)
    page = owner_client.get(reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk}))
    html = page.content.decode()
    assert 'id="panel-penalties"' in html or "Late-cancel and no-show fees" in html
    assert f'data-penalty="{pending.pk}"' in html and f'data-penalty="{failed.pk}"' in html
    assert url(studio, "penalty-retry", pk=failed.pk) in html
    assert url(studio, "penalty-waive", pk=pending.pk) in html
    assert "Owed: $6.50" in html


def test_the_client_sees_what_they_owe_on_their_account_page(client, login, studio, location):
    user = UserFactory(email="owing@example.test")
    me = ClientFactory(studio=studio, user=user, home_location=location)
    failed_penalty(me, amount=1250)
    failed_penalty(ClientFactory(studio=studio), amount=9900)
    html = login(user).get(f"/{studio.slug}/account/").content.decode()
    assert "Amounts owed" in html and "$12.50" in html and "No-show fee" in html
    assert "$99.00" not in html


def test_the_pages_read_in_french(client, login, owner, studio, a_client):
    penalty = failed_penalty(a_client, amount=1050)
    login(owner.user)
    client.cookies["django_language"] = "fr"
    page = client.get(
        url(studio, "penalty-detail", pk=penalty.pk), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "10,50" in page
    assert 'lang="fr"' in page


def test_due_dates_show_in_the_studios_zone(owner_client, studio, a_client):
    rule(studio)
    starts = dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.UTC)  # 18:30 in Toronto
    [penalty] = assess(studio, class_event(a_client, starts_at=starts))
    page = owner_client.get(url(studio, "penalty-detail", pk=penalty.pk)).content.decode()
    assert penalty.occurred_at == starts
    assert "6:30" in page or "18:30" in page
