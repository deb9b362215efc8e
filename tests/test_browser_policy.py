"""The cancellation-policy journey in Debian's chromium (issue 16): the owner, in French, writes
"every 2nd no-show within the renewal period, 10 $" for the monthly plan, sees the sentence change
as they switch to "exactly" and the preview list last month's matching client, saves; a no-show
is marked on the class's roster, its fee appears as pending, the owner waives it with a reason,
and the report shows it waived."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from memberships.models import Penalty, PenaltyRule, Plan
from memberships.tests.factories import MembershipFactory, PlanFactory
from scheduling.models import BookingStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIVE_REASON = "Première absence : on passe l'éponge"


def _go(page, selector):
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def _french_catalogue_has(msgid: str, context: str | None = None) -> bool:
    with translation.override("fr"):
        said = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    return said != msgid


@pytest.fixture
def history(studio, location):
    """The monthly plan and two of its members: Marc missed two classes last month (the preview
    finds him), Léa one this period — the class under way today is her second."""
    monthly = PlanFactory(studio=studio, name="Mensuel illimité")
    PlanFactory(studio=studio, name="Carte 10 cours", pack=True)
    today = timezone.localdate()
    template = ClassTemplateFactory(studio=studio, name="Vinyasa", drop_in_price=2500, capacity=12)
    marc = ClientFactory(studio=studio, first_name="Marc", last_name="Roy", home_location=location)
    lea = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=location)
    MembershipFactory(client=marc, plan=monthly, started_on=today - dt.timedelta(days=25))
    MembershipFactory(client=lea, plan=monthly, started_on=today - dt.timedelta(days=20))
    for days_ago, who in ((18, marc), (11, marc), (9, lea)):
        past = ClassSessionFactory(
            template=template, location=location, starts_in=-dt.timedelta(days=days_ago)
        )
        BookingFactory(session=past, client=who, status=BookingStatus.NO_SHOW)
    # Started half an hour ago: "Absent" is on the roster.
    today_class = ClassSessionFactory(
        template=template, location=location, starts_in=-dt.timedelta(minutes=30)
    )
    booking = BookingFactory(session=today_class, client=lea, status=BookingStatus.BOOKED)
    return {"plan": monthly, "lea": lea, "marc": marc, "session": today_class, "booking": booking}


def test_owner_writes_a_no_show_rule_in_french_then_waives_the_fee_it_raises(
    page, log_in_as, studio, owner, password, history, celery_eager
):
    plan, lea, session, booking = history["plan"], history["lea"], history["session"], history["booking"]
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/")
    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()

    # The rule, written on prule's page in French: every 2nd no-show within the renewal period,
    # for the monthly plan, 10 $.
    page.goto(f"/{studio.slug}/manage/policy/rules/new/")
    assert page.get_attribute("html", "lang") == "fr"
    page.check("input[name=trigger][value=no_show]")
    page.check("input[name=who][value=plans]")
    page.check(f"input[name=plans][value='{plan.pk}']")
    page.check("input[name=frequency][value=every]")
    page.fill("#id_count", "2")
    page.select_option("#id_window_unit", "renewal_period")
    page.fill("#id_fee_amount", "10,00")
    sentence = page.locator("[data-testid=rule-sentence] strong")
    sentence.wait_for()
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=rule-sentence]')?.innerText || '').includes('10,00')"
    )
    every = sentence.inner_text()
    assert "10,00" in every and "2e" in every  # French money and ordinal
    if _french_catalogue_has("A %(fee)s fee is charged at every %(nth)s no-show %(window)s", "penalty rule"):
        assert every.startswith("Des frais de 10,00\u00a0$ sont prélevés à chaque 2e absence")

    # "Exactly": the sentence changes as the option is switched (htmx).
    page.check("input[name=frequency][value=exactly]")
    page.wait_for_function(
        "(before) => { const s = document.querySelector('[data-testid=rule-sentence]');"
        " return s && s.innerText.trim() && s.innerText !== before; }",
        arg=page.locator("[data-testid=rule-sentence]").inner_text(),
    )
    exactly = page.locator("[data-testid=rule-sentence]").inner_text()
    assert exactly != every and "10,00" in exactly and "2e" in exactly

    # The preview lists last month's matching client: Marc's second no-show.
    page.wait_for_selector("[data-testid=rule-preview] table tbody tr")
    preview = page.inner_text("[data-testid=rule-preview]")
    assert "Marc Roy" in preview and "Léa Gagnon" not in preview

    # Back to "every", and saved.
    page.check("input[name=frequency][value=every]")
    _go(page, "#rule-form button[type=submit].primary")
    with scopes_disabled():
        rule = PenaltyRule.objects.get(studio=studio)
        assert (
            rule.trigger,
            rule.frequency,
            rule.count,
            rule.window_unit,
            rule.fee_amount,
            rule.all_plans,
        ) == (
            "no_show",
            "every",
            2,
            "renewal_period",
            1000,
            False,
        )
        assert list(Plan.objects.filter(pk=plan.pk).values_list("pk", flat=True)) == [plan.pk]

    # Léa is marked absent on the roster of the class under way: her 2nd no-show this period.
    page.goto(f"/{studio.slug}/manage/schedule/sessions/{session.pk}/")
    row = page.locator(f"#booking-{booking.pk}")
    with page.expect_response(lambda r: "/attendance/" in r.url):
        row.locator("button[name=status][value=no_show]").click()
    page.wait_for_function(
        f"() => document.querySelector('#booking-{booking.pk} .badge')?.classList.contains('bad')"
    )
    # The assess task ran eagerly after the attendance committed: one pending fee.
    with scopes_disabled():
        fee = Penalty.objects.get(studio=studio, client=lea)
    assert (fee.status, fee.amount, fee.rule_id, fee.event_id) == ("pending", 1000, rule.pk, booking.pk)

    # pcharge's list: pending, with Léa's fee.
    page.goto(f"/{studio.slug}/manage/policy/penalties/?tab=pending")
    pending = page.locator(f"tr[data-penalty='{fee.pk}']")
    assert pending.count() == 1 and "Léa Gagnon" in pending.inner_text() and "10,00" in pending.inner_text()

    # Waived with a reason, before anything is charged.
    page.goto(f"/{studio.slug}/manage/policy/penalties/{fee.pk}/waive/")
    page.fill("textarea[name=reason]", WAIVE_REASON)
    _go(page, "form[method=post] button[type=submit].danger")
    with scopes_disabled():
        fee.refresh_from_db()
    assert (fee.status, fee.waive_reason, fee.payment_id) == ("waived", WAIVE_REASON, None)
    assert fee.waived_by_id == owner.user.pk

    # The report shows it waived.
    page.goto(f"/{studio.slug}/manage/reports/penalties/")
    reported = page.locator(f"tr[data-event='class-{booking.pk}']")
    assert reported.count() == 1 and reported.get_attribute("data-state") == "waived"
    assert "Léa Gagnon" in reported.inner_text()
