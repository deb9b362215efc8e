"""Owner sign-up, staff log-in and throttling, password reset, language switch, invitations."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from studio.models import AuditLog, Role, StaffMember, Studio, User
from studio.permissions import RoleKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "full_name": "Maude L",
    "email": "maude@example.test",
    "password": "a-Long-enough-pass-42",
    "studio_name": "Yoga Lumière",
    "slug": "",
    "currency": "CAD",
    "time_zone": "America/Toronto",
    "language": "en",
}


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


def test_a_wrong_password_says_so_without_claiming_the_email_is_case_sensitive(client, owner, password):
    wrong = client.post(reverse("login"), {"username": owner.user.email, "password": "not-it-at-all"})
    text = wrong.content.decode()
    assert wrong.status_code == 200 and "This email and password do not match" in text
    assert "case-sensitive" not in text and "case sensitive" not in text
    # ...and indeed the email is not: the same account in capitals signs in.
    assert (
        client.post(
            reverse("login"), {"username": owner.user.email.upper(), "password": password}
        ).status_code
        == 302
    )


def _sign_in(client, email, password, address):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def test_the_pair_account_address_is_locked_before_hashing_and_says_how_long(
    client, owner, password, settings, monkeypatch
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, owner.user.email, "wrong", "10.9.9.9")

    def must_not_hash(*args, **kwargs):
        raise AssertionError("a locked-out attempt must not reach password hashing")

    monkeypatch.setattr("django.contrib.auth.hashers.MD5PasswordHasher.verify", must_not_hash)
    response = _sign_in(client, owner.user.email, password, "10.9.9.9")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many attempts" in body and "Try again in 15 minutes." in body
    assert int(response["Retry-After"]) > 14 * 60
    assert "no-store" in response["Cache-Control"]


def test_a_success_on_another_account_does_not_clear_a_victims_failures(client, owner, password, settings):
    """7 wrong for the victim + 1 right on one's own account, three times: the victim is protected."""
    attacker = UserFactory(email="attacker@example.test")
    limit = settings.AXES_FAILURE_LIMIT
    refused = 0
    for _round in range(3):
        for _ in range(limit - 1):
            refused += _sign_in(client, owner.user.email, "wrong", "10.6.6.6").status_code == 429
        assert _sign_in(client, attacker.email, password, "10.6.6.6").status_code == 302
        client.post(reverse("logout"))
    assert refused > 0
    assert _sign_in(client, owner.user.email, password, "10.6.6.6").status_code == 429


def test_a_stranger_cannot_lock_an_account_out_from_elsewhere(client, owner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _sign_in(client, owner.user.email, "wrong", "10.6.6.6")
    assert _sign_in(client, owner.user.email, password, "10.7.7.7").status_code == 302


def test_a_success_clears_only_that_account_and_address(client, owner, password):
    from axes.models import AccessAttempt

    other = UserFactory(email="other@example.test")
    for address in ("10.1.0.1", "10.1.0.2"):
        for _ in range(2):
            _sign_in(client, owner.user.email, "wrong", address)
    _sign_in(client, other.email, "wrong", "10.1.0.1")
    assert _sign_in(client, owner.user.email, password, "10.1.0.1").status_code == 302
    left = set(AccessAttempt.objects.values_list("username", "ip_address"))
    assert left == {(owner.user.email, "10.1.0.2"), (other.email, "10.1.0.1")}


def test_the_account_alone_is_slowed_by_a_growing_delay_not_locked(client, owner, password, settings):
    import datetime as dt

    from axes.models import AccessAttempt
    from django.utils import timezone

    from studio.access import signin_wait

    settings.SIGNIN_ACCOUNT_SOFT_LIMIT = 6
    for address in ("10.2.0.1", "10.2.0.2", "10.2.0.3"):
        for _ in range(2):
            _sign_in(client, owner.user.email, "wrong", address)
    response = _sign_in(client, owner.user.email, password, "10.2.0.9")
    assert response.status_code == 429
    assert "Try again in 1 second." in response.content.decode()
    assert not AccessAttempt.objects.filter(ip_address="10.2.0.9").exists()  # waiting is always enough
    latest = max(AccessAttempt.objects.values_list("attempt_time", flat=True))
    email = owner.user.email
    assert signin_wait(username=email, ip_address=None, now=latest) == dt.timedelta(seconds=1)
    AccessAttempt.objects.filter(ip_address="10.2.0.3").update(failures_since_start=5)  # 3 more failures
    assert signin_wait(username=email, ip_address=None, now=latest) == dt.timedelta(seconds=8)
    AccessAttempt.objects.filter(ip_address="10.2.0.3").update(failures_since_start=500)
    assert signin_wait(username=email, ip_address=None, now=latest) == dt.timedelta(
        seconds=settings.SIGNIN_ACCOUNT_MAX_DELAY
    )
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - dt.timedelta(seconds=settings.SIGNIN_ACCOUNT_MAX_DELAY)
    )
    assert _sign_in(client, email, password, "10.2.0.9").status_code == 302


