"""The plan form in Debian's chromium: each kind shows its own fieldsets (CSS only, no script),
and axe finds no serious violation on it."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from memberships.models import Plan
from tests.browser import axe_violations, describe_violations
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_shows_the_fields_of_the_chosen_kind_and_saves(page, log_in_as, studio, owner, location):
    log_in_as(owner.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/manage/memberships/")
    page.click("text=New plan")
    # A subscription by default: the pack's and payment plan's fields are hidden.
    assert page.is_visible("#id_commitment_periods") and not page.is_visible("#id_pack_size")
    page.check("#id_kind_2")  # class pack
    assert page.is_visible("#id_pack_size")
    assert not page.is_visible("#id_commitment_periods")
    assert not page.is_visible("#id_interval_count")
    assert not page.is_visible("#id_period_limit")
    page.check("#id_kind_0")  # subscription
    assert page.is_visible("#id_commitment_periods") and page.is_visible("#id_interval_count")
    assert not page.is_visible("#id_pack_size") and not page.is_visible("#id_instalment_count")
    assert not page.is_visible("#id_class_templates")  # "All classes" is ticked
    page.check("#id_kind_1")  # pass: a duration by default, fixed dates on request
    assert page.is_visible("#id_interval_count") and not page.is_visible("#id_pass_starts_on")
    page.check("#id_pass_mode_0")
    assert page.is_visible("#id_pass_starts_on") and not page.is_visible("#id_interval_count")
    assert not axe_violations(page), describe_violations(axe_violations(page))
    page.check("#id_kind_0")
    page.fill("#id_name", "Illimité mensuel")
    page.fill("#id_price_amount", "120.50")
    page.click("form.plan-form button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/manage/memberships/")
    assert "Illimité mensuel" in page.content() and "$120.50" in page.content()
    with scopes_disabled():
        plan = Plan.objects.get(studio=studio)
    assert (plan.kind, plan.price_amount) == ("subscription", 12050)
