"""The penalty rule form in Debian's chromium: the sentence follows every change (htmx), the
preview lists last month's matching clients before saving, and axe finds no serious violation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from memberships.models import PenaltyRule
from scheduling.models import BookingStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from tests.browser import axe_violations, describe_violations
from tests.factories import PASSWORD, ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sentence_and_the_preview_follow_the_form(page, log_in_as, studio, owner, location):
    template = ClassTemplateFactory(studio=studio)
    noor = ClientFactory(studio=studio, first_name="Noor", last_name="Absent")
    for days_ago in (20, 12):
        session = ClassSessionFactory(
            template=template, starts_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        BookingFactory(session=session, client=noor, status=BookingStatus.NO_SHOW)
    log_in_as(owner.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/manage/policy/")
    page.click("text=Add a rule")
    page.check("#id_trigger_1")  # no-show
    page.fill("#id_count", "2")
    page.select_option("#id_window_unit", "days")
    page.fill("#id_window_length", "30")
    page.fill("#id_fee_amount", "10")
    sentence = page.locator("[data-testid=rule-sentence]")
    sentence.get_by_text("A $10.00 fee is charged at every 2nd no-show within the last 30 days").wait_for()
    page.check("#id_frequency_2")  # exactly
    sentence.get_by_text(
        "A $10.00 fee is charged at exactly the 2nd no-show within the last 30 days"
    ).wait_for()
    preview = page.locator("[data-testid=rule-preview]")
    preview.get_by_text("1 fee, $10.00 in all.").wait_for()
    assert "Noor Absent" in preview.inner_text()
    assert not axe_violations(page), describe_violations(axe_violations(page))
    page.click("#rule-form button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/manage/policy/")
    assert "at exactly the 2nd no-show within the last 30 days" in page.content()
    with scopes_disabled():
        rule = PenaltyRule.objects.get(studio=studio)
    assert (rule.frequency, rule.count, rule.fee_amount) == ("exactly", 2, 1000)
