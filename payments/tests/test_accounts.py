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


def test_connect_onboard_leave_due_then_resume(
    sandbox, owner_client, studio, other_studio, location, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("payments-account-create", studio),
            {"display_name": "Plateau Inc.", "locations": [location.pk]},
        )
    with scopes_disabled():
        account = ConnectedAccount.objects.get(studio=studio)
    assert response["Location"] == url("payments-account-detail", studio, pk=account.pk)
    assert account.stripe_account_id.startswith("acct_") and account.is_default
    assert account.state == ConnectedAccount.State.ONBOARDING
    assert (
        StripeAccountDirectory.objects.get(stripe_account_id=account.stripe_account_id).studio_id == studio.pk
    )
    assert sandbox.get(account.stripe_account_id)["controller"]["requirement_collection"] == "stripe"

    onboard = owner_client.post(url("payments-account-onboard", studio, pk=account.pk))
    assert onboard.status_code == 302 and "/_sandbox/onboarding/" in onboard["Location"]
    sandbox.complete_onboarding(account.stripe_account_id, leave_requirement_due=True)
    page = owner_client.get(url("payments-account-return", studio, pk=account.pk), follow=True)
    body = page.content.decode()
    assert 'data-fact="charges"><span class="badge bad">' in body
    assert "Resume onboarding" in body

    assert (
        owner_client.get(url("payments-account-onboard", studio, pk=account.pk)).status_code == 302
    )  # refresh_url
    sandbox.complete_onboarding(account.stripe_account_id)
    body = owner_client.get(
        url("payments-account-return", studio, pk=account.pk), follow=True
    ).content.decode()
    assert "ready to take payments" in body
    with scopes_disabled():
        account.refresh_from_db()
    assert (
        account.state == ConnectedAccount.State.READY and account.charges_enabled and account.payouts_enabled
    )


def test_second_account_for_another_location_and_default_rules(
    sandbox, owner_client, studio, location, eager, django_capture_on_commit_callbacks
):
    laval = LocationFactory(studio=studio, name="Laval")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            url("payments-account-create", studio), {"display_name": "Main", "locations": [location.pk]}
        )
        owner_client.post(
            url("payments-account-create", studio), {"display_name": "Laval Inc.", "locations": [laval.pk]}
        )
    with scopes_disabled():
        main, second = ConnectedAccount.objects.filter(studio=studio).order_by("id")
        assert main.is_default and not second.is_default
        assert ConnectedAccountLocation.objects.get(location=laval).account == second
    page = owner_client.get(url("location-detail", studio, pk=laval.pk)).content.decode()
    assert "Laval Inc." in page
    # Making the second account the default un-defaults the first; a studio cannot end with none.
    owner_client.post(
        url("payments-account-edit", studio, pk=second.pk),
        {"display_name": "Laval Inc.", "is_default": "on", "locations": [laval.pk]},
    )
    with scopes_disabled():
        assert list(ConnectedAccount.objects.filter(studio=studio, is_default=True)) == [second]
    response = owner_client.post(
        url("payments-account-edit", studio, pk=second.pk),
        {"display_name": "Laval Inc.", "locations": [laval.pk]},
    )
    assert response.status_code == 200 and "another account the default" in response.content.decode()


def test_stripe_failure_marks_the_account_failed(
    sandbox, owner_client, studio, eager, django_capture_on_commit_callbacks
):
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


# --- what Stripe still needs, in words (issue 10) ------------------------------------------------


def test_a_new_account_lists_what_stripe_needs_once_in_words_and_not_overdue(
    sandbox, owner_client, studio, location, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            url("payments-account-create", studio),
            {"display_name": "Plateau Inc.", "locations": [location.pk]},
        )
    with scopes_disabled():
        account = ConnectedAccount.objects.get(studio=studio)
    # The sandbox, like Stripe, lists every field as both currently due and past due at creation.
    assert "business_profile.mcc" in account.requirements_due
    assert "business_profile.mcc" in account.requirements_past_due
    body = owner_client.get(url("payments-account-detail", studio, pk=account.pk)).content.decode()
    assert "business_profile" not in body and "tos_acceptance" not in body
    for words in (
        "Your business category",
        "The bank account your payouts go to",
        "Acceptance of Stripe&#x27;s terms of service",
        "Representative: legal name",
    ):
        assert body.count(words) == 1, words  # each once, though Stripe lists it in two lists (and twice)
    assert "overdue" not in body and "needed before you can take payments" in body


