"""Saved payment methods through the pages: switch, permissions, staff and client flows, warnings."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from payments.models import PaymentSettings, SavedPaymentMethod, SetupRequest
from payments.services import saved_methods as svc
from studio.models import Role
from studio.permissions import Perm, RoleKind
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def url(name, studio, **kw):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kw})


@pytest.fixture
def plateau_account(make_account, studio, location):
    return make_account(studio, name="Plateau", default=True, locations=[location])


@pytest.fixture
def enabled(studio, owner):
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)


def _confirm(sandbox, setup, pm="pm_card_visa"):
    sandbox.client().v1.setup_intents.confirm(
        setup.stripe_setup_intent_id,
        params={"payment_method": pm},
        options={"stripe_account": setup.account.stripe_account_id},
    )


def _member(studio, perms):
    with scopes_disabled():
        role = Role.objects.create(
            studio=studio, name="r-" + "-".join(sorted(perms))[:70], permissions=sorted(perms)
        )
    return StaffFactory(studio=studio, role=role)


def test_only_owner_or_admin_turns_it_on_and_terms_are_required(owner_client, login, studio, staff_factory):
    manager = staff_factory(RoleKind.MANAGER)
    with scopes_disabled():
        manager.role.permissions = [*manager.role.permissions, Perm.MANAGE_SETTINGS]
        manager.role.save()
    assert login(manager.user).get(url("payments-saved-methods-settings", studio)).status_code == 403
    owner_client.force_login(_owner(studio), backend="django.contrib.auth.backends.ModelBackend")
    refused = owner_client.post(url("payments-saved-methods-settings", studio), {"action": "enable"})
    assert "Accept the terms" in refused.content.decode()
    response = owner_client.post(
        url("payments-saved-methods-settings", studio), {"action": "enable", "accept_terms": "1"}
    )
    assert response["Location"] == url("role-list", studio)
    with scopes_disabled():
        assert PaymentSettings.objects.get(studio=studio).saved_methods_enabled


def _owner(studio):
    from tests.factories import owner_of

    return owner_of(studio).user


@pytest.mark.parametrize(
    "perm,name,needs_method",
    [
        (Perm.ADD_SAVED_PAYMENT_METHOD, "payments-staff-method-add", False),
        (Perm.EDIT_SAVED_PAYMENT_METHOD, "payments-staff-method-default", True),
        (Perm.EDIT_SAVED_PAYMENT_METHOD, "payments-staff-method-delete", True),
    ],
)
def test_role_by_action_matrix(
    sandbox, client, studio, a_client, plateau_account, enabled, perm, name, needs_method
):
    method = None
    if needs_method:
        with scope(studio=studio):
            setup = svc.setup_start(
                studio=studio, actor=Actor(user=None), client=a_client, kind="card", source="staff"
            )
        _confirm(sandbox, setup)
        with scope(studio=studio):
            method = svc.setup_complete(
                studio=studio, actor=Actor(user=None), setup_request=setup, consent=True
            )
    kwargs = {"pk": method.pk} if method else {"pk": a_client.pk, "kind": "card"}
    others = set(Perm.values) - {perm}
    for perms, allowed in ((others, False), ({perm, Perm.VIEW_CLIENTS}, True)):
        member = _member(studio, perms)
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
        response = (
            client.post(url(name, studio, **kwargs))
            if needs_method
            else client.get(url(name, studio, **kwargs))
        )
        assert (response.status_code != 403) == allowed, (perms, response.status_code)


def test_feature_off_hides_the_panel_and_refuses_pages(
    sandbox, owner_client, studio, a_client, plateau_account
):
    page = owner_client.get(url("client-detail", studio, pk=a_client.pk)).content.decode()
    assert "Saved payment methods" not in page
    response = owner_client.get(url("payments-staff-method-add", studio, pk=a_client.pk, kind="card"))
    assert response.status_code == 302
    with scopes_disabled():
        assert not SetupRequest.objects.exists()


def test_staff_saves_a_card_without_any_card_data_reaching_us(
    sandbox, owner_client, studio, a_client, plateau_account, enabled
):
    page = owner_client.get(url("payments-staff-method-add", studio, pk=a_client.pk, kind="card"))
    html = page.content.decode()
    assert page.status_code == 200
    # Our form carries the CSRF token and the consent only; Stripe's fields are outside it.
    form = re.search(r'<form id="save-method-form".*?</form>', html, re.S).group(0)
    assert set(re.findall(r'name="([^"]+)"', form)) == {"csrfmiddlewaretoken", "consent"}
    with scopes_disabled():
        setup = SetupRequest.objects.get(client=a_client)
    _confirm(sandbox, setup)
    no_consent = owner_client.post(
        url("payments-staff-method-complete", studio, pk=a_client.pk, setup_pk=setup.pk)
    )
    assert no_consent.status_code == 400 and "agreed" in no_consent.json()["error"]
    done = owner_client.post(
        url("payments-staff-method-complete", studio, pk=a_client.pk, setup_pk=setup.pk), {"consent": "1"}
    )
    assert done.json()["ok"]
    profile = owner_client.get(url("client-detail", studio, pk=a_client.pk)).content.decode()
    assert "Visa •••• 4242" in profile and "Default" in profile


def test_client_manages_their_own_methods(
    sandbox, client, studio, location, plateau_account, enabled, user_factory
):
    user = user_factory()
    me = ClientFactory(studio=studio, user=user, email=user.email, home_location=location)
    other = ClientFactory(studio=studio, home_location=location)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(url("payments-client-method-add", studio, kind="card")).status_code == 200
    with scopes_disabled():
        setup = SetupRequest.objects.get(client=me)
    _confirm(sandbox, setup)
    assert client.post(url("payments-client-method-complete", studio, setup_pk=setup.pk)).json()["ok"]
    account_page = client.get(url("account-home", studio)).content.decode()
    assert "Visa •••• 4242" in account_page
    with scopes_disabled():
        method = SavedPaymentMethod.objects.get(client=me)
    # Someone else's method, in the same studio, is not theirs to touch.
    with scope(studio=studio):
        other_setup = svc.setup_start(
            studio=studio, actor=Actor(user=None), client=other, kind="card", source="staff"
        )
    _confirm(sandbox, other_setup)
    with scope(studio=studio):
        theirs = svc.setup_complete(
            studio=studio, actor=Actor(user=None), setup_request=other_setup, consent=True
        )
    assert client.post(url("payments-client-method-delete", studio, pk=theirs.pk)).status_code == 404
    client.post(url("payments-client-method-delete", studio, pk=method.pk))
    with scopes_disabled():
        assert not SavedPaymentMethod.objects.filter(client=me).exists()


def test_home_location_change_warns_before_saving(
    sandbox, owner_client, studio, a_client, plateau_account, make_account, enabled
):
    laval = LocationFactory(studio=studio, name="Laval")
    make_account(studio, name="Laval Inc.", locations=[laval])
    with scope(studio=studio):
        setup = svc.setup_start(
            studio=studio, actor=Actor(user=None), client=a_client, kind="card", source="staff"
        )
    _confirm(sandbox, setup)
    with scope(studio=studio):
        svc.setup_complete(studio=studio, actor=Actor(user=None), setup_request=setup, consent=True)
    data = {
        "first_name": a_client.first_name,
        "last_name": a_client.last_name,
        "email": a_client.email,
        "language": "en",
        "home_location": laval.pk,
    }
    warned = owner_client.post(url("client-edit", studio, pk=a_client.pk), data)
    assert warned.status_code == 200
    warnings = warned.context["home_change_warnings"]
    assert len(warnings) == 1 and "4242" in warnings[0] and "Plateau" in warnings[0]
    a_client.refresh_from_db()
    assert a_client.home_location_id != laval.pk
    saved = owner_client.post(
        url("client-edit", studio, pk=a_client.pk), {**data, "confirm_home_change": "1"}
    )
    assert saved.status_code == 302
    a_client.refresh_from_db()
    assert a_client.home_location_id == laval.pk


# --- issue 10: confirmations and client-facing words ---------------------------------------------


def test_turning_saved_methods_off_asks_first_with_what_stops(
    sandbox, owner_client, studio, a_client, plateau_account, enabled
):
    owner_client.force_login(_owner(studio), backend="django.contrib.auth.backends.ModelBackend")
    with scope(studio=studio):
        for pm in ("pm_card_visa", "pm_card_mastercard"):
            setup = svc.setup_start(
                studio=studio, actor=Actor(user=None), client=a_client, kind="card", source="staff"
            )
            _confirm(sandbox, setup, pm=pm)
            svc.setup_complete(studio=studio, actor=Actor(user=None), setup_request=setup, consent=True)
    page = url("payments-saved-methods-settings", studio)
    asked = owner_client.post(page, {"action": "disable"})
    body = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="disable-confirm"' in body
    assert "2 saved methods will no longer be used:" in body
    assert "1 client's renewals, instalments and fees that charge a saved method will fail" in body
    with scopes_disabled():
        assert PaymentSettings.objects.get(studio=studio).saved_methods_enabled  # not yet
    done = owner_client.post(page, {"action": "disable", "confirm": "1"})
    assert done.status_code == 302
    with scopes_disabled():
        assert not PaymentSettings.objects.get(studio=studio).saved_methods_enabled


def test_the_client_is_spoken_to_as_you_and_cannot_save_the_same_card_twice(
    sandbox, client, studio, location, plateau_account, enabled, user_factory
):
    from django.conf import settings as dj_settings

    user = user_factory()
    me = ClientFactory(studio=studio, user=user, email=user.email, home_location=location)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[dj_settings.LANGUAGE_COOKIE_NAME] = "en"

    def save(pm):
        assert client.get(url("payments-client-method-add", studio, kind="card")).status_code == 200
        with scopes_disabled():
            setup = SetupRequest.objects.filter(client=me).latest("id")
        _confirm(sandbox, setup, pm=pm)
        return client.post(url("payments-client-method-complete", studio, setup_pk=setup.pk))

    assert save("pm_card_visa").json()["ok"]
    twice = save("pm_card_visa")
    assert twice.status_code == 400
    assert twice.json()["error"] == (
        "This payment method is already saved on your account (Visa •••• 4242): nothing was added."
    )
    for pm in ("pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_ca"):
        assert save(pm).json()["ok"]
    full = client.get(url("payments-client-method-add", studio, kind="card"), follow=True).content.decode()
    assert "You already have 5 saved payment methods" in full and "This client" not in full
