"""Every staff page checks its named permission (CORE-3): denied → friendly 403."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from studio.models import Role
from studio.permissions import ALL_PERMISSIONS, RoleKind
from tests.factories import StaffFactory
from tests.isolation import CASES
from tests.url_walk import tenant_urls

pytestmark = pytest.mark.django_db

GUARDED = [u for u in tenant_urls() if getattr(u.view, "staff_view", False) and u.view.required_permission]


def _path(studio, url, kwargs):
    return reverse(url.name, kwargs={"studio_slug": studio.slug, **kwargs})


def _member_with(studio, permissions):
    with scopes_disabled():
        role = Role.objects.create(
            studio=studio,
            name=f"r{len(permissions)}-{sorted(permissions)[:1]}"[:80],
            permissions=sorted(permissions),
        )
    return StaffFactory(studio=studio, role=role)


@pytest.mark.parametrize("url", GUARDED, ids=[u.name for u in GUARDED])
def test_page_refuses_without_its_permission_and_opens_with_it(client, studio, other_studio, url):
    perm = url.view.required_permission
    kwargs = CASES[url.name](studio) if url.params else {}
    path = _path(studio, url, kwargs)

    without = _member_with(studio, ALL_PERMISSIONS - {perm})
    client.force_login(without.user, backend="django.contrib.auth.backends.ModelBackend")
    denied = client.get(path)
    assert denied.status_code == 403, (url.name, denied.status_code)
    assert "don" in denied.content.decode() or "accès" in denied.content.decode()

    if getattr(url.view, "owner_or_admin", False):
        with_perm = StaffFactory(studio=studio, kind=RoleKind.ADMIN)  # reserved to Owner/Admin by design
    else:
        with_perm = _member_with(studio, {perm})
    client.force_login(with_perm.user, backend="django.contrib.auth.backends.ModelBackend")
    allowed = client.get(path)
    assert allowed.status_code in (200, 302, 405), (url.name, allowed.status_code)


def test_anonymous_is_sent_to_log_in(client, studio):
    response = client.get(reverse("settings", kwargs={"studio_slug": studio.slug}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_client_without_staff_membership_gets_403(client, studio, a_client, user_factory):
    user = user_factory()
    with scopes_disabled():
        a_client.user = user
        a_client.save()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug})).status_code == 403


def test_teacher_cannot_reach_settings(login, studio, staff_factory):
    teacher = staff_factory(RoleKind.TEACHER)
    response = login(teacher.user).get(reverse("settings", kwargs={"studio_slug": studio.slug}))
    assert response.status_code == 403


def test_front_desk_cannot_change_roles(login, studio, staff_factory):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    c = login(clerk.user)
    with scopes_disabled():
        role = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    response = c.post(
        reverse("role-edit", kwargs={"studio_slug": studio.slug, "pk": role.pk}),
        {"name": "Teacher", "permissions": ["manage_settings"]},
    )
    assert response.status_code == 403
    role.refresh_from_db()
    assert "manage_settings" not in role.permissions


def test_staff_of_another_studio_is_refused(login, studio, other_studio, staff_factory):
    stranger = staff_factory(RoleKind.OWNER, on=other_studio)
    assert (
        login(stranger.user).get(reverse("dashboard", kwargs={"studio_slug": studio.slug})).status_code == 403
    )


def test_unknown_studio_is_404(owner_client):
    assert owner_client.get("/no-such-studio/manage/").status_code == 404


BUILT_IN = [RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.FRONT_DESK, RoleKind.TEACHER]


@pytest.mark.parametrize("kind", BUILT_IN)
def test_built_in_roles_by_staff_page(client, studio, other_studio, kind):
    """Each built-in role × each guarded staff page: allowed exactly when CORE-3's defaults say so."""
    from studio.permissions import ALL_POWERFUL_KINDS, BUILT_IN_DEFAULTS

    member = StaffFactory(studio=studio, kind=kind)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    held = ALL_PERMISSIONS if kind in ALL_POWERFUL_KINDS else set(BUILT_IN_DEFAULTS.get(kind, []))
    wrong = []
    for url in GUARDED:
        allowed = url.view.required_permission in held and (
            not getattr(url.view, "owner_or_admin", False) or kind in ALL_POWERFUL_KINDS
        )
        kwargs = CASES[url.name](studio) if url.params else {}
        status = client.get(_path(studio, url, kwargs)).status_code
        if (status != 403) != allowed:
            wrong.append((url.name, status, allowed))
    assert not wrong, wrong


