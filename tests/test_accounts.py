"""Owner sign-up, staff log-in and throttling, password reset, language switch, invitations."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from studio.models import AuditLog, Role, StaffMember, Studio, User
from studio.permissions import RoleKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {"full_name": "Maude L", "email": "maude@example.test", "password": "a-Long-enough-pass-42",
          "studio_name": "Yoga Lumière", "slug": "", "currency": "CAD", "time_zone": "America/Toronto",
          "language": "en"}


def test_owner_signup_creates_studio_owner_and_roles(client, other_studio):
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    studio = Studio.objects.get(slug="yoga-lumiere")
    assert response["Location"] == f"/{studio.slug}/manage/"
    with scopes_disabled():
        kinds = set(Role.objects.filter(studio=studio).values_list("kind", flat=True))
        owner = StaffMember.objects.get(studio=studio)
        assert AuditLog.objects.filter(studio=studio, action="studio.created").exists()
    assert kinds == {RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.FRONT_DESK, RoleKind.TEACHER}
    assert owner.role.kind == RoleKind.OWNER and owner.user.email == "maude@example.test"
    assert client.get(response["Location"]).status_code == 200


def test_signup_errors_are_shown_and_nothing_is_saved(client, studio):
    response = client.post(reverse("signup"), {**SIGNUP, "password": "123", "slug": studio.slug})
    assert response.status_code == 200
    form = response.context["form"]
    assert "password" in form.errors and "slug" in form.errors
    assert not User.objects.filter(email="maude@example.test").exists()
    assert Studio.objects.count() == 1


def test_signup_refuses_reserved_web_addresses(client, db):
    response = client.post(reverse("signup"), {**SIGNUP, "slug": "admin"})
    assert "slug" in response.context["form"].errors


def test_staff_login_and_logout(client, owner, password, studio):
    response = client.post(reverse("login"), {"username": owner.user.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # one studio → straight to its dashboard
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug})).status_code == 302


def test_login_is_throttled_per_account_before_hashing(client, owner, password, settings, monkeypatch):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": owner.user.email, "password": "wrong"})

    def must_not_hash(*args, **kwargs):
        raise AssertionError("a locked-out attempt must not reach password hashing")

    monkeypatch.setattr("django.contrib.auth.hashers.MD5PasswordHasher.verify", must_not_hash)
    response = client.post(reverse("login"), {"username": owner.user.email, "password": password},
                           REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_login_is_throttled_per_address(client, db, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": f"nobody{i}@example.test", "password": "x"},
                    REMOTE_ADDR="10.1.1.1")
    victim = UserFactory()
    response = client.post(reverse("login"), {"username": victim.email, "password": "x"}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429


def test_password_reset_by_email(client, owner):
    client.post(reverse("password_reset"), {"email": owner.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/reset/[^\s]+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Brand-new-pass-77",
                                                              "new_password2": "Brand-new-pass-77"})
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password("Brand-new-pass-77")


def test_language_switch_is_remembered_on_the_account(owner_client, owner, studio):
    owner_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    owner.user.refresh_from_db()
    assert owner.user.language == "fr"
    page = owner_client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug}))
    assert "Bienvenue" in page.content.decode()


def test_invitation_round_trip_for_a_new_person(owner_client, studio, other_studio, client,
                                               django_capture_on_commit_callbacks):
    with scopes_disabled():
        teacher_role = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("staff-invite", kwargs={"studio_slug": studio.slug}),
                                     {"email": "Ana@Example.test", "role": teacher_role.pk})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    path = re.search(r"https?://[^/]+(/\S+/invite/\S+/)", mail.outbox[0].body).group(1)

    owner_client.post(reverse("logout"))
    signup = {"first_name": "Ana", "last_name": "Souza", "email": "ana@example.test",
              "password": "Teach-yoga-every-day-9"}
    response = client.post(path, signup)
    assert response.status_code == 302
    with scopes_disabled():
        member = StaffMember.objects.get(studio=studio, user__email="ana@example.test")
    assert member.role == teacher_role
    assert client.get(path).status_code == 410  # used once


def test_invitation_cannot_grant_owner_unless_owner(login, studio, staff_factory):
    admin = staff_factory(RoleKind.ADMIN)
    with scopes_disabled():
        owner_role = Role.objects.get(studio=studio, kind=RoleKind.OWNER)
    response = login(admin.user).post(reverse("staff-invite", kwargs={"studio_slug": studio.slug}),
                                      {"email": "x@example.test", "role": owner_role.pk})
    assert response.status_code == 200 and "role" in response.context["form"].errors


def test_custom_role_by_ticking_permissions(owner_client, studio):
    response = owner_client.post(reverse("role-create", kwargs={"studio_slug": studio.slug}),
                                 {"name": "Studio lead", "permissions": ["view_clients", "manage_schedule"]})
    assert response.status_code == 302
    with scopes_disabled():
        role = Role.objects.get(studio=studio, name="Studio lead")
    assert sorted(role.permissions) == ["manage_schedule", "view_clients"]


def test_studio_keeps_its_last_owner(owner_client, owner, studio):
    with scopes_disabled():
        teacher = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    response = owner_client.post(reverse("staff-edit", kwargs={"studio_slug": studio.slug, "pk": owner.pk}),
                                 {"display_name": "Me", "role": teacher.pk, "is_active": "on"})
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role.kind == RoleKind.OWNER and owner.display_name != "Me"