def test_one_address_trying_many_accounts_is_slowed(client, db, settings):
    settings.SIGNIN_ADDRESS_SOFT_LIMIT = 4
    for i in range(4):
        _sign_in(client, f"nobody{i}@example.test", "x", "10.1.1.1")
    victim = UserFactory()
    assert _sign_in(client, victim.email, "x", "10.1.1.1").status_code == 429
    assert (
        _sign_in(client, victim.email, "x", "10.1.1.2").status_code == 200
    )  # a wrong password, not throttled


def test_the_client_address_comes_from_the_configured_trusted_proxy_header(client, owner, password, settings):
    from django.test import RequestFactory

    from studio.access import client_ip_address

    factory = RequestFactory()
    forwarded = factory.get("/", REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip_address(forwarded) == "172.16.0.1"  # no header configured: the header is ignored
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip_address(forwarded) == "203.0.113.7"  # what our proxy appended, not the forgeable part
    settings.CLIENT_IP_PROXY_COUNT = 2
    assert client_ip_address(forwarded) == "6.6.6.6"
    settings.CLIENT_IP_PROXY_COUNT = 1
    assert (
        client_ip_address(factory.get("/", REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="nonsense"))
        == "172.16.0.1"
    )
    assert client_ip_address(factory.get("/", REMOTE_ADDR="172.16.0.1")) == "172.16.0.1"
    # Two visitors behind one proxy are two addresses: one's failures never lock the other.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": owner.user.email, "password": "wrong"},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    response = client.post(
        reverse("login"),
        {"username": owner.user.email, "password": password},
        REMOTE_ADDR="172.16.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert response.status_code == 302


def test_every_sign_in_form_is_throttled_the_same_way(client, studio, a_client, owner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("account-login", kwargs={"studio_slug": studio.slug}),
            {"username": owner.user.email, "password": "wrong"},
            REMOTE_ADDR="10.4.4.4",
        )
    assert _sign_in(client, owner.user.email, password, "10.4.4.4").status_code == 429


def test_password_reset_by_email(client, owner, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # mail is sent by the worker after commit
        client.post(reverse("password_reset"), {"email": owner.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/reset/[^\s]+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"},
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password("Brand-new-pass-77")


def test_after_a_password_reset_a_client_is_sent_to_their_studio_sign_in(
    client, studio, location, celery_eager, django_capture_on_commit_callbacks
):
    signup = client.post(
        reverse("account-signup", kwargs={"studio_slug": studio.slug}),
        {
            "first_name": "Cléo",
            "last_name": "D",
            "email": "cleo@example.test",
            "password": "Namaste-every-day-1",
            "home_location": location.pk,
            "language": "en",
        },
    )
    assert signup.status_code == 302
    client.logout()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "cleo@example.test"})
    link = re.search(r"https?://[^/]+(/reset/[^\s]+)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"},
        follow=True,
    )
    page = done.content.decode()
    assert reverse("account-login", kwargs={"studio_slug": studio.slug}) in page
    assert f'href="{reverse("login")}"' not in page  # not a staff member: no staff sign-in offered
    # Reloading the page later (no reset in this session) falls back to the staff sign-in only.
    again = client.get(reverse("password_reset_complete")).content.decode()
    assert f'href="{reverse("login")}"' in again


def test_language_switch_is_remembered_on_the_account(owner_client, owner, studio):
    owner_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    owner.user.refresh_from_db()
    assert owner.user.language == "fr"
    page = owner_client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug}))
    assert "Bienvenue" in page.content.decode()