# --- client-profile panels (issue #10: a teacher saw a client's payments, credit and saved cards) ---

EXPECTED_PANELS = {  # the product's decision, role by role; a new panel must be added here
    RoleKind.OWNER: {"bookings", "saved-methods", "money", "memberships", "waivers", "penalties"},
    RoleKind.ADMIN: {"bookings", "saved-methods", "money", "memberships", "waivers", "penalties"},
    RoleKind.MANAGER: {"bookings", "saved-methods", "money", "memberships", "waivers", "penalties"},
    RoleKind.FRONT_DESK: {"bookings", "saved-methods", "money", "memberships", "waivers", "penalties"},
    RoleKind.TEACHER: {"bookings", "memberships", "waivers"},  # what a client holds, checked at the door
}
# The POS "Purchases" panel (issue 14): money, so the same people who see payments see it.
for _kind in (RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.FRONT_DESK):
    EXPECTED_PANELS[_kind] = EXPECTED_PANELS[_kind] | {"pos-purchases"}
# The "Online orders" panel (CHK-2): money, for the roles that read the ledger or refund.
for _kind in (RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER):
    EXPECTED_PANELS[_kind] = EXPECTED_PANELS[_kind] | {"checkout-orders"}
# The "Invoices" panel (PAY-11): the roles that bill clients (Perm.BILL_CLIENTS).
for _kind in (RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.FRONT_DESK):
    EXPECTED_PANELS[_kind] = EXPECTED_PANELS[_kind] | {"invoices"}


def test_every_registered_panel_is_in_the_matrix():
    from studio.registries.profile_panels import profile_panels

    assert {p.key for p in profile_panels()} == set().union(*EXPECTED_PANELS.values())


@pytest.mark.parametrize("kind", BUILT_IN)
def test_built_in_roles_by_profile_panel(client, studio, other_studio, kind):
    """Each built-in role × each profile panel: shown exactly when the role holds the panel's
    permission, and the permission matrix above says the same."""
    from payments.models import PaymentSettings
    from studio.permissions import ALL_POWERFUL_KINDS, BUILT_IN_DEFAULTS
    from studio.registries.profile_panels import profile_panels
    from tests.factories import ClientFactory

    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    person = ClientFactory(studio=studio)
    member = StaffFactory(studio=studio, kind=kind)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(
        reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": person.pk})
    ).content.decode()
    held = ALL_PERMISSIONS if kind in ALL_POWERFUL_KINDS else set(BUILT_IN_DEFAULTS.get(kind, []))
    shown = {p.key for p in profile_panels() if f'data-panel="{p.key}"' in html}
    assert shown == {p.key for p in profile_panels() if p.perms & held}
    assert shown == EXPECTED_PANELS[kind]


@pytest.mark.parametrize("panel_key", ["bookings", "saved-methods", "money", "memberships", "waivers"])
def test_a_custom_role_sees_a_panel_only_with_one_of_its_permissions(client, studio, panel_key):
    from payments.models import PaymentSettings
    from studio.permissions import Perm
    from studio.registries.profile_panels import profile_panels
    from tests.factories import ClientFactory

    panel = next(p for p in profile_panels() if p.key == panel_key)
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})
    person = ClientFactory(studio=studio)
    url = reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": person.pk})
    cases = [({Perm.VIEW_CLIENTS, perm}, True) for perm in sorted(panel.perms)]
    if Perm.VIEW_CLIENTS not in panel.perms:  # else opening the profile already grants the panel
        cases.append((ALL_PERMISSIONS - panel.perms, False))  # everything but the panel's permissions
    for perms, visible in cases:
        member = _member_with(studio, perms)
        client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
        html = client.get(url).content.decode()
        assert (f'data-panel="{panel_key}"' in html) == visible, (sorted(perms), visible)
