"""Plans (MEM-1): the list, the one form for four kinds, archive/restore, the services and selectors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.forms.plans import PlanForm
from memberships.models import Membership, Plan, PlanClassTemplate, PlanKind, PlanLocation, PlanService
from memberships.selectors.plans import plan_list, plans_for_sale
from memberships.services.plans import plan_archive, plan_save
from memberships.tests.factories import MembershipFactory, PlanFactory
from memberships.wording import interval_phrase, plan_terms
from scheduling.tests.factories import AppointmentServiceFactory, ClassTemplateFactory
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory, LocationFactory, make_studio, owner_of

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def base_post(**overrides) -> dict:
    """A valid subscription, as the form posts it (English)."""
    data = {
        "name": "Unlimited monthly",
        "kind": "subscription",
        "description": "",
        "price_amount": "120.00",
        "tax_kind": "membership",
        "interval_count": "1",
        "interval_unit": "month",
        "commitment_periods": "",
        "signup_fee_amount": "",
        "pass_mode": "duration",
        "pass_start": "purchase",
        "period_limit": "",
        "all_classes": "on",
        "sold_everywhere": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def plans_of(studio):
    with scopes_disabled():
        return list(Plan.objects.filter(studio=studio).order_by("id"))


# --- creating each kind -----------------------------------------------------------------------


def test_owner_creates_a_monthly_subscription_with_unlimited_credits(owner_client, studio, other_studio):
    response = owner_client.post(url(studio, "plan-create"), base_post(featured="on"))
    assert response.status_code == 302, response.content.decode()[:3000]
    [plan] = plans_of(studio)
    assert (plan.kind, plan.price_amount, plan.currency) == ("subscription", 12000, studio.currency)
    assert (plan.interval_unit, plan.interval_count, plan.credits_per_period) == ("month", 1, None)
    assert plan.featured and plan.all_classes and plan.sold_everywhere
    assert plans_of(other_studio) == []
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="plan.created")
    assert entry.object_id == str(plan.pk)


def test_a_subscription_with_credits_commitment_and_sign_up_fee(owner_client, studio):
    response = owner_client.post(
        url(studio, "plan-create"),
        base_post(name="8 a month", period_limit="8", commitment_periods="3", signup_fee_amount="25"),
    )
    assert response.status_code == 302
    [plan] = plans_of(studio)
    assert (plan.credits_per_period, plan.commitment_periods, plan.signup_fee_amount) == (8, 3, 2500)


def test_french_decimals_are_read_as_money(studio, location):
    with scope(studio=studio), translation.override("fr"):
        form = PlanForm(
            base_post(price_amount="12,50", signup_fee_amount="1 000,5"), instance=Plan(), studio=studio
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["price_amount"] == 1250
        assert form.cleaned_data["signup_fee_amount"] == 100050
        ambiguous = PlanForm(base_post(price_amount="1.000"), instance=Plan(), studio=studio)
        assert not ambiguous.is_valid() and "price_amount" in ambiguous.errors


def test_a_pass_of_fixed_dates_and_a_pass_of_a_duration(owner_client, studio):
    fixed = base_post(
        name="Winter pass",
        kind="pass",
        pass_mode="dates",
        pass_starts_on="2027-01-01",
        pass_ends_on="2027-03-31",
        interval_count="",  # a fixed-dates pass needs no duration
    )
    assert owner_client.post(url(studio, "plan-create"), fixed).status_code == 302
    duration = base_post(
        name="30 days", kind="pass", interval_count="30", interval_unit="day", pass_start="first_use"
    )
    assert owner_client.post(url(studio, "plan-create"), duration).status_code == 302
    winter, thirty = plans_of(studio)
    assert (winter.pass_starts_on, winter.pass_ends_on) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert (thirty.pass_starts_on, thirty.interval_count, thirty.interval_unit) == (None, 30, "day")
    assert thirty.pass_start == "first_use"


def test_editing_a_fixed_dates_pass_into_a_duration_keeps_no_dates(owner_client, studio):
    plan = PlanFactory(
        studio=studio, kind="pass", pass_starts_on=dt.date(2027, 1, 1), pass_ends_on=dt.date(2027, 3, 31)
    )
    page = owner_client.get(url(studio, "plan-edit", pk=plan.pk)).content.decode()
    assert 'value="dates" checked' in page or ('value="dates"' in page and "2027-01-01" in page)
    post = base_post(
        name=plan.name, kind="pass", pass_mode="duration", interval_count="10", interval_unit="week"
    )
    post.update(pass_starts_on="2027-01-01", pass_ends_on="2027-03-31")  # still in the hidden inputs
    assert owner_client.post(url(studio, "plan-edit", pk=plan.pk), post).status_code == 302
    plan.refresh_from_db()
    assert (plan.pass_starts_on, plan.pass_ends_on, plan.interval_count, plan.interval_unit) == (
        None,
        None,
        10,
        "week",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {
                "kind": "pass",
                "pass_mode": "dates",
                "pass_starts_on": "2027-03-31",
                "pass_ends_on": "2027-01-01",
            },
            "pass_ends_on",
            "The last day comes before the first day.",
        ),
        (
            {"kind": "pass", "pass_mode": "dates", "pass_starts_on": "2027-01-01"},
            "pass_ends_on",
            "Give the pass&#x27;s last day.",
        ),
        (
            {
                "kind": "pass",
                "pass_mode": "dates",
                "pass_starts_on": "9999-01-01",
                "pass_ends_on": "9999-02-01",
            },
            "pass_starts_on",
            "Enter a date between",
        ),
        ({"kind": "pass", "interval_count": ""}, "interval_count", "Say how often"),
        ({"kind": "subscription", "interval_count": ""}, "interval_count", "Say how often"),
        ({"kind": "subscription", "interval_count": "0"}, "interval_count", "greater than or equal to 1"),
        ({"kind": "pack"}, "pack_size", "Say how many classes the pack holds."),
        (
            {"kind": "pack", "pack_size": "10", "pack_expires_after_days": "99999"},
            "pack_expires_after_days",
            "less than or equal to 3650",
        ),
        ({"kind": "payment_plan", "instalment_count": "1"}, "instalment_count", "greater than or equal to 2"),
        ({"kind": "payment_plan", "instalment_count": "6"}, "location", "Choose the home location"),
        ({"all_classes": None}, "class_templates", "Choose what it pays for"),
        ({"sold_everywhere": None}, "locations", "Choose at least one location"),
        ({"price_amount": "-5"}, "price_amount", ""),
        ({"price_amount": "abc"}, "price_amount", "Enter a number"),
        ({"tax_kind": "renewal"}, "tax_kind", "Select a valid choice"),
    ],
)
def test_each_kind_is_refused_with_a_clear_message_and_nothing_is_saved(
    owner_client, studio, overrides, field, message
):
    response = owner_client.post(url(studio, "plan-create"), base_post(**overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page or f"id_{field}_0_error" in page, page[
        page.find("error") - 500 :
    ][:2000]
    assert message in page
    assert plans_of(studio) == []


def test_a_pack_never_expires_when_left_empty_and_its_credits_are_kept(owner_client, studio):
    response = owner_client.post(
        url(studio, "plan-create"),
        base_post(name="10 classes", kind="pack", pack_size="10", period_limit="4", interval_count=""),
    )
    assert response.status_code == 302
    [plan] = plans_of(studio)
    assert (plan.pack_credits, plan.pack_expires_after_days) == (10, None)
    # A pack has no per-period credits: what the subscription field held is not kept.
    assert plan.credits_per_period is None


def test_a_payment_plan_needs_a_home_location_of_the_studio(owner_client, studio, other_studio):
    home = LocationFactory(studio=studio, name="Laval", is_home_location=True)
    not_home = LocationFactory(studio=studio, name="Annex", is_home_location=False)
    foreign = LocationFactory(studio=other_studio, is_home_location=True)
    post = base_post(name="Teacher training", kind="payment_plan", instalment_count="6", all_classes=None)
    for refused in (not_home, foreign):
        response = owner_client.post(url(studio, "plan-create"), {**post, "location": refused.pk})
        assert response.status_code == 200 and 'id="id_location_error"' in response.content.decode()
    assert plans_of(studio) == []
    assert owner_client.post(url(studio, "plan-create"), {**post, "location": home.pk}).status_code == 302
    [plan] = plans_of(studio)
    assert (plan.kind, plan.instalment_count, plan.location_id) == ("payment_plan", 6, home.pk)


def test_fields_of_other_kinds_are_ignored_and_reset(owner_client, studio):
    response = owner_client.post(
        url(studio, "plan-create"),
        base_post(
            pack_size="abc", instalment_count="²", pass_starts_on="9999-12-31", pack_expires_after_days="5"
        ),
    )
    assert response.status_code == 302
    [plan] = plans_of(studio)
    assert (plan.pack_credits, plan.pack_expires_after_days, plan.instalment_count, plan.pass_starts_on) == (
        None,
        None,
        None,
        None,
    )


# --- what it pays for, where it is sold ---------------------------------------------------------


def test_templates_services_and_locations_are_linked_and_another_studios_are_refused(
    owner_client, studio, other_studio
):
    mine = ClassTemplateFactory(studio=studio, name="Hatha")
    archived = ClassTemplateFactory(studio=studio, name="Old")
    with scopes_disabled():
        ClassTemplateFactory._meta.model.objects.filter(pk=archived.pk).update(
            archived_at="2026-01-01T00:00Z"
        )
    theirs = ClassTemplateFactory(studio=other_studio)
    service = AppointmentServiceFactory(studio=studio)
    their_service = AppointmentServiceFactory(studio=other_studio)
    here = LocationFactory(studio=studio)
    their_location = LocationFactory(studio=other_studio)
    post = base_post(all_classes=None, sold_everywhere=None)
    for bad in (
        {"class_templates": [theirs.pk], "locations": [here.pk]},
        {"class_templates": [archived.pk], "locations": [here.pk]},
        {"class_templates": [mine.pk], "services": [their_service.pk], "locations": [here.pk]},
        {"class_templates": [mine.pk], "locations": [their_location.pk]},
        {"class_templates": ["²"], "locations": [here.pk]},
    ):
        response = owner_client.post(url(studio, "plan-create"), {**post, **bad})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Select a valid choice" in page or "is not a valid value" in page, (
            bad,
            page[page.find('class="error"') - 200 :][:600],
        )
    assert plans_of(studio) == []
    ok = {**post, "class_templates": [mine.pk], "services": [service.pk], "locations": [here.pk]}
    assert owner_client.post(url(studio, "plan-create"), ok).status_code == 302
    [plan] = plans_of(studio)
    with scopes_disabled():
        assert list(PlanClassTemplate.objects.filter(plan=plan).values_list("template_id", "studio_id")) == [
            (mine.pk, studio.pk)
        ]
        assert list(PlanService.objects.filter(plan=plan).values_list("service_id", flat=True)) == [
            service.pk
        ]
        assert list(PlanLocation.objects.filter(plan=plan).values_list("location_id", flat=True)) == [here.pk]
    # The edit page shows them ticked; unticking "all" lists, ticking "all classes" clears the list.
    page = owner_client.get(url(studio, "plan-edit", pk=plan.pk)).content.decode()
    assert f'value="{mine.pk}"' in page and "checked" in page
    edit = {**ok, "all_classes": "on", "sold_everywhere": "on"}
    assert owner_client.post(url(studio, "plan-edit", pk=plan.pk), edit).status_code == 302
    with scopes_disabled():
        assert not PlanClassTemplate.objects.filter(plan=plan).exists()
        assert not PlanLocation.objects.filter(plan=plan).exists()
        assert PlanService.objects.filter(plan=plan).count() == 1
        entry = AuditLog.objects.get(studio=studio, action="plan.changed")
    assert entry.changes["class_templates"] == {"from": [mine.pk], "to": []}
    assert entry.changes["all_classes"] == {"from": False, "to": True}


def test_the_service_refuses_another_studios_ids(studio, other_studio):
    theirs = ClassTemplateFactory(studio=other_studio)
    their_location = LocationFactory(studio=other_studio)
    with scope(studio=studio):
        for kwargs in ({"class_template_ids": [theirs.pk]}, {"location_ids": [their_location.pk]}):
            plan = Plan(
                name="X",
                kind=PlanKind.SUBSCRIPTION,
                price_amount=100,
                all_classes=False,
                sold_everywhere=False,
            )
            if "class_template_ids" in kwargs:
                plan.sold_everywhere = True
            with pytest.raises(ValidationError):
                plan_save(studio=studio, actor=SYSTEM, plan=plan, **kwargs)
        assert not Plan.objects.filter(studio=studio).exists()
        assert not PlanClassTemplate.objects.exists()


# --- edits: kind and price ------------------------------------------------------------------


def test_the_kind_of_a_plan_someone_holds_cannot_change(owner_client, studio):
    plan = PlanFactory(studio=studio)
    MembershipFactory(client=ClientFactory(studio=studio), plan=plan)
    page = owner_client.get(url(studio, "plan-edit", pk=plan.pk)).content.decode()
    assert "its kind cannot change" in page
    response = owner_client.post(
        url(studio, "plan-edit", pk=plan.pk), base_post(name=plan.name, kind="pack", pack_size="10")
    )
    assert response.status_code == 200
    assert "Clients hold this plan, so its kind cannot change." in response.content.decode()
    plan.refresh_from_db()
    assert plan.kind == "subscription"
    # The service refuses it too (POS or an import calling it directly).
    with scope(studio=studio):
        plan.kind, plan.pack_credits = PlanKind.PACK, 10
        with pytest.raises(ValidationError) as refused:
            plan_save(studio=studio, actor=SYSTEM, plan=plan)
    assert "kind" in refused.value.error_dict


def test_a_plan_without_members_may_change_kind(owner_client, studio):
    plan = PlanFactory(studio=studio)
    response = owner_client.post(
        url(studio, "plan-edit", pk=plan.pk), base_post(name=plan.name, kind="pack", pack_size="5")
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.kind, plan.pack_credits) == ("pack", 5)


def test_a_new_price_applies_to_new_sales_only(owner_client, studio):
    plan = PlanFactory(studio=studio, price_amount=10000)
    member = MembershipFactory(client=ClientFactory(studio=studio), plan=plan)
    page = owner_client.get(url(studio, "plan-edit", pk=plan.pk)).content.decode()
    assert "A new price applies to new sales only" in page
    assert 'value="100.00"' in page  # minor units shown as major units
    response = owner_client.post(
        url(studio, "plan-edit", pk=plan.pk), base_post(name=plan.name, price_amount="130")
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    with scopes_disabled():
        member = Membership.objects.get(pk=member.pk)
        entry = AuditLog.objects.get(studio=studio, action="plan.changed")
    assert (plan.price_amount, member.price_amount) == (13000, 10000)
    assert entry.changes["price_amount"] == {"from": 10000, "to": 13000}


def test_another_studios_plan_is_not_found(owner_client, studio, other_studio):
    theirs = PlanFactory(studio=other_studio)
    assert owner_client.get(url(studio, "plan-edit", pk=theirs.pk)).status_code == 404
    assert owner_client.post(url(studio, "plan-archive", pk=theirs.pk), {"confirmed": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.archived_at is None


# --- archive and restore --------------------------------------------------------------------


def test_archive_asks_first_then_hides_the_plan_from_sale_and_restore_brings_it_back(owner_client, studio):
    plan = PlanFactory(studio=studio, name="Monthly")
    MembershipFactory(client=ClientFactory(studio=studio), plan=plan)
    archive = url(studio, "plan-archive", pk=plan.pk)
    assert owner_client.get(archive).status_code == 405
    ask = owner_client.post(archive)
    assert ask.status_code == 200
    page = ask.content.decode()
    assert "Archive this plan?" in page and "1 client holds it" in page and 'name="confirmed"' in page
    plan.refresh_from_db()
    assert plan.archived_at is None
    assert owner_client.post(archive, {"confirmed": "1"}).status_code == 302
    plan.refresh_from_db()
    assert plan.archived_at is not None
    with scope(studio=studio):
        assert list(plans_for_sale(studio=studio)) == []
        assert [p.pk for p in plan_list(studio=studio, archived=True)] == [plan.pk]
        assert list(plan_list(studio=studio)) == []
    listing = owner_client.get(url(studio, "plan-list")).content.decode()
    assert "Monthly" not in listing
    assert "Monthly" in owner_client.get(url(studio, "plan-list") + "?archived=1").content.decode()
    # Restore: asked too, then on sale again. The membership was never touched.
    assert "Restore this plan?" in owner_client.post(archive, {"restore": "1"}).content.decode()
    assert owner_client.post(archive, {"restore": "1", "confirmed": "1"}).status_code == 302
    plan.refresh_from_db()
    assert plan.archived_at is None
    with scopes_disabled():
        actions = list(AuditLog.objects.filter(studio=studio).values_list("action", flat=True).order_by("id"))
        assert Membership.objects.filter(plan=plan).count() == 1
    assert actions[-2:] == ["plan.archived", "plan.restored"]


# --- selectors ------------------------------------------------------------------------------


def test_plans_for_sale_is_featured_first_then_by_name_and_filtered_by_location(studio, other_studio):
    here, there = LocationFactory(studio=studio), LocationFactory(studio=studio)
    b = PlanFactory(studio=studio, name="B everywhere")
    a = PlanFactory(studio=studio, name="A everywhere")
    featured = PlanFactory(studio=studio, name="Z featured", featured=True)
    only_there = PlanFactory(studio=studio, name="C there", sold_everywhere=False)
    with scopes_disabled():
        PlanLocation.objects.create(studio=studio, plan=only_there, location=there)
    PlanFactory(studio=studio, name="Archived", archived_at="2026-01-01T00:00Z")
    PlanFactory(studio=other_studio, name="Theirs")
    with scope(studio=studio):
        assert [p.pk for p in plans_for_sale(studio=studio)] == [featured.pk, a.pk, b.pk, only_there.pk]
        assert [p.pk for p in plans_for_sale(studio=studio, location=here)] == [featured.pk, a.pk, b.pk]
        assert [p.pk for p in plans_for_sale(studio=studio, location=there)] == [
            featured.pk,
            a.pk,
            b.pk,
            only_there.pk,
        ]


def test_the_list_counts_current_members_only(owner_client, studio):
    plan = PlanFactory(studio=studio, name="Monthly", price_amount=12050)
    for status in ("active", "past_due", "paused", "cancelled", "expired", "pending"):
        MembershipFactory(client=ClientFactory(studio=studio), plan=plan, status=status)
    with scope(studio=studio):
        [row] = plan_list(studio=studio)
    assert row.member_count == 3
    page = owner_client.get(url(studio, "plan-list")).content.decode()
    assert "$120.50" in page and "Renews every month" in page and "Unlimited" in page


def test_the_plans_list_costs_the_same_at_1_and_200_plans(login, studio, other_studio):
    big = make_studio("big", language="en")
    with scopes_disabled():
        Plan.objects.bulk_create(
            [
                Plan(
                    studio=big,
                    name=f"Plan {i}",
                    kind=["subscription", "pack", "pass", "payment_plan"][i % 4],
                    price_amount=1000 + i,
                    currency="CAD",
                    pack_credits=10,
                    instalment_count=3,
                    location=LocationFactory(studio=big) if i == 0 else None,
                    featured=i % 7 == 0,
                )
                for i in range(200)
            ]
        )
        plans = list(Plan.objects.filter(studio=big))
    for plan in plans[:20]:
        MembershipFactory(client=ClientFactory(studio=big), plan=plan)
    PlanFactory(studio=studio)

    def count(s) -> int:
        web = login(owner_of(s).user)
        web.get(url(s, "plan-list"))
        with CaptureQueriesContext(connection) as ctx:
            response = web.get(url(s, "plan-list"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert count(big) == count(studio)


# --- permissions, checklist, words ------------------------------------------------------------


@pytest.mark.parametrize("kind", [RoleKind.FRONT_DESK, RoleKind.TEACHER])
def test_front_desk_and_teachers_cannot_manage_plans(login, staff_factory, studio, kind):
    plan = PlanFactory(studio=studio)
    web = login(staff_factory(kind).user)
    for name, kwargs in (("plan-list", {}), ("plan-create", {}), ("plan-edit", {"pk": plan.pk})):
        assert web.get(url(studio, name, **kwargs)).status_code == 403
    assert web.post(url(studio, "plan-archive", pk=plan.pk), {"confirmed": "1"}).status_code == 403
    assert web.post(url(studio, "plan-create"), base_post()).status_code == 403
    assert len(plans_of(studio)) == 1


@pytest.mark.parametrize("kind", [RoleKind.ADMIN, RoleKind.MANAGER])
def test_admins_and_managers_manage_plans(login, staff_factory, studio, kind):
    web = login(staff_factory(kind).user)
    assert web.get(url(studio, "plan-list")).status_code == 200
    assert web.post(url(studio, "plan-create"), base_post()).status_code == 302


def test_the_dashboard_step_turns_green_when_a_plan_exists(studio, other_studio):
    from studio.checklist import checklist_for

    def done():
        with scope(studio=studio):
            return {s.step.key: s.done for s in checklist_for(studio=studio)}["memberships"]

    PlanFactory(studio=other_studio)
    assert done() is False
    PlanFactory(studio=studio)
    assert done() is True


def test_the_form_page_offers_every_kind_and_bounds_its_text_inputs(owner_client, studio):
    page = owner_client.get(url(studio, "plan-create") + "?kind=pack").content.decode()
    for value in ("subscription", "pass", "pack", "payment_plan"):
        assert f'value="{value}"' in page
    assert re.search(r'<input type="radio" name="kind" value="pack"[^>]*checked', page)
    assert not re.search(r'<input type="radio" name="kind" value="subscription"[^>]*checked', page)
    assert re.search(r'<input type="text" name="name"[^>]*maxlength="120"', page)
    assert re.search(r'<textarea name="description"[^>]*maxlength="2000"', page)
    assert "kind-pack" in page  # the per-kind fieldsets the CSS shows and hides


@pytest.mark.parametrize(
    ("unit", "count", "expected"),
    [
        ("month", 1, "every month"),
        ("week", 2, "every 2 weeks"),
        ("day", 10, "every 10 days"),
        ("year", 1, "every year"),
    ],
)
def test_intervals_read_as_sentences(unit, count, expected):
    with translation.override("en"):
        assert interval_phrase(unit=unit, count=count) == expected


@pytest.mark.parametrize(
    ("unit", "count", "expected"),
    [("month", 1, "tous les mois"), ("week", 2, "toutes les 2 semaines"), ("week", 1, "toutes les semaines")],
)
def test_intervals_read_as_french_sentences(unit, count, expected):
    with translation.override("fr"):
        assert interval_phrase(unit=unit, count=count) == expected


def test_terms_of_each_kind(studio):
    with translation.override("en"):
        assert plan_terms(PlanFactory.build(studio=studio, interval_count=2, interval_unit="week")) == (
            "Renews every 2 weeks"
        )
        assert plan_terms(PlanFactory.build(studio=studio, pack=True)) == "Never expires"
        assert plan_terms(PlanFactory.build(studio=studio, pack=True, pack_expires_after_days=90)) == (
            "Expires 90 days after purchase"
        )
        assert plan_terms(PlanFactory.build(studio=studio, pass_=True)) == "Lasts 30 days from the purchase"
        assert plan_terms(PlanFactory.build(studio=studio, payment_plan=True)) == "6 instalments, every month"


def test_plan_archive_service_is_idempotent_and_audited_once(studio):
    plan = PlanFactory(studio=studio)
    with scope(studio=studio):
        plan_archive(studio=studio, actor=SYSTEM, plan=plan)
        plan_archive(studio=studio, actor=SYSTEM, plan=plan)
        assert AuditLog.objects.filter(action="plan.archived").count() == 1


def test_a_french_reader_types_and_reads_french_decimals(owner_client, owner, studio):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    response = owner_client.post(
        url(studio, "plan-create"), base_post(price_amount="12,50", signup_fee_amount="5")
    )
    assert response.status_code == 302
    [plan] = plans_of(studio)
    assert (plan.price_amount, plan.signup_fee_amount) == (1250, 500)
    listing = owner_client.get(url(studio, "plan-list")).content.decode()
    assert "12,50\u00a0$" in listing
    form = owner_client.get(url(studio, "plan-edit", pk=plan.pk)).content.decode()
    assert 'value="12,50"' in form


def test_plans_on_sale_are_plans_for_sale_read_through_compiled_sql(studio, other_studio):
    """The public pages' compiled read gives the same plans, in the same order, with every field
    and the plan's location, as `plans_for_sale`; never another studio's."""
    from memberships.selectors.plans import plans_for_sale, plans_on_sale
    from tests.factories import LocationFactory

    held = LocationFactory(studio=studio, name="Laval")
    PlanFactory(studio=studio, name="Zen", featured=True)
    PlanFactory(studio=studio, name="Alpha", location=held)
    PlanFactory(studio=studio, name="Old", archived_at=timezone.now())
    PlanFactory(studio=other_studio, name="Theirs")

    def fields(obj):
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    with scopes_disabled():
        expected = list(plans_for_sale(studio=studio))
    with scope(studio=other_studio):  # the studio asked for, whatever scope is active
        for limit in (None, 1):
            got = plans_on_sale(studio=studio, limit=limit)
            want = expected if limit is None else expected[:limit]
            assert [fields(p) for p in got] == [fields(p) for p in want]
            assert [p.location.name if p.location_id else None for p in got] == [
                p.location.name if p.location_id else None for p in want
            ]
    assert [p.name for p in expected] == ["Zen", "Alpha"]
