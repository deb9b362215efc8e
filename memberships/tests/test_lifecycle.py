"""Pause, cancel and change a client's membership (MEM-4): the services, then the pages.

Dates are the studio's calendar dates; `NOW` is noon in Toronto on 10 November 2026, inside a
November period (1 Nov – 30 Nov, renewing on 1 Dec) paid 30,00 $.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from memberships.models import (
    Membership,
    MembershipPeriod,
    MembershipSettings,
    MembershipStatus,
    Proration,
    Renewal,
    RenewalStatus,
)
from memberships.services import lifecycle as svc
from memberships.tests.factories import MembershipFactory, PlanFactory
from payments.models import CreditEntry, Payment, Refund
from payments.services.credit import credit_balance
from payments.tests.helpers import cash_payment
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.services import Actor

pytestmark = pytest.mark.django_db

D = dt.date
NOW = dt.datetime(2026, 11, 10, 17, 0, tzinfo=dt.UTC)  # 12:00 in Toronto
TODAY = D(2026, 11, 10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def actor(owner):
    return Actor(user=owner.user)


def make_membership(studio, client, *, plan=None, paid=3000, **fields) -> Membership:
    """A monthly membership in its November period, paid `paid` in cash (0: no payment)."""
    plan = plan or PlanFactory(studio=studio, price_amount=3000)
    values = {
        "started_on": D(2026, 11, 1),
        "anchor_day": 1,
        "current_period_start": D(2026, 11, 1),
        "current_period_end": D(2026, 12, 1),
        "next_renewal_on": D(2026, 12, 1),
        "credits_remaining": 8,
        **fields,
    }
    membership = MembershipFactory(client=client, plan=plan, **values)
    payment = cash_payment(studio, client, amount=paid) if paid else None
    with scopes_disabled():
        MembershipPeriod.objects.create(
            studio=studio,
            membership=membership,
            kind="purchase",
            starts_on=values["current_period_start"],
            ends_on=values["current_period_end"],
            payment=payment,
        )
    return membership


def fresh(membership) -> Membership:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk)


def audits(action: str) -> list[AuditLog]:
    with scopes_disabled():
        return list(AuditLog.objects.filter(action=action))


@pytest.fixture
def membership(studio, other_studio, a_client):
    return make_membership(studio, a_client)


# --- pause -----------------------------------------------------------------------------------------


def test_a_pause_from_today_pauses_now_and_moves_the_period_end_and_the_renewal(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=TODAY,
            paused_until=D(2026, 11, 20),
            now=NOW,
        )
    row = fresh(membership)
    assert row.status == MembershipStatus.PAUSED
    assert (row.paused_from, row.paused_until) == (TODAY, D(2026, 11, 20))
    # 10 days paused: the client keeps the 10 days they paid for, the renewal moves by as much.
    assert row.current_period_end == D(2026, 12, 11) and row.next_renewal_on == D(2026, 12, 11)
    with scopes_disabled():
        assert MembershipPeriod.objects.get(membership=membership).ends_on == D(2026, 12, 11)
    [entry] = audits("membership.paused")
    assert entry.changes["next_renewal_on"] == {"from": "2026-12-01", "to": "2026-12-11"}


def test_a_planned_pause_starts_and_ends_with_the_daily_run(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=D(2026, 11, 15),
            paused_until=D(2026, 11, 22),
            now=NOW,
        )
        assert fresh(membership).status == MembershipStatus.ACTIVE  # not yet
        assert svc.membership_pauses_apply(studio=studio, today=D(2026, 11, 14)) == 0
        assert svc.membership_pauses_apply(studio=studio, today=D(2026, 11, 15)) == 1
        assert fresh(membership).status == MembershipStatus.PAUSED
        assert svc.membership_pauses_apply(studio=studio, today=D(2026, 11, 16)) == 0  # idempotent
        assert svc.membership_pauses_apply(studio=studio, today=D(2026, 11, 22)) == 1
    row = fresh(membership)
    assert row.status == MembershipStatus.ACTIVE and row.paused_from is None and row.paused_until is None
    assert row.next_renewal_on == D(2026, 12, 8)
    assert len(audits("membership.pause_started")) == 1 and len(audits("membership.pause_ended")) == 1


@pytest.mark.parametrize(
    "start,end,field,words",
    [
        (D(2026, 11, 9), D(2026, 11, 20), "paused_from", "past"),
        (D(2026, 11, 12), D(2026, 11, 12), "paused_until", "after it starts"),
        (D(2026, 11, 12), D(2027, 11, 20), "paused_until", "at most"),
        (D(2026, 12, 1), D(2026, 12, 5), "paused_from", "within the period"),
        (D(2026, 11, 12), D(9999, 12, 31), "paused_until", "calendar"),
    ],
)
def test_pause_dates_are_refused_by_field_and_nothing_changes(
    studio, actor, membership, start, end, field, words
):
    before = fresh(membership)
    with scope(studio=studio), pytest.raises(ValidationError) as caught:
        svc.membership_pause(
            studio=studio, actor=actor, membership=membership, paused_from=start, paused_until=end, now=NOW
        )
    assert words in " ".join(caught.value.message_dict[field])
    after = fresh(membership)
    assert (after.status, after.next_renewal_on, after.paused_from) == (
        before.status,
        before.next_renewal_on,
        before.paused_from,
    )


def test_what_cannot_be_paused_says_why(studio, actor, a_client):
    pack = make_membership(studio, a_client, plan=PlanFactory(studio=studio, pack=True), next_renewal_on=None)
    past_due = make_membership(studio, a_client, status=MembershipStatus.PAST_DUE)
    with scope(studio=studio):
        for membership, words in ((pack, "Only subscriptions"), (past_due, "past due")):
            with pytest.raises(ValidationError, match=words):
                svc.membership_pause(
                    studio=studio,
                    actor=actor,
                    membership=membership,
                    paused_from=TODAY,
                    paused_until=D(2026, 11, 20),
                    now=NOW,
                )


def test_a_second_pause_is_refused_while_one_is_planned(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=D(2026, 11, 15),
            paused_until=D(2026, 11, 22),
            now=NOW,
        )
        with pytest.raises(ValidationError, match="already has a pause"):
            svc.membership_pause(
                studio=studio,
                actor=actor,
                membership=membership,
                paused_from=D(2026, 11, 25),
                paused_until=D(2026, 11, 28),
                now=NOW,
            )
    assert fresh(membership).next_renewal_on == D(2026, 12, 8)  # moved once


def test_resuming_early_gives_back_the_days_not_paused(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=TODAY,
            paused_until=D(2026, 11, 30),
            now=NOW,
        )
        assert fresh(membership).next_renewal_on == D(2026, 12, 21)
        # Four days later the client is back: 4 days paused, the renewal is 4 days later than planned.
        svc.membership_resume(
            studio=studio, actor=actor, membership=membership, now=NOW + dt.timedelta(days=4)
        )
    row = fresh(membership)
    assert row.status == MembershipStatus.ACTIVE and row.paused_from is None
    assert row.next_renewal_on == D(2026, 12, 5) and row.current_period_end == D(2026, 12, 5)
    assert len(audits("membership.resumed")) == 1


def test_calling_off_a_planned_pause_restores_the_renewal_date(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=D(2026, 11, 20),
            paused_until=D(2026, 11, 27),
            now=NOW,
        )
        svc.membership_resume(studio=studio, actor=actor, membership=membership, now=NOW)
        with pytest.raises(ValidationError, match="no pause"):
            svc.membership_resume(studio=studio, actor=actor, membership=membership, now=NOW)
    row = fresh(membership)
    assert row.next_renewal_on == D(2026, 12, 1) and row.current_period_end == D(2026, 12, 1)
    with scopes_disabled():
        assert MembershipPeriod.objects.get(membership=membership).ends_on == D(2026, 12, 1)
    assert len(audits("membership.pause_called_off")) == 1


def test_the_renewal_engine_does_not_renew_during_a_pause(studio, actor, membership):
    from memberships.services.renewals import renewals_run_due

    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=TODAY,
            paused_until=D(2026, 12, 3),
            now=NOW,
        )
        # 1 December, the old renewal date, at the renewal hour: still paused, nothing is due.
        renewals_run_due(studio=studio, now=dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
        assert not Renewal.objects.filter(membership=membership).exists()


# --- cancel at the period end -----------------------------------------------------------------------


def test_cancel_at_period_end_stops_renewals_and_can_be_undone(studio, actor, membership):
    with scope(studio=studio):
        result = svc.membership_cancel(
            studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
        )
        assert result.refund is None
        row = fresh(membership)
        assert row.cancel_at_period_end and row.next_renewal_on is None and row.ends_on == D(2026, 12, 1)
        assert row.status == MembershipStatus.ACTIVE  # it is used until then
        with pytest.raises(ValidationError, match="already ends"):
            svc.membership_cancel(
                studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
            )
        svc.membership_cancel_undo(studio=studio, actor=actor, membership=membership, now=NOW)
    row = fresh(membership)
    assert not row.cancel_at_period_end and row.next_renewal_on == D(2026, 12, 1) and row.ends_on is None
    assert len(audits("membership.cancel_scheduled")) == 1 and len(audits("membership.cancel_undone")) == 1


def test_undo_is_refused_once_the_period_is_over(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_cancel(
            studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
        )
        with pytest.raises(ValidationError, match="no longer be undone"):
            svc.membership_cancel_undo(
                studio=studio,
                actor=actor,
                membership=membership,
                now=dt.datetime(2026, 12, 2, 17, tzinfo=dt.UTC),
            )


def test_the_engine_ends_a_membership_cancelled_at_period_end(studio, actor, membership):
    from memberships.services.renewals import renewals_run_due

    with scope(studio=studio):
        svc.membership_cancel(
            studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
        )
        renewals_run_due(studio=studio, now=dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC))
        assert not Renewal.objects.filter(membership=membership).exists()
    assert fresh(membership).status == MembershipStatus.CANCELLED


def test_a_minimum_commitment_is_refused_unless_waived(studio, actor, a_client):
    plan = PlanFactory(studio=studio, price_amount=3000, commitment_periods=3)
    membership = make_membership(studio, a_client, plan=plan)
    with scope(studio=studio):
        with pytest.raises(ValidationError, match=r"minimum commitment until Feb\. 1, 2027"):
            svc.membership_cancel(
                studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
            )
        assert not fresh(membership).cancel_at_period_end
        svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_PERIOD_END,
            waive_commitment=True,
            now=NOW,
        )
    assert fresh(membership).cancel_at_period_end
    [entry] = audits("membership.cancel_scheduled")
    assert entry.changes["commitment_waived"] == "2027-02-01"


def test_a_served_commitment_needs_no_waiver(studio, actor, a_client):
    plan = PlanFactory(studio=studio, price_amount=3000, commitment_periods=1)
    membership = make_membership(studio, a_client, plan=plan)
    with scope(studio=studio):
        svc.membership_cancel(
            studio=studio, actor=actor, membership=membership, when=svc.WHEN_PERIOD_END, now=NOW
        )
    assert "commitment_waived" not in audits("membership.cancel_scheduled")[0].changes


# --- cancel now ---------------------------------------------------------------------------------------


def test_cancel_now_without_proration_ends_today_and_closes_open_renewals(studio, actor, membership):
    with scopes_disabled():
        renewal = Renewal.objects.create(
            studio=studio,
            membership=membership,
            period_start=D(2026, 11, 1),
            amount=3000,
            currency="CAD",
            idempotency_key=f"renewal:{membership.pk}:2026-11-01",
            status=RenewalStatus.RETRYING,
        )
    with scope(studio=studio):
        result = svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.NONE,
            now=NOW,
        )
    row = fresh(membership)
    assert row.status == MembershipStatus.CANCELLED and row.ends_on == TODAY and row.credits_remaining == 0
    assert row.next_renewal_on is None and row.cancelled_at == NOW
    assert result.refund is None and result.proration.amount == 0
    renewal.refresh_from_db()
    assert renewal.status == RenewalStatus.SKIPPED
    with scopes_disabled():
        assert not Refund.objects.exists()


def test_cancel_now_refunds_the_unused_days_once_even_when_clicked_twice(studio, actor, membership):
    with scope(studio=studio):
        payment = MembershipPeriod.objects.get(membership=membership).payment
        result = svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.REFUND,
            now=NOW,
        )
        # 21 of 30 days unused (10 Nov → 1 Dec) of what the period's payment took.
        expected = round(payment.amount * 21 / 30)
        assert result.refund.amount == expected and result.refund.status == Refund.Status.SUCCEEDED
        assert result.refund.destination == Refund.Destination.ORIGINAL
        with pytest.raises(ValidationError, match="already over"):
            svc.membership_cancel(
                studio=studio,
                actor=actor,
                membership=membership,
                when=svc.WHEN_NOW,
                proration=Proration.REFUND,
                now=NOW,
            )
    with scopes_disabled():
        assert Refund.objects.filter(payment=payment).count() == 1
        assert Payment.objects.get(pk=payment.pk).amount_refunded == expected
    [entry] = audits("membership.cancelled")
    assert entry.changes["proration"] == "refund" and entry.changes["amount"] == expected


def test_cancel_now_as_studio_credit(studio, actor, a_client, membership):
    with scope(studio=studio):
        result = svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.CREDIT,
            now=NOW,
        )
        assert result.refund.destination == Refund.Destination.CREDIT
        assert credit_balance(client=a_client) == result.refund.amount > 0
        assert CreditEntry.objects.filter(client=a_client, kind=CreditEntry.Kind.REFUND).count() == 1


def test_cancel_now_follows_the_studios_proration_choice_by_default(studio, actor, a_client, membership):
    with scope(studio=studio):
        MembershipSettings.objects.update_or_create(
            studio=studio, defaults={"cancel_proration": Proration.CREDIT}
        )
        result = svc.membership_cancel(
            studio=studio, actor=actor, membership=membership, when=svc.WHEN_NOW, proration=None, now=NOW
        )
        assert result.proration.mode == Proration.CREDIT and credit_balance(client=a_client) > 0


def test_money_back_needs_the_refund_permission(studio, staff_factory, a_client, membership):
    from studio.models import Role
    from studio.permissions import Perm

    member = staff_factory(RoleKind.MANAGER)
    with scopes_disabled():
        role = Role.objects.create(
            studio=studio, name="Memberships only", permissions=[Perm.MANAGE_MEMBERSHIPS]
        )
        member.role = role
        member.save()
    with scope(studio=studio), pytest.raises(ValidationError, match="Refund payments"):
        svc.membership_cancel(
            studio=studio,
            actor=Actor(user=member.user),
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.REFUND,
            now=NOW,
        )
    assert fresh(membership).status == MembershipStatus.ACTIVE


def test_cancel_now_of_a_period_already_refunded_gives_nothing_more(studio, actor, membership):
    with scope(studio=studio):
        payment = MembershipPeriod.objects.get(membership=membership).payment
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=payment.amount)
        result = svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.REFUND,
            now=NOW,
        )
    assert result.refund is None and result.proration.amount == 0
    assert fresh(membership).status == MembershipStatus.CANCELLED


# --- change plan ----------------------------------------------------------------------------------------


def test_change_plan_at_the_next_renewal_and_call_it_off(studio, actor, membership):
    bigger = PlanFactory(studio=studio, name="Unlimited", price_amount=5000)
    with scope(studio=studio):
        svc.membership_change_plan(studio=studio, actor=actor, membership=membership, plan=bigger)
        row = fresh(membership)
        assert row.next_plan_id == bigger.pk and row.plan_id == membership.plan_id  # nothing changes yet
        svc.membership_change_plan_cancel(studio=studio, actor=actor, membership=membership)
    assert fresh(membership).next_plan_id is None
    assert len(audits("membership.plan_change_scheduled")) == 1
    assert len(audits("membership.plan_change_cancelled")) == 1


def test_change_plan_is_refused_for_another_kind_an_archived_plan_or_the_same_plan(studio, actor, membership):
    from django.utils import timezone

    pack = PlanFactory(studio=studio, pack=True)
    archived = PlanFactory(studio=studio, archived_at=timezone.now())
    with scope(studio=studio):
        for plan, words in (
            (pack, "another subscription"),
            (archived, "archived"),
            (membership.plan, "already"),
        ):
            with pytest.raises(ValidationError, match=words):
                svc.membership_change_plan(studio=studio, actor=actor, membership=membership, plan=plan)
        choices = set(svc.change_plan_choices(membership=membership))
    assert pack not in choices and archived not in choices and membership.plan not in choices
    assert fresh(membership).next_plan_id is None


def test_change_plan_is_applied_by_the_renewal_engine(studio, actor, membership):
    from memberships.services.renewals import renewals_run_due

    bigger = PlanFactory(studio=studio, name="Unlimited", price_amount=5000)
    with scope(studio=studio):
        svc.membership_change_plan(studio=studio, actor=actor, membership=membership, plan=bigger)
        renewals_run_due(studio=studio, now=dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC))
        renewal = Renewal.objects.get(membership=membership)
    assert renewal.amount == 5000 and fresh(membership).plan_id == bigger.pk


# --- the pages ----------------------------------------------------------------------------------------


def _url(studio, name, membership):
    return reverse(name, kwargs={"studio_slug": studio.slug, "pk": membership.pk})


@pytest.fixture
def live_membership(studio, other_studio, a_client):
    """A membership in the current period of the real clock (the pages use today)."""
    from django.utils import timezone

    today = svc.studio_today(studio, timezone.now())
    return make_membership(
        studio,
        a_client,
        started_on=today,
        anchor_day=today.day,
        current_period_start=today,
        current_period_end=today + dt.timedelta(days=30),
        next_renewal_on=today + dt.timedelta(days=30),
    )


def test_the_pause_page_asks_then_pauses(studio, owner_client, live_membership):
    today = svc.studio_today(studio)
    url = _url(studio, "membership-pause", live_membership)
    assert owner_client.get(url).status_code == 200
    data = {"paused_from": today.isoformat(), "paused_until": (today + dt.timedelta(days=7)).isoformat()}
    asked = owner_client.post(url, data)
    assert asked.status_code == 200 and b'name="confirmed"' in asked.content
    assert b"7 days" in asked.content and fresh(live_membership).paused_from is None
    done = owner_client.post(url, {**data, "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == _url(studio, "membership-detail", live_membership)
    assert fresh(live_membership).status == MembershipStatus.PAUSED


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "²", "2026-02-30", "abc"])
def test_hostile_pause_dates_are_refused_and_save_nothing(studio, owner_client, live_membership, value):
    url = _url(studio, "membership-pause", live_membership)
    response = owner_client.post(url, {"paused_from": value, "paused_until": value, "confirmed": "1"})
    assert response.status_code == 200 and b"confirmed" not in response.content
    row = fresh(live_membership)
    assert row.paused_from is None and row.status == MembershipStatus.ACTIVE


def test_a_nul_byte_is_a_clean_400(studio, owner_client, live_membership):
    response = owner_client.post(_url(studio, "membership-cancel", live_membership), {"when": "now\x00"})
    assert response.status_code == 400
    assert fresh(live_membership).status == MembershipStatus.ACTIVE


def test_the_cancel_page_states_the_refund_then_refunds_once(studio, owner_client, live_membership):
    url = _url(studio, "membership-cancel", live_membership)
    page = owner_client.get(url)
    assert page.status_code == 200 and b"Prorated refund" in page.content
    data = {"when": "now", "proration": "refund"}
    asked = owner_client.post(url, data)
    assert asked.status_code == 200 and b"is refunded" in asked.content
    assert fresh(live_membership).status == MembershipStatus.ACTIVE
    first = owner_client.post(url, {**data, "confirmed": "1"})
    second = owner_client.post(url, {**data, "confirmed": "1"})  # the double click
    assert first.status_code == 302
    assert second.status_code == 200 and b"already over" in second.content  # said, not done again
    assert fresh(live_membership).status == MembershipStatus.CANCELLED
    with scopes_disabled():
        assert Refund.objects.count() == 1


def test_cancel_at_period_end_then_undo_through_the_pages(studio, owner_client, live_membership):
    cancel = _url(studio, "membership-cancel", live_membership)
    owner_client.post(cancel, {"when": "period_end", "proration": "none", "confirmed": "1"})
    assert fresh(live_membership).cancel_at_period_end
    detail = owner_client.get(_url(studio, "membership-detail", live_membership))
    assert b"Keep renewing" in detail.content
    undo = _url(studio, "membership-cancel-undo", live_membership)
    asked = owner_client.post(undo)
    assert asked.status_code == 200 and b'name="confirmed"' in asked.content
    assert fresh(live_membership).cancel_at_period_end
    owner_client.post(undo, {"confirmed": "1"})
    assert not fresh(live_membership).cancel_at_period_end


def test_a_commitment_shows_on_the_form_and_needs_the_waiver(studio, owner_client, a_client):
    from django.utils import timezone

    today = svc.studio_today(studio, timezone.now())
    plan = PlanFactory(studio=studio, commitment_periods=6)
    membership = make_membership(
        studio,
        a_client,
        plan=plan,
        started_on=today,
        anchor_day=today.day,
        current_period_start=today,
        current_period_end=today + dt.timedelta(days=30),
        next_renewal_on=today + dt.timedelta(days=30),
    )
    url = _url(studio, "membership-cancel", membership)
    refused = owner_client.post(url, {"when": "period_end", "confirmed": "1"})
    assert refused.status_code == 200 and b"minimum commitment runs until" in refused.content
    assert not fresh(membership).cancel_at_period_end
    owner_client.post(url, {"when": "period_end", "waive_commitment": "on", "confirmed": "1"})
    assert fresh(membership).cancel_at_period_end


def test_change_plan_and_pause_through_the_pages(studio, owner_client, live_membership):
    other = PlanFactory(studio=studio, name="Gold")
    url = _url(studio, "membership-change-plan", live_membership)
    assert b"Gold" in owner_client.get(url).content
    owner_client.post(url, {"plan": other.pk, "confirmed": "1"})
    assert fresh(live_membership).next_plan_id == other.pk
    detail = owner_client.get(_url(studio, "membership-detail", live_membership))
    assert b"Changes to \xe2\x80\x9cGold\xe2\x80\x9d" in detail.content
    owner_client.post(_url(studio, "membership-change-plan-cancel", live_membership), {"confirmed": "1"})
    assert fresh(live_membership).next_plan_id is None


def test_another_studios_plan_cannot_be_chosen(studio, other_studio, owner_client, live_membership):
    foreign = PlanFactory(studio=other_studio, name="Foreign")
    url = _url(studio, "membership-change-plan", live_membership)
    response = owner_client.post(url, {"plan": foreign.pk, "confirmed": "1"})
    assert response.status_code == 200 and fresh(live_membership).next_plan_id is None


def test_the_membership_page_offers_the_actions_only_with_the_permission(
    studio, login, staff_factory, owner_client, live_membership
):
    detail = _url(studio, "membership-detail", live_membership)
    assert b"Pause\xe2\x80\xa6" in owner_client.get(detail).content
    front_desk = staff_factory(RoleKind.FRONT_DESK)
    page = login(front_desk.user).get(detail)
    if page.status_code == 200:  # front desk sells, but does not manage memberships
        assert b"Pause\xe2\x80\xa6" not in page.content
    assert login(front_desk.user).post(_url(studio, "membership-pause", live_membership)).status_code == 403


def test_a_running_pause_is_ended_from_the_membership_page(studio, owner_client, live_membership):
    today = svc.studio_today(studio)
    url = _url(studio, "membership-pause", live_membership)
    owner_client.post(
        url,
        {
            "paused_from": today.isoformat(),
            "paused_until": (today + dt.timedelta(days=10)).isoformat(),
            "confirmed": "1",
        },
    )
    paused = fresh(live_membership)
    assert paused.status == MembershipStatus.PAUSED
    detail = owner_client.get(_url(studio, "membership-detail", live_membership)).content.decode()
    assert "End the pause" in detail and "Pause…" not in detail
    resume = _url(studio, "membership-resume", live_membership)
    asked = owner_client.post(resume)
    assert asked.status_code == 200 and "The pause ends today" in asked.content.decode()
    assert fresh(live_membership).status == MembershipStatus.PAUSED
    owner_client.post(resume, {"confirmed": "1"})
    row = fresh(live_membership)
    assert (
        row.status == MembershipStatus.ACTIVE
        and row.next_renewal_on == paused.next_renewal_on - dt.timedelta(10)
    )


def test_lifecycle_audit_entries_read_as_words(studio, actor, membership):
    from studio.registries import audit

    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=TODAY,
            paused_until=D(2026, 11, 20),
            now=NOW,
        )
        svc.membership_resume(studio=studio, actor=actor, membership=membership, now=NOW)
        svc.membership_cancel(
            studio=studio,
            actor=actor,
            membership=membership,
            when=svc.WHEN_NOW,
            proration=Proration.NONE,
            now=NOW,
        )
        words = [
            audit.entry_in_words(entry, studio=studio)
            for entry in AuditLog.objects.filter(action__startswith="membership.").order_by("id")
        ]
    assert [w.sentence for w in words] == [
        "Membership paused",
        "Membership pause ended early",
        "Membership cancelled",
    ]
    paused = dict(words[0].details)
    assert paused["Next renewal"] == "Dec. 1, 2026 → Dec. 11, 2026" and paused["Back on"] == "Nov. 20, 2026"
    cancelled = dict(words[2].details)
    assert cancelled["When"] == "Now" and cancelled["Unused days"] == "No refund"


def test_after_a_pause_the_following_periods_are_whole_months_from_the_new_renewal_day(
    studio, actor, membership
):
    from memberships.services.periods import next_period_end

    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=TODAY,
            paused_until=D(2026, 11, 20),
            now=NOW,
        )
        row = fresh(membership)
        assert row.anchor_day == 11
        assert next_period_end(membership=row, starts_on=row.next_renewal_on) == D(2027, 1, 11)


def test_calling_off_a_pause_brings_the_anchor_day_back(studio, actor, membership):
    with scope(studio=studio):
        svc.membership_pause(
            studio=studio,
            actor=actor,
            membership=membership,
            paused_from=D(2026, 11, 20),
            paused_until=D(2026, 11, 27),
            now=NOW,
        )
        assert fresh(membership).anchor_day == 8
        svc.membership_resume(studio=studio, actor=actor, membership=membership, now=NOW)
    assert fresh(membership).anchor_day == 1


@pytest.mark.parametrize(
    "started,renewal,anchor",
    [
        (D(2026, 1, 31), D(2026, 4, 30), 31),  # moved onto a month's last day: back to the 31st later
        (D(2026, 1, 31), D(2026, 4, 10), 10),
        (D(2026, 1, 15), D(2026, 2, 28), 28),  # the 28th is its own day when the first day was earlier
        (D(2026, 1, 1), D(2026, 12, 11), 11),
    ],
)
def test_the_anchor_day_after_a_move(started, renewal, anchor):
    membership = Membership(started_on=started, anchor_day=started.day)
    assert svc.anchor_after_move(membership, renewal) == anchor


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_cancellations_refund_once(studio, other_studio, owner, a_client):
    import threading

    from django.db import connection

    membership = make_membership(studio, a_client)
    actor = Actor(user=owner.user)
    start = threading.Barrier(4)
    refunds, refusals, errors = [], [], []
    lock = threading.Lock()

    def attempt():
        try:
            start.wait(timeout=30)
            with scope(studio=studio):
                result = svc.membership_cancel(
                    studio=studio,
                    actor=actor,
                    membership=Membership.objects.get(pk=membership.pk),
                    when=svc.WHEN_NOW,
                    proration=Proration.REFUND,
                    now=NOW,
                )
            with lock:
                refunds.append(result.refund)
        except ValidationError as exc:
            with lock:
                refusals.append(exc)
        except BaseException as exc:  # re-raised in the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(refunds) == 1 and len(refusals) == 3 and refunds[0] is not None
    with scopes_disabled():
        assert Refund.objects.filter(payment__client=a_client).count() == 1
        payment = MembershipPeriod.objects.get(membership=membership).payment
        assert payment.amount_refunded == refunds[0].amount
