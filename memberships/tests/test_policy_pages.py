"""The cancellation policy page and the penalty rules' pages (POL-1 … POL-3, POL-5): services with
their audit, refusals that save nothing, French decimals, the live sentence and the preview,
query budgets, the dashboard step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import PenaltyRule, PenaltyRulePlan, PolicySettings
from memberships.services.policy import (
    penalty_rule_archive,
    penalty_rule_save,
    penalty_rules_reorder,
    policy_settings_for,
    policy_settings_save,
)
from memberships.tests.factories import PenaltyRuleFactory, PlanFactory
from scheduling.models import BookingStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from studio.models import AuditLog, Studio
from studio.permissions import RoleKind
from studio.services import SYSTEM

pytestmark = pytest.mark.django_db


def url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


POLICY = {
    "class_credit_return": "before_cutoff",
    "class_cutoff_hours": "24",
    "appointment_credit_return": "always",
    "appointment_cutoff_hours": "12",
    "late_cancel_window_minutes": "90",
    "grace_hours": "24",
    "rules_match": "all",
}
RULE = {
    "trigger": "no_show",
    "who": "all",
    "frequency": "every",
    "count": "2",
    "window_unit": "renewal_period",
    "window_length": "",
    "fee_amount": "10.00",
}


def rules_of(studio) -> list[PenaltyRule]:
    with scopes_disabled():
        return list(PenaltyRule.objects.filter(studio=studio).order_by("position", "id"))


# --- services -----------------------------------------------------------------------------------


def test_policy_settings_save_sets_saved_at_the_window_and_audits(studio, other_studio):
    with scope(studio=studio):
        assert policy_settings_for(studio=studio).saved_at is None
        cleaned = {k: (int(v) if v.isdigit() else v) for k, v in POLICY.items()}
        policy = policy_settings_save(studio=studio, actor=SYSTEM, cleaned=cleaned)
        assert policy.saved_at is not None
        assert policy.rules_match == "all" and policy.appointment_cutoff_hours == 12
        assert set(AuditLog.objects.filter(studio=studio).values_list("action", flat=True)) >= {
            "policy.settings_saved",
            "studio.settings_changed",
        }
        with pytest.raises(ValidationError):
            policy_settings_save(studio=studio, actor=SYSTEM, cleaned={**cleaned, "grace_hours": 99999})
        with pytest.raises(ValidationError):
            policy_settings_save(studio=studio, actor=SYSTEM, cleaned={**cleaned, "rules_match": "some"})
    with scopes_disabled():
        assert Studio.objects.get(pk=studio.pk).late_cancel_window_minutes == 90
        assert Studio.objects.get(pk=other_studio.pk).late_cancel_window_minutes == 60
        assert not PolicySettings.objects.filter(studio=other_studio).exists()


def test_penalty_rule_save_plans_of_this_studio_only(studio, other_studio):
    mine, theirs = PlanFactory(studio=studio), PlanFactory(studio=other_studio)
    with scope(studio=studio):
        rule = PenaltyRule(
            trigger="no_show",
            all_plans=False,
            frequency="every",
            count=2,
            window_unit="months",
            window_length=1,
            fee_amount=1000,
        )
        with pytest.raises(ValidationError):
            penalty_rule_save(studio=studio, actor=SYSTEM, rule=rule, plan_ids=[mine.pk, theirs.pk])
        assert not PenaltyRule.objects.exists()
        saved = penalty_rule_save(studio=studio, actor=SYSTEM, rule=rule, plan_ids=[mine.pk])
        assert saved.currency == studio.currency and saved.position == 0
        assert list(PenaltyRulePlan.objects.values_list("plan_id", flat=True)) == [mine.pk]
        saved.all_plans = True
        penalty_rule_save(studio=studio, actor=SYSTEM, rule=saved, plan_ids=[mine.pk])
        assert not PenaltyRulePlan.objects.exists()
        second = penalty_rule_save(
            studio=studio,
            actor=SYSTEM,
            rule=PenaltyRule(
                trigger="late_cancel",
                frequency="exactly",
                count=3,
                window_unit="days",
                window_length=30,
                fee_amount=500,
            ),
        )
        assert second.position == 1
        for bad in ({"count": 0}, {"count": 101}, {"window_length": 0}, {"fee_amount": 0}, {"trigger": "x"}):
            candidate = PenaltyRule(
                **{
                    "trigger": "no_show",
                    "frequency": "every",
                    "count": 1,
                    "window_unit": "days",
                    "window_length": 3,
                    "fee_amount": 100,
                    **bad,
                }
            )
            with pytest.raises(ValidationError):
                penalty_rule_save(studio=studio, actor=SYSTEM, rule=candidate)
        actions = list(
            AuditLog.objects.filter(studio=studio, action__startswith="penalty_rule")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["penalty_rule.created", "penalty_rule.changed", "penalty_rule.created"]
        assert PenaltyRule.objects.count() == 2


def test_reorder_and_archive(studio, other_studio):
    a, b, c = (PenaltyRuleFactory(studio=studio) for _ in range(3))
    foreign = PenaltyRuleFactory(studio=other_studio)
    with scope(studio=studio):
        penalty_rules_reorder(studio=studio, actor=SYSTEM, ordered_ids=[c.pk, a.pk, b.pk])
        assert [r.pk for r in rules_of(studio)] == [c.pk, a.pk, b.pk]
        for bad in ([c.pk, a.pk], [c.pk, a.pk, b.pk, foreign.pk], [c.pk, c.pk, a.pk]):
            with pytest.raises(ValidationError):
                penalty_rules_reorder(studio=studio, actor=SYSTEM, ordered_ids=bad)
        penalty_rule_archive(studio=studio, actor=SYSTEM, rule=a)
        penalty_rule_archive(studio=studio, actor=SYSTEM, rule=a)  # twice: once in the log
        assert AuditLog.objects.filter(action="penalty_rule.archived").count() == 1
        penalty_rules_reorder(studio=studio, actor=SYSTEM, ordered_ids=[b.pk, c.pk])
        assert [r.pk for r in rules_of(studio) if r.archived_at is None] == [b.pk, c.pk]


# --- pages --------------------------------------------------------------------------------------


def test_policy_page_saves_and_turns_the_dashboard_step_green(owner_client, studio, other_studio):
    from studio import checklist

    with scope(studio=studio):
        assert checklist.CHECKS["policy"](studio) is False
    response = owner_client.get(url(studio, "cancellation-policy"))
    assert response.status_code == 200
    assert b"Cancellation policy" in response.content
    response = owner_client.post(url(studio, "cancellation-policy"), POLICY)
    assert response.status_code == 302, response.content.decode()[:2000]
    with scope(studio=studio):
        assert checklist.CHECKS["policy"](studio) is True
    with scope(studio=other_studio):
        assert checklist.CHECKS["policy"](other_studio) is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("class_cutoff_hours", "²"),
        ("class_cutoff_hours", "٣"),
        ("class_cutoff_hours", "99999999999999999999"),
        ("late_cancel_window_minutes", "-1"),
        ("late_cancel_window_minutes", "999999"),
        ("grace_hours", "abc"),
        ("rules_match", "²"),
        ("class_credit_return", ""),
    ],
)
def test_policy_page_refuses_hostile_values(owner_client, studio, field, value):
    response = owner_client.post(url(studio, "cancellation-policy"), {**POLICY, field: value})
    assert response.status_code == 200
    with scopes_disabled():
        assert not PolicySettings.objects.filter(studio=studio, saved_at__isnull=False).exists()
        assert Studio.objects.get(pk=studio.pk).late_cancel_window_minutes == 60


def test_teacher_cannot_open_the_policy(login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    assert login(teacher.user).get(url(studio, "cancellation-policy")).status_code == 403


def test_rule_create_in_french_with_french_decimals(owner_client, studio):
    plan = PlanFactory(studio=studio, name="Mensuel")
    data = {**RULE, "who": "plans", "plans": [str(plan.pk)], "fee_amount": "10,50"}
    with translation.override("fr"):
        owner_client.cookies["django_language"] = "fr"
        response = owner_client.post(url(studio, "penalty-rule-create"), data, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302, response.content.decode()[:3000]
    [rule] = rules_of(studio)
    assert rule.fee_amount == 1050 and rule.all_plans is False and rule.window_unit == "renewal_period"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", "0"),
        ("count", "999999"),
        ("count", "²"),
        ("window_unit", "days"),  # with no length
        ("window_length", "0"),
        ("fee_amount", "abc"),
        ("fee_amount", "10,5,5"),
        ("fee_amount", "²"),
        ("fee_amount", "0"),
        ("fee_amount", "99999999999999999999"),
        ("trigger", "\x00"),
        ("who", "plans"),  # with no plan
        ("plans", "²"),
    ],
)
def test_rule_form_refuses_hostile_values(owner_client, studio, field, value):
    data = {**RULE, field: value}
    if field == "window_length":
        data["window_unit"] = "days"
    if field == "plans":
        data["who"] = "plans"
    with translation.override("en"):
        response = owner_client.post(url(studio, "penalty-rule-create"), data)
        assert response.status_code in (200, 400)
        sentence = owner_client.get(url(studio, "penalty-rule-sentence"), data, HTTP_HX_REQUEST="true")
        assert sentence.status_code in (200, 400)
        preview = owner_client.get(url(studio, "penalty-rule-preview"), data, HTTP_HX_REQUEST="true")
        assert preview.status_code in (200, 400)
    assert rules_of(studio) == []


def test_fee_reads_10_5_as_ten_fifty(owner_client, studio):
    response = owner_client.post(url(studio, "penalty-rule-create"), {**RULE, "fee_amount": "10.5"})
    assert response.status_code == 302
    assert rules_of(studio)[0].fee_amount == 1050


def test_sentence_fragment_follows_the_fields(owner_client, studio):
    with translation.override("en"):
        response = owner_client.get(url(studio, "penalty-rule-sentence"), RULE, HTTP_HX_REQUEST="true")
        assert "A $10.00 fee is charged at every 2nd no-show within the current renewal period" in (
            response.content.decode()
        )
        assert b"<html" not in response.content
        exactly = owner_client.get(
            url(studio, "penalty-rule-sentence"), {**RULE, "frequency": "exactly"}, HTTP_HX_REQUEST="true"
        )
        assert "at exactly the 2nd no-show" in exactly.content.decode()
        page = owner_client.get(url(studio, "penalty-rule-sentence"), RULE)
        assert b"<html" in page.content  # without htmx: a page of its own
    owner_client.cookies["django_language"] = "fr"
    french = owner_client.get(url(studio, "penalty-rule-sentence"), RULE, HTTP_HX_REQUEST="true")
    assert "à chaque 2e absence pendant la période de renouvellement en cours" in french.content.decode()


def _queries(client, path, data=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, data or {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(captured)


def test_sentence_fragment_query_budget_at_1_and_20_plans(owner_client, studio):
    plans = [PlanFactory(studio=studio) for _ in range(20)]
    path = url(studio, "penalty-rule-sentence")
    one = _queries(owner_client, path, {**RULE, "who": "plans", "plans": [plans[0].pk]})
    many = _queries(owner_client, path, {**RULE, "who": "plans", "plans": [p.pk for p in plans]})
    assert one == many
    everyone = _queries(owner_client, path, RULE)
    assert everyone <= one


def test_rules_list_query_budget_at_1_and_30_rules(owner_client, studio, other_studio):
    plan = PlanFactory(studio=studio)
    PenaltyRuleFactory(studio=studio, plans=[plan])
    path = url(studio, "cancellation-policy")
    owner_client.get(path)  # the policy row is created on the first visit
    one = _queries(owner_client, path)
    for i in range(29):
        PenaltyRuleFactory(studio=studio, plans=[plan, PlanFactory(studio=studio)] if i % 2 else None)
    many = _queries(owner_client, path)
    assert one == many
    page = owner_client.get(path).content.decode()
    assert page.count('data-testid="penalty-rule"') == 30


def test_reorder_buttons_move_a_rule(owner_client, studio, other_studio):
    a, b = PenaltyRuleFactory(studio=studio), PenaltyRuleFactory(studio=studio)
    foreign = PenaltyRuleFactory(studio=other_studio)
    response = owner_client.post(url(studio, "penalty-rules-reorder"), {"rule": b.pk, "direction": "up"})
    assert response.status_code == 302
    assert [r.pk for r in rules_of(studio)] == [b.pk, a.pk]
    assert (
        owner_client.post(
            url(studio, "penalty-rules-reorder"), {"rule": foreign.pk, "direction": "up"}
        ).status_code
        == 404
    )
    assert (
        owner_client.post(url(studio, "penalty-rules-reorder"), {"rule": "²", "direction": "up"}).status_code
        == 404
    )
    assert owner_client.get(url(studio, "penalty-rules-reorder")).status_code == 405


def test_edit_and_archive_a_rule(owner_client, studio):
    rule = PenaltyRuleFactory(
        studio=studio, count=3, frequency="at_least", window_unit="days", window_length=30
    )
    with translation.override("en"):
        page = owner_client.get(url(studio, "penalty-rule-edit", pk=rule.pk)).content.decode()
    assert "at the 3rd no-show and every one after it within the last 30 days" in page
    response = owner_client.post(
        url(studio, "penalty-rule-edit", pk=rule.pk),
        {**RULE, "count": "4", "window_unit": "weeks", "window_length": "2"},
    )
    assert response.status_code == 302
    [saved] = rules_of(studio)
    assert (saved.count, saved.window_unit, saved.window_length, saved.frequency) == (4, "weeks", 2, "every")
    confirm = owner_client.get(url(studio, "penalty-rule-archive", pk=rule.pk))
    assert confirm.status_code == 200 and rules_of(studio)[0].archived_at is None
    first_post = owner_client.post(url(studio, "penalty-rule-archive", pk=rule.pk))
    assert first_post.status_code == 200 and rules_of(studio)[0].archived_at is None
    done = owner_client.post(url(studio, "penalty-rule-archive", pk=rule.pk), {"confirmed": "1"})
    assert done.status_code == 302 and rules_of(studio)[0].archived_at is not None
    assert owner_client.get(url(studio, "penalty-rule-edit", pk=rule.pk)).status_code == 404


def test_preview_panel_lists_the_clients_and_the_total(owner_client, studio, other_studio):
    template = ClassTemplateFactory(studio=studio)
    now = timezone.now()
    from tests.factories import ClientFactory

    zoe = ClientFactory(studio=studio, first_name="Zoé", last_name="Absente")
    for days_ago in (45, 20, 10, 5):
        session = ClassSessionFactory(template=template, starts_at=now - dt.timedelta(days=days_ago))
        BookingFactory(session=session, client=zoe, status=BookingStatus.NO_SHOW)
    data = {**RULE, "window_unit": "days", "window_length": "30", "count": "2"}
    with translation.override("en"):
        response = owner_client.get(url(studio, "penalty-rule-preview"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    # 45, 20, 10, 5 days ago, every 2nd within 30 days: 20 days ago (with 45) and 10 days ago
    # (with 20); 5 days ago is the 3rd.
    assert body.count("Zoé Absente") == 2
    assert "2 fees, $20.00 in all." in body
    assert "Secret" not in body
    empty = owner_client.get(
        url(studio, "penalty-rule-preview"), {**data, "fee_amount": ""}, HTTP_HX_REQUEST="true"
    )
    assert b"Fill in the rule" in empty.content