def test_invitation_round_trip_for_a_new_person(
    owner_client, studio, other_studio, client, celery_eager, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        teacher_role = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("staff-invite", kwargs={"studio_slug": studio.slug}),
            {"email": "Ana@Example.test", "role": teacher_role.pk},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    path = re.search(r"https?://[^/]+(/\S+/invite/\S+/)", mail.outbox[0].body).group(1)

    owner_client.post(reverse("logout"))
    signup = {
        "first_name": "Ana",
        "last_name": "Souza",
        "email": "ana@example.test",
        "password": "Teach-yoga-every-day-9",
    }
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
    response = login(admin.user).post(
        reverse("staff-invite", kwargs={"studio_slug": studio.slug}),
        {"email": "x@example.test", "role": owner_role.pk},
    )
    assert response.status_code == 200 and "role" in response.context["form"].errors


def test_custom_role_by_ticking_permissions(owner_client, studio):
    response = owner_client.post(
        reverse("role-create", kwargs={"studio_slug": studio.slug}),
        {"name": "Studio lead", "permissions": ["view_clients", "manage_schedule"]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        role = Role.objects.get(studio=studio, name="Studio lead")
    assert sorted(role.permissions) == ["manage_schedule", "view_clients"]


def test_studio_keeps_its_last_owner(owner_client, owner, studio):
    with scopes_disabled():
        teacher = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    response = owner_client.post(
        reverse("staff-edit", kwargs={"studio_slug": studio.slug, "pk": owner.pk}),
        {"display_name": "Me", "role": teacher.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role.kind == RoleKind.OWNER and owner.display_name != "Me"


def _invite(owner_client, studio, email, role):
    return owner_client.post(
        reverse("staff-invite", kwargs={"studio_slug": studio.slug}), {"email": email, "role": role.pk}
    )


def test_inviting_one_email_twice_keeps_one_open_invitation_with_a_fresh_link(
    owner_client, studio, other_studio
):
    from studio.models import Invitation

    with scopes_disabled():
        teacher = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
        desk = Role.objects.get(studio=studio, kind=RoleKind.FRONT_DESK)
    assert _invite(owner_client, studio, "ana@example.test", teacher).status_code == 302
    with scopes_disabled():
        first_token = Invitation.objects.get(studio=studio).token
    again = _invite(owner_client, studio, "ANA@example.test", desk)
    assert again.status_code == 302
    # The person is told it was the same invitation sent again, not a second one.
    shown = [str(m) for m in get_messages(again.wsgi_request)]
    assert any("ana@example.test already had an invitation" in m and "no longer works" in m for m in shown), (
        shown
    )
    with scopes_disabled():
        invitation = Invitation.objects.get(studio=studio)  # still one row
    assert invitation.role == desk and invitation.token != first_token
    dead = owner_client.get(f"/{studio.slug}/invite/{first_token}/")
    assert dead.status_code == 404  # the old link is dead, and the page says why
    assert "a newer invitation email replaced it" in dead.content.decode()
    page = owner_client.get(reverse("staff-list", kwargs={"studio_slug": studio.slug})).content.decode()
    assert page.count("ana@example.test") == 1


def test_an_invitation_can_be_resent_and_revoked_after_confirmation(owner_client, studio, client):
    from studio.models import Invitation

    with scopes_disabled():
        teacher = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
    _invite(owner_client, studio, "ana@example.test", teacher)
    with scopes_disabled():
        invitation = Invitation.objects.get(studio=studio)
    kwargs = {"studio_slug": studio.slug, "pk": invitation.pk}
    confirm = owner_client.get(reverse("invitation-resend", kwargs=kwargs))
    assert confirm.status_code == 200 and "ana@example.test" in confirm.content.decode()
    with scopes_disabled():
        assert Invitation.objects.get(pk=invitation.pk).token == invitation.token  # a GET changes nothing
    assert owner_client.post(reverse("invitation-resend", kwargs=kwargs)).status_code == 302
    with scopes_disabled():
        resent = Invitation.objects.get(pk=invitation.pk)
    assert resent.token != invitation.token
    assert "stops working" in owner_client.get(reverse("invitation-revoke", kwargs=kwargs)).content.decode()
    assert owner_client.post(reverse("invitation-revoke", kwargs=kwargs)).status_code == 302
    with scopes_disabled():
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
        assert AuditLog.objects.filter(studio=studio, action="staff.invitation_revoked").exists()
    assert client.get(f"/{studio.slug}/invite/{resent.token}/").status_code == 410
    # Revoked, the email can be invited again.
    assert _invite(owner_client, studio, "ana@example.test", teacher).status_code == 302


def test_an_invitation_that_lapses_during_sign_up_leaves_no_login_behind(studio, client, owner):
    from studio import services
    from studio.models import Invitation

    with scopes_disabled():
        invitation = services.staff_invite(
            studio=studio,
            actor=services.Actor(user=owner.user),
            email="late@example.test",
            role=Role.objects.get(studio=studio, kind=RoleKind.TEACHER),
        )
    path = f"/{studio.slug}/invite/{invitation.token}/"
    assert client.get(path).status_code == 200
    real_is_usable = Invitation.is_usable
    calls = {"n": 0}

    def lapses_after_the_page_check(self):
        calls["n"] += 1
        # The view's first check passes; by the time the service looks, the invitation lapsed.
        return real_is_usable.fget(self) if calls["n"] == 1 else False

    users_before = User.objects.count()
    from unittest import mock

    with mock.patch.object(Invitation, "is_usable", property(lapses_after_the_page_check)):
        response = client.post(
            path,
            {
                "first_name": "Late",
                "last_name": "Comer",
                "email": "late@example.test",
                "password": "Teach-yoga-every-day-9",
            },
        )
    assert response.status_code == 410
    assert User.objects.count() == users_before
