"""The tenant middleware's lookup (studio/middleware.py `tenant_resolve`): the studio, the signed-in
person's staff membership and client record (one query for staff), asked afresh on every request, so a
removed member, a changed role or an archived client counts on the very next request — and
another studio's membership or record is never what a page sees."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from studio.middleware import tenant_resolve
from studio.models import StaffMember
from studio.permissions import Perm, RoleKind
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _resolve(slug, user, *, queries: int):
    with CaptureQueriesContext(connection) as ctx:
        tenant = tenant_resolve(slug=slug, user_id=user.pk if user else None)
    assert len(ctx.captured_queries) == queries, [q["sql"][:100] for q in ctx.captured_queries]
    return tenant


def test_staff_member_studio_and_role_in_one_query(studio, other_studio, owner):
    tenant = _resolve(studio.slug, owner.user, queries=1)
    assert (tenant.studio.pk, tenant.staff.pk, tenant.client_profile) == (studio.pk, owner.pk, None)
    assert tenant.staff.studio is tenant.studio  # one object: the page reads one studio
    with CaptureQueriesContext(connection) as ctx:
        assert tenant.staff.role.kind == RoleKind.OWNER and tenant.staff.has_perm(Perm.VIEW_CLIENTS)
    assert not ctx.captured_queries  # the role came with the membership


def test_staff_member_who_is_also_a_client_here(studio, other_studio, owner):
    mine = ClientFactory(studio=studio, user=owner.user)
    ClientFactory(studio=other_studio, user=owner.user)  # their record in the other studio: never this one
    tenant = _resolve(studio.slug, owner.user, queries=2)
    assert (tenant.staff.pk, tenant.client_profile.pk) == (owner.pk, mine.pk)
    assert tenant.client_profile.studio_id == studio.pk


def test_client_with_studio_in_two_queries(studio, other_studio):
    user = UserFactory()
    ClientFactory(studio=other_studio, user=user)
    record = ClientFactory(studio=studio, user=user)
    tenant = _resolve(studio.slug, user, queries=2)  # no membership, then the record with its studio
    assert (tenant.studio.pk, tenant.staff, tenant.client_profile.pk) == (studio.pk, None, record.pk)


def test_another_studios_membership_and_record_are_not_seen(studio, other_studio, staff_factory):
    member = staff_factory(RoleKind.MANAGER, on=other_studio)
    ClientFactory(studio=other_studio, user=member.user)
    tenant = _resolve(studio.slug, member.user, queries=3)  # neither staff nor client here
    assert (tenant.studio.pk, tenant.staff, tenant.client_profile) == (studio.pk, None, None)


def test_anonymous_and_unknown_studio(studio, other_studio, owner):
    tenant = _resolve(studio.slug, None, queries=1)
    assert (tenant.studio.pk, tenant.staff, tenant.client_profile) == (studio.pk, None, None)
    assert _resolve("no-such-studio", None, queries=1) is None
    assert _resolve("no-such-studio", owner.user, queries=3) is None


def test_inactive_member_and_archived_client_are_not_resolved(studio, other_studio, staff_factory):
    member = staff_factory(RoleKind.MANAGER, is_active=False)
    ClientFactory(studio=studio, user=member.user, archived_at=timezone.now())
    tenant = _resolve(studio.slug, member.user, queries=3)
    assert (tenant.staff, tenant.client_profile) == (None, None)


def _profile(studio, client) -> str:
    return reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": client.pk})


def test_a_deactivated_member_is_refused_on_the_next_request(
    login, studio, other_studio, a_client, staff_factory
):
    member = staff_factory(RoleKind.MANAGER)
    http = login(member.user)
    assert http.get(_profile(studio, a_client)).status_code == 200
    with scopes_disabled():
        StaffMember.objects.filter(pk=member.pk).update(is_active=False)  # even past any signal
    assert http.get(_profile(studio, a_client)).status_code == 403


def test_a_removed_member_is_refused_on_the_next_request(
    login, studio, other_studio, a_client, staff_factory
):
    member = staff_factory(RoleKind.MANAGER)
    http = login(member.user)
    assert http.get(_profile(studio, a_client)).status_code == 200
    with scopes_disabled():
        StaffMember.objects.filter(pk=member.pk).delete()
    assert http.get(_profile(studio, a_client)).status_code == 403


def test_a_changed_role_counts_on_the_next_request(login, studio, other_studio, a_client, staff_factory):
    from tests.factories import role_of

    member = staff_factory(RoleKind.MANAGER)
    http = login(member.user)
    assert http.get(_profile(studio, a_client)).status_code == 200
    role = role_of(studio, RoleKind.MANAGER)
    with scopes_disabled():
        role.permissions = [p for p in role.permissions if p != Perm.VIEW_CLIENTS]
        role.save(update_fields=["permissions"])
    assert http.get(_profile(studio, a_client)).status_code == 403
    with scopes_disabled():
        member.role = role_of(studio, RoleKind.OWNER)
        member.save(update_fields=["role"])
    assert http.get(_profile(studio, a_client)).status_code == 200


def test_an_archived_client_is_signed_out_of_the_account_pages(client, studio, other_studio):
    user = UserFactory()
    record = ClientFactory(studio=studio, user=user)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    home = reverse("account-home", kwargs={"studio_slug": studio.slug})
    assert client.get(home).status_code == 200
    with scopes_disabled():
        record.archived_at = timezone.now()
        record.save(update_fields=["archived_at"])
    response = client.get(home)
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_another_studios_staff_is_refused_here(login, studio, other_studio, a_client, staff_factory):
    member = staff_factory(RoleKind.OWNER, on=other_studio)
    assert login(member.user).get(_profile(studio, a_client)).status_code == 403
