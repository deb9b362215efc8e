"""The memberships journey in Debian's chromium (issue 12): the owner, in French, creates the monthly
plan, sells it from a Laval client's profile on the client's saved card, finds the payment on
Laval's account with the reason it went there, books a class the membership pays for, and sees
the credits left."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from memberships.models import CreditUse, Membership, MembershipSettings, Plan
from payments.models import Payment, PaymentSettings
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from payments.tests.test_saved_methods import save_card
from scheduling.tests.factories import ClassSessionFactory, ClassTemplateFactory
from tests.browser import axe_violations, describe_violations
from tests.factories import ClientFactory, LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _go(page, selector):
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


@pytest.fixture
def laval_setup(studio, location, make_account, sandbox):  # noqa: F811
    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Plateau", default=True, locations=[location])
    make_account(studio, name="Laval", locations=[laval])
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    lea = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval)
    save_card(sandbox, studio, lea, make_default=True)
    template = ClassTemplateFactory(studio=studio, name="Vinyasa", drop_in_price=2500, capacity=12)
    session = ClassSessionFactory(template=template, location=laval)
    return {"laval": laval, "lea": lea, "session": session}


def test_owner_sells_the_monthly_plan_on_a_laval_card_and_books_a_class_with_it(
    page, log_in_as, studio, owner, password, laval_setup
):
    lea, session = laval_setup["lea"], laval_setup["session"]
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/")
    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()

    # The monthly plan, created in the UI in French: 8 classes a month at "140,00".
    page.goto(f"/{studio.slug}/manage/memberships/plans/new/?kind=subscription")
    page.fill("#id_name", "Mensuel 8 cours")
    page.check("input[name=kind][value=subscription]")
    page.fill("#id_price_amount", "140,00")
    page.fill("#id_interval_count", "1")
    page.select_option("#id_interval_unit", "month")
    page.fill("#id_period_limit", "8")
    _go(page, "form.plan-form button[type=submit].primary")
    with scopes_disabled():
        plan = Plan.objects.get(studio=studio, name="Mensuel 8 cours")
    assert (plan.price_amount, plan.interval_unit, plan.credits_per_period) == (14000, "month", 8)

    # Sold from Léa's profile, on her saved card.
    page.goto(f"/{studio.slug}/manage/clients/{lea.pk}/")
    page.click("#membership-sell a.button")
    page.wait_for_selector("form.sell-membership")
    page.select_option("form.sell-membership select[name=plan]", str(plan.pk))
    page.check("form.sell-membership input[name=tender][value=saved_method]")
    assert "Laval" in page.inner_text("[data-preview=saved-card]")
    _go(page, "form.sell-membership button[name=sell]")
    with scopes_disabled():
        membership = Membership.objects.get(studio=studio, client=lea, plan=plan)
        payment = Payment.objects.get(
            studio=studio, source_type="membership_sale", source_id=str(membership.pk)
        )
    assert membership.status == "active" and payment.status == "succeeded"
    assert payment.account.display_name == "Laval"
    assert page.locator(f"tr[data-membership='{membership.pk}']").count() == 1

    # The payment in the ledger, on Laval's account, with the reason it went there.
    page.goto(f"/{studio.slug}/manage/payments/?account={payment.account_id}")
    row = page.locator("table.ledger tbody tr", has_text="Léa Gagnon")
    assert row.count() == 1 and "Laval" in row.inner_text()
    _go(page, "table.ledger tbody tr a")
    reason = page.inner_text("[data-testid=routing-reason]")
    assert "Laval" in reason

    # A class at Laval booked for Léa from the roster: her membership pays, one credit taken.
    page.goto(f"/{studio.slug}/manage/schedule/sessions/{session.pk}/")
    page.fill("#client-q", "Gagnon")
    page.wait_for_selector("#client-results form")
    _go(page, "#client-results form button")
    with scopes_disabled():
        booking = session.bookings.get(client=lea)
        use = CreditUse.objects.get(booking_id=booking.pk)
        membership.refresh_from_db()
    assert (booking.payment_kind, booking.payment_ref) == ("membership", f"membership:{membership.pk}")
    assert use.membership_id == membership.pk and membership.credits_remaining == 7

    # Credits left, on the membership's page (in French).
    page.goto(f"/{studio.slug}/manage/memberships/m/{membership.pk}/")
    assert page.get_attribute("html", "lang") == "fr"
    assert "7" in page.inner_text("dl.facts")
    assert page.locator(f"[data-credit-use='{use.pk}']").count() == 1

    # The dunning schedule, typed the French way, then the renewals page in the menu.
    page.goto(f"/{studio.slug}/manage/memberships/settings/")
    page.fill("#id_retry_days", "1\u00a0; 3 et 7")
    page.check("input[name=past_due_bookings][value=block]")
    _go(page, "form[method=post] button[type=submit].primary")
    with scopes_disabled():
        settings = MembershipSettings.objects.get(studio=studio)
    assert (settings.retry_days, settings.past_due_bookings) == ([1, 3, 7], "block")
    assert page.input_value("#id_retry_days") == "1, 3, 7"
    page.fill("#id_retry_days", "7, 3")
    _go(page, "form[method=post] button[type=submit].primary")
    assert page.locator(".has-error #id_retry_days").count() == 1
    assert not axe_violations(page), describe_violations(axe_violations(page))
    _go(page, f"aside.sidebar a[href='/{studio.slug}/manage/memberships/renewals/']")
    assert page.locator("#renewal-progress").count() == 1
    for tab in ("today", "upcoming", "failing", "past_due"):
        page.goto(f"/{studio.slug}/manage/memberships/renewals/?tab={tab}")
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
