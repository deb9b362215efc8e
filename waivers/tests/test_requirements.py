"""Where a waiver is required (WAI-5): the service replacing the set, the registry's targets, the
page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from memberships.tests.factories import PlanFactory
from scheduling.tests.factories import AppointmentServiceFactory, ClassTemplateFactory
from studio.models import AuditLog
from studio.registries import requirement_targets
from studio.registries.audit import FIELDS, action_sentence
from studio.services import Actor
from waivers.models import WaiverRequirement
from waivers.services.requirements import waiver_requirements_set
from waivers.tests.factories import req_waiver

pytestmark = pytest.mark.django_db


def _rows(waiver):
    with scopes_disabled():
        return sorted(
            WaiverRequirement.objects.filter(waiver=waiver).values_list("scope", "target_id"), key=str
        )


def _set(studio, owner, waiver, **kwargs):
    params = {"studio_wide": False, "plan_ids": (), "class_template_ids": (), "service_ids": (), **kwargs}
    with scope(studio=studio):
        return waiver_requirements_set(studio=studio, actor=Actor(user=owner.user), waiver=waiver, **params)


def test_the_apps_register_their_targets():
    scopes = [t.scope for t in requirement_targets.requirement_targets()]
    assert scopes == ["plan", "class_template", "service"]


def test_targets_list_the_studios_own_active_rows_only(studio, other_studio):
    yoga = ClassTemplateFactory(studio=studio, name="Yoga")
    ClassTemplateFactory(studio=other_studio, name="Secret class")
    plan = PlanFactory(studio=studio, name="Unlimited")
    with scope(studio=studio):
        assert requirement_targets.requirement_target("class_template").choices(studio) == [(yoga.pk, "Yoga")]
        assert requirement_targets.requirement_target("plan").choices(studio) == [(plan.pk, "Unlimited")]


def test_the_set_is_replaced_and_audited_with_names(studio, owner, other_studio):
    yoga = ClassTemplateFactory(studio=studio, name="Yoga")
    aerial = ClassTemplateFactory(studio=studio, name="Aerial")
    massage = AppointmentServiceFactory(studio=studio, name="Massage")
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client")
    _set(studio, owner, waiver, studio_wide=True, class_template_ids=[yoga.pk])
    assert _rows(waiver) == sorted([("class_template", yoga.pk), ("studio", None)], key=str)
    _set(studio, owner, waiver, class_template_ids=[aerial.pk, aerial.pk], service_ids=[massage.pk])
    assert _rows(waiver) == sorted([("class_template", aerial.pk), ("service", massage.pk)], key=str)
    with scopes_disabled():
        entries = list(
            AuditLog.objects.filter(studio=studio, action="waiver.requirements_set").order_by("id")
        )
    assert len(entries) == 2
    assert entries[1].changes["required_classes"] == {"from": ["Yoga"], "to": ["Aerial"]}
    assert entries[1].changes["required_everywhere"] == {"from": True, "to": False}
    assert entries[1].changes["required_services"] == {"from": [], "to": ["Massage"]}
    with translation.override("en"):
        assert action_sentence("waiver.requirements_set") == "Where a waiver is required changed"
        assert str(FIELDS["required_classes"].label) == "Required for classes"
    # The same set again writes nothing and records nothing.
    _set(studio, owner, waiver, class_template_ids=[aerial.pk], service_ids=[massage.pk])
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action="waiver.requirements_set").count() == 2


def test_another_studios_or_archived_ids_are_refused(studio, owner, other_studio):
    from django.utils import timezone

    theirs = ClassTemplateFactory(studio=other_studio)
    old = ClassTemplateFactory(studio=studio, archived_at=timezone.now())
    their_plan = PlanFactory(studio=other_studio)
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client")
        membership = req_waiver(studio, kind="membership")
    for ids in ([theirs.pk], [old.pk], [10**9]):
        with pytest.raises(ValidationError):
            _set(studio, owner, waiver, class_template_ids=ids)
    with pytest.raises(ValidationError):
        _set(studio, owner, membership, plan_ids=[their_plan.pk])
    assert _rows(waiver) == [] and _rows(membership) == []


def test_a_kind_is_required_only_where_it_is_asked(studio, owner):
    plan = PlanFactory(studio=studio)
    yoga = ClassTemplateFactory(studio=studio)
    with scope(studio=studio):
        client_waiver = req_waiver(studio, kind="client")
        membership = req_waiver(studio, kind="membership")
        custom = req_waiver(studio, kind="custom")
    with pytest.raises(ValidationError):
        _set(studio, owner, client_waiver, plan_ids=[plan.pk])
    with pytest.raises(ValidationError):
        _set(studio, owner, membership, class_template_ids=[yoga.pk])
    with pytest.raises(ValidationError):
        _set(studio, owner, custom, studio_wide=True)
    _set(studio, owner, membership, studio_wide=True, plan_ids=[plan.pk])
    assert _rows(membership) == sorted([("plan", plan.pk), ("studio", None)], key=str)


def test_an_archived_waiver_is_refused(studio, owner):
    from django.utils import timezone

    from waivers.models import Waiver

    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client")
        Waiver.objects.filter(pk=waiver.pk).update(archived_at=timezone.now())
        waiver.refresh_from_db()
    with pytest.raises(ValidationError):
        _set(studio, owner, waiver, studio_wide=True)


# --- the page ---------------------------------------------------------------------------------


def _url(studio, waiver):
    return reverse("waiver-requirements", kwargs={"studio_slug": studio.slug, "pk": waiver.pk})


def test_the_page_offers_the_kinds_targets_and_saves(owner_client, studio, other_studio):
    yoga = ClassTemplateFactory(studio=studio, name="Yoga doux")
    ClassTemplateFactory(studio=other_studio, name="Secret class")
    massage = AppointmentServiceFactory(studio=studio, name="Massage suédois")
    PlanFactory(studio=studio, name="Plan not offered here")
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client", name="Décharge client")
    page = owner_client.get(_url(studio, waiver))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Required for every booking" in body and "Yoga doux" in body and "Massage suédois" in body
    assert "Secret class" not in body and "Plan not offered here" not in body
    assert "the booking is refused" in body  # where it is asked, for this kind
    response = owner_client.post(
        _url(studio, waiver), {"class_template_ids": [yoga.pk], "service_ids": [massage.pk]}
    )
    assert response.status_code == 302
    assert _rows(waiver) == sorted([("class_template", yoga.pk), ("service", massage.pk)], key=str)
    page = owner_client.get(_url(studio, waiver)).content.decode()
    assert f'value="{yoga.pk}"' in page and "checked" in page


def test_the_membership_page_offers_plans_and_refuses_strangers(owner_client, studio, other_studio):
    PlanFactory(studio=studio, name="Unlimited")
    theirs = PlanFactory(studio=other_studio, name="Their plan")
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="membership")
    body = owner_client.get(_url(studio, waiver)).content.decode()
    assert "Required for every purchase of a membership" in body and "Unlimited" in body
    assert "Yoga" not in body
    response = owner_client.post(_url(studio, waiver), {"plan_ids": [theirs.pk]})
    assert response.status_code == 200 and _rows(waiver) == []
    response = owner_client.post(_url(studio, waiver), {"plan_ids": ["1²"], "studio_wide": "on"})
    assert response.status_code == 200 and _rows(waiver) == []


def test_a_custom_waiver_page_says_it_is_never_required(owner_client, studio):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="custom")
    body = owner_client.get(_url(studio, waiver)).content.decode()
    assert "Never required" in body and 'name="studio_wide"' not in body


def test_the_page_needs_manage_waivers(studio, staff_factory, login, client):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client")
    teacher = staff_factory("teacher")
    login(teacher.user)
    assert client.get(_url(studio, waiver)).status_code == 403