def test_requirements_are_overdue_only_after_onboarding_or_a_passed_deadline(studio, owner_client):
    from datetime import timedelta

    from django.utils import timezone

    from payments.selectors import account_requirements, requirement_label

    with scopes_disabled():
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name="A",
            creation_key="req",
            stripe_account_id="acct_req",
            requirements_due=["individual.dob.day", "individual.dob.month", "x.unknown_code"],
            requirements_past_due=["individual.dob.day"],
            state=ConnectedAccount.State.ONBOARDING,
        )
    now = timezone.now()
    fresh = account_requirements(account=account, now=now)
    assert [r.label for r in fresh] == [
        "Account holder: date of birth",
        "Other information Stripe asks for (x.unknown_code)",
    ]
    assert not any(r.overdue for r in fresh) and fresh[0].blocking
    account.details_submitted = True  # went through onboarding, and Stripe still says past due
    assert account_requirements(account=account, now=now)[0].overdue
    account.details_submitted = False
    account.requirements_deadline = now + timedelta(days=3)
    assert not any(r.overdue for r in account_requirements(account=account, now=now))
    account.requirements_deadline = now - timedelta(minutes=1)
    assert all(r.overdue for r in account_requirements(account=account, now=now))
    assert requirement_label("company.address.postal_code") == "The company's address"
    with scopes_disabled():
        account.save()
    body = owner_client.get(url("payments-account-detail", studio, pk=account.pk)).content.decode()
    assert body.count('<span class="badge bad">overdue</span>') == 2


def test_stripe_event_results_are_words(owner_client, studio):
    from payments.models import StripeEvent

    for n, outcome in enumerate(("recorded", "ignored", "no such payment", "something new")):
        StripeEvent.objects.create(
            event_id=f"evt_words_{n}",
            type="payment_intent.succeeded",
            studio_id=studio.pk,
            created=0,
            payload={},
            processed_at="2026-11-01T10:00Z",
            outcome=outcome,
        )
    body = owner_client.get(url("payments-events", studio)).content.decode()
    assert ">recorded<" in body and ">not needed<" in body and ">payment not known here<" in body
    assert ">ignored<" not in body and ">something new<" in body  # an unknown result is still shown
    assert "Payment succeeded<br>" in body  # the event type in words, Stripe's name beside it


# --- moving a home location to another account warns first (issue 10) ---------------------------


def test_moving_a_location_to_another_account_lists_the_clients_whose_cards_stop_working(
    sandbox, owner_client, studio, location, make_account
):
    from payments.models import SavedPaymentMethod, StripeCustomer
    from tests.factories import ClientFactory

    main = make_account(studio, name="Main", default=True, locations=[location])
    laval = LocationFactory(studio=studio, name="Laval")
    other = make_account(studio, name="Laval Inc.", locations=[laval])
    mover = ClientFactory(studio=studio, first_name="Nora", last_name="Plateau", home_location=location)
    stay = ClientFactory(studio=studio, first_name="Ivo", last_name="Laval", home_location=laval)
    with scopes_disabled():
        for client, account, last4 in ((mover, main, "4242"), (stay, other, "1111")):
            customer = StripeCustomer.objects.create(
                studio=studio,
                client=client,
                account=account,
                stripe_customer_id=f"cus_{last4}",
                idempotency_key=last4,
            )
            SavedPaymentMethod.objects.create(
                studio=studio,
                client=client,
                account=account,
                customer=customer,
                stripe_payment_method_id=f"pm_{last4}",
                kind="card",
                brand="visa",
                last4=last4,
                source="staff",
                is_default=True,
            )
    edit = url("payments-account-edit", studio, pk=other.pk)
    data = {"display_name": "Laval Inc.", "locations": [laval.pk, location.pk]}
    warned = owner_client.post(edit, data)
    body = warned.content.decode()
    assert warned.status_code == 200 and 'data-testid="move-warning"' in body
    assert "1 client has saved payment methods that will stop being usable" in body
    assert "Nora Plateau" in body and "Visa •••• 4242" in body and "Ivo Laval" not in body
    with scopes_disabled():
        assert ConnectedAccountLocation.objects.get(location=location).account == main  # nothing saved yet
    # Confirming a different selection than the one warned about warns again.
    assert (
        'data-testid="move-warning"'
        in owner_client.post(
            edit, {**data, "locations": [laval.pk, location.pk], "confirm": "999:"}
        ).content.decode()
    )
    signature = f"{','.join(str(pk) for pk in sorted([laval.pk, location.pk]))}:"
    assert f'name="confirm" value="{signature}"' in body
    saved = owner_client.post(edit, {**data, "confirm": signature})
    assert saved.status_code == 302
    with scopes_disabled():
        assert ConnectedAccountLocation.objects.get(location=location).account == other
    # A change that strands nobody saves at once.
    assert (
        owner_client.post(
            edit, {"display_name": "Laval Inc. 2", "locations": [laval.pk, location.pk]}
        ).status_code
        == 302
    )
