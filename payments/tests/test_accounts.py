"""Connect Stripe (PAY-1) and several accounts per studio (PAY-2), through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from payments.models import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from studio.permissions import RoleKind
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def url(name, studio, **kw):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kw})


@pytest.fixture
def eager(celery_eager):
    return celery_eager


def test_connect_onboard_leave_due_then_resume(sandbox, owner_client, studio, other_studio, location, eager,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url("payments-account-create", studio),
                                     {"display_name": "Plateau Inc.", "locations": [location.pk]})
    with scopes_disabled():
        account = ConnectedAccount.objects.get(studio=studio)
    assert response["Location"] == url("payments-account-detail", studio, pk=account.pk)
    assert account.stripe_account_id.startswith("acct_") and account.is_default
    assert account.state == ConnectedAccount.State.ONBOARDING
    assert StripeAccountDirectory.objects.get(stripe_account_id=account.stripe_account_id).studio_id == studio.pk
    assert sandbox.get(account.stripe_account_id)["controller"]["requirement_collection"] == "stripe"

    onboard = owner_client.post(url("payments-account-onboard", studio, pk=account.pk))
    assert onboard.status_code == 302 and "/_sandbox/onboarding/" in onboard["Location"]
    sandbox.complete_onboarding(account.stripe_account_id, leave_requirement_due=True)
    page = owner_client.get(url("payments-account-return", studio, pk=account.pk), follow=True)
    body = page.content.decode()
    assert 'data-fact="charges"><span class="badge bad">' in body
    assert "Resume onboarding" in body

    assert owner_client.get(url("payments-account-onboard", studio, pk=account.pk)).status_code == 302  # refresh_url
    sandbox.complete_onboarding(account.stripe_account_id)
    body = owner_client.get(url("payments-account-return", studio, pk=account.pk), follow=True).content.decode()
    assert "ready to take payments" in body
    with scopes_disabled():
        account.refresh_from_db()
    assert account.state == ConnectedAccount.State.READY and account.charges_enabled and account.payouts_enabled


def test_second_account_for_another_location_and_default_rules(sandbox, owner_client, studio, location, eager,
                                                               django_capture_on_commit_callbacks):
    laval = LocationFactory(studio=studio, name="Laval")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url("payments-account-create", studio), {"display_name": "Main", "locations": [location.pk]})
        owner_client.post(url("payments-account-create", studio), {"display_name": "Laval Inc.",
                                                                   "locations": [laval.pk]})
    with scopes_disabled():
        main, second = ConnectedAccount.objects.filter(studio=studio).order_by("id")
        assert main.is_default and not second.is_default
        assert ConnectedAccountLocation.objects.get(location=laval).account == second
    page = owner_client.get(url("location-detail", studio, pk=laval.pk)).content.decode()
    assert "Laval Inc." in page
    # Making the second account the default un-defaults the first; a studio cannot end with none.
    owner_client.post(url("payments-account-edit", studio, pk=second.pk),
                      {"display_name": "Laval Inc.", "is_default": "on", "locations": [laval.pk]})
    with scopes_disabled():
        assert list(ConnectedAccount.objects.filter(studio=studio, is_default=True)) == [second]
    response = owner_client.post(url("payments-account-edit", studio, pk=second.pk),
                                 {"display_name": "Laval Inc.", "locations": [laval.pk]})
    assert response.status_code == 200 and "another account the default" in response.content.decode()


def test_stripe_failure_marks_the_account_failed(sandbox, owner_client, studio, eager,
                                                 django_capture_on_commit_callbacks):
    from studio.models import Studio

    Studio.objects.filter(pk=studio.pk).update(country="ZZ")  # Stripe refuses unknown countries
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url("payments-account-create", studio), {"display_name": "Bad"})
    with scopes_disabled():
        account = ConnectedAccount.objects.get(studio=studio)
    assert account.state in (ConnectedAccount.State.FAILED, ConnectedAccount.State.ONBOARDING)


def test_teacher_cannot_connect_accounts(sandbox, login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    assert login(teacher.user).get(url("payments-accounts", studio)).status_code == 403


def test_checklist_turns_green_when_an_account_can_charge(sandbox, owner_client, studio, make_account):
    def done():
        steps = owner_client.get(url("dashboard", studio)).context["steps"]
        return next(s for s in steps if s.step.key == "stripe").done

    assert not done()
    make_account(studio, ready=False)
    assert not done()
    make_account(studio, name="Ready")
    assert done()
