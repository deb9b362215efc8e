"""The client profile's queries compiled once per process (studio/compiled_sql.py):
each returns exactly the rows its ORM queryset returns, for the active scope's studio only, and a
shape whose values do not all reach the SQL as named parameters is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from studio import compiled_sql
from studio.compiled_sql import compiled_rows
from studio.models import Client
from studio.registries import profile_panels
from tests.factories import ClientFactory
from tests.test_client_profile import fill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    compiled_sql.cache_clear()
    yield
    compiled_sql.cache_clear()


def _shapes():
    """Every query the profile reads through the cache: (key, build, extra values)."""
    from payments.panels import _methods_query, _payments_query, _refunds_credit_query
    from payments.selectors_invoices import _panel_query
    from scheduling.panels import bookings_query
    from studio.views.clients import _family_links

    now = timezone.now()
    return [
        ("family", _family_links, {}),
        ("bookings", bookings_query(upcoming=10, history=15, appointments=10), {"now": now}),
        (
            "bookings-later",
            bookings_query(upcoming=10, history=15, appointments=10),
            {"now": now + dt.timedelta(days=5)},
        ),
        ("methods", _methods_query, {}),
        ("payments", _payments_query(10), {}),
        ("refunds-credit", _refunds_credit_query(10), {}),
        ("invoices", _panel_query, {}),
    ]


def _invoices(studio, client, n: int) -> None:
    import secrets

    from payments.models import Invoice

    with scope(studio=studio):
        for number in range(1, n + 1):
            Invoice.objects.create(
                studio=studio,
                number=number,
                client=client,
                currency=studio.currency,
                subtotal=1000 * number,
                total=1000 * number,
                amount_paid=300,
                due_date=timezone.localdate() + dt.timedelta(days=number),
                token=secrets.token_urlsafe(32),
                link_expires_at=timezone.now() + dt.timedelta(days=40),
            )


def test_every_cached_query_reads_what_its_orm_queryset_reads(studio, other_studio, a_client):
    fill(studio, a_client, 12)
    other = ClientFactory(studio=studio)
    fill(studio, other, 2)
    _invoices(studio, a_client, 7)
    with scope(studio=studio):
        for key, build, values in _shapes():
            for client in (a_client, other, a_client):
                expected = list(build(studio_id=studio.pk, client_id=client.pk, **values))
                # The first call compiles; the next ones read the compiled SQL with their own values.
                assert compiled_rows(key, build, client_id=client.pk, **values) == expected, key
            assert expected, key  # the data fills every list


def test_the_profile_client_is_the_orm_client_with_every_panel_annotation(studio, a_client):
    fill(studio, a_client, 3)
    panels = profile_panels.profile_panels()
    with scope(studio=studio):
        expected = profile_panels.profile_client_queryset(
            panels=panels, queryset=Client.objects.select_related("home_location")
        ).get(pk=a_client.pk)
        for _ in range(2):
            client = profile_panels.profile_client(pk=a_client.pk, panels=panels)
            assert client is not None and client._state.adding is False
            assert {f.attname: getattr(client, f.attname) for f in Client._meta.concrete_fields} == {
                f.attname: getattr(expected, f.attname) for f in Client._meta.concrete_fields
            }
            assert client.home_location == expected.home_location and client.home_location.name
            annotations = list(profile_panels._panel_annotations(panels))
            assert len(annotations) >= 6, "the panels annotate the client"
            for name in annotations:
                assert getattr(client, name) == getattr(expected, name), name
        no_home = ClientFactory(studio=studio, home_location=None)
        client = profile_panels.profile_client(pk=no_home.pk, panels=panels)
        assert client.home_location_id is None and client.home_location is None
        assert profile_panels.profile_client(pk=10**12, panels=panels) is None


def test_the_studio_is_the_active_scopes_never_the_callers(studio, other_studio, a_client):
    from payments.panels import _payments_query

    fill(studio, a_client, 2)
    build = _payments_query(10)
    with scope(studio=studio):
        assert len(compiled_rows("payments", build, client_id=a_client.pk)) == 2
    # Another studio's scope, this studio's client id: the ORM's tenant filter holds in the SQL.
    with scope(studio=other_studio):
        assert compiled_rows("payments", build, client_id=a_client.pk) == []
        assert profile_panels.profile_client(pk=a_client.pk, panels=profile_panels.profile_panels()) is None
    with pytest.raises(ScopeError):
        compiled_rows("payments", build, client_id=a_client.pk)


def test_a_shape_whose_values_do_not_all_reach_the_sql_is_refused(studio, a_client):
    with scope(studio=studio), pytest.raises(ValueError, match="never reach the SQL"):
        compiled_rows(
            "ignores", lambda *, studio_id, client_id: Client.objects.values_list("id"), client_id=1
        )
    counter = iter(range(1, 100))

    def unnamed(*, studio_id, client_id):  # a value that changes on each build, and is not a slot
        return Client.objects.filter(pk=client_id, id__gt=next(counter)).values_list("id")

    with scope(studio=studio), pytest.raises(ValueError, match="not one of"):
        compiled_rows("unnamed", unnamed, client_id=1)


# --- Reads named by slug, and platform reads (the tenant middleware, the session and the user) ---


def _tenant_orm(slug, user):
    """What tenant_resolve's ORM querysets read, in the scope of the studio the slug names."""
    from django_scopes import scope as orm_scope

    from studio import middleware
    from studio.models import Studio

    by_slug = Studio.objects.filter(slug=slug).values("pk")[:1]
    with orm_scope(studio=by_slug):
        staff = list(middleware._staff_queryset(user_id=user.pk))
        client = list(middleware._client_queryset(user_id=user.pk))
    return staff, client, list(middleware._studio_queryset(slug=slug))


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_tenant_resolve_reads_what_its_orm_querysets_read(studio, other_studio, owner, staff_factory):
    from studio.middleware import tenant_resolve
    from studio.permissions import RoleKind
    from tests.factories import UserFactory

    both = staff_factory(RoleKind.MANAGER)  # staff here, and a client here and there
    ClientFactory(studio=studio, user=both.user)
    ClientFactory(studio=other_studio, user=both.user)
    elsewhere = staff_factory(RoleKind.OWNER, on=other_studio)  # staff of the other studio only
    a_client_user = UserFactory()
    ClientFactory(studio=studio, user=a_client_user)
    stranger = UserFactory()
    gone = staff_factory(RoleKind.MANAGER, is_active=False)  # a deactivated member, an archived record
    ClientFactory(studio=studio, user=gone.user, archived_at=timezone.now())
    people = (owner.user, both.user, elsewhere.user, a_client_user, stranger, gone.user, owner.user)
    for slug in (studio.slug, other_studio.slug, "no-such-studio"):
        for user in people:
            staff, client, studios = _tenant_orm(slug, user)
            tenant = tenant_resolve(slug=slug, user_id=user.pk)
            if not studios:
                assert tenant is None
                continue
            assert _fields(tenant.studio) == _fields(studios[0]), (slug, user)
            if staff:
                assert _fields(tenant.staff) == _fields(staff[0])
                assert _fields(tenant.staff.role) == _fields(staff[0].role)
                assert _fields(tenant.staff.studio) == _fields(staff[0].studio)
                assert tenant.staff.client_profile_id == staff[0].client_profile_id
                assert tenant.staff.role.permissions == staff[0].role.permissions  # the array, converted
                expected_client = staff[0].client_profile_id
                assert (tenant.client_profile.pk if tenant.client_profile else None) == expected_client
            else:
                assert tenant.staff is None
                assert (_fields(tenant.client_profile) if tenant.client_profile else None) == (
                    _fields(client[0]) if client else None
                )
            for row in (tenant.staff, tenant.client_profile):
                if row is not None:
                    assert row.studio_id == studios[0].pk  # never another studio's row
                    assert row._state.adding is False


def test_a_slug_read_reads_the_studio_its_slug_names_only(studio, other_studio):
    from studio.compiled_sql import compiled_rows_by_slug

    mine = ClientFactory(studio=studio, email="same@example.test")
    theirs = ClientFactory(studio=other_studio, email="same@example.test")

    def by_email(*, studio_slug, email):
        return Client.objects.filter(email=email).order_by("pk").values_list("pk", "studio_id")

    assert compiled_rows_by_slug("email", by_email, studio_slug=studio.slug, email="same@example.test") == [
        (mine.pk, studio.pk)
    ]
    assert compiled_rows_by_slug(
        "email", by_email, studio_slug=other_studio.slug, email="same@example.test"
    ) == [(theirs.pk, other_studio.pk)]
    assert (
        compiled_rows_by_slug("email", by_email, studio_slug="no-such-studio", email="same@example.test")
        == []
    )
    # The active scope does not matter: the slug names the studio, as it did for the ORM lookup.
    with scope(studio=other_studio):
        assert compiled_rows_by_slug(
            "email", by_email, studio_slug=studio.slug, email="same@example.test"
        ) == [(mine.pk, studio.pk)]
    with pytest.raises(TypeError):
        compiled_rows_by_slug(
            "email", by_email, studio_slug=studio.slug, email="x", studio_id=other_studio.pk
        )


def test_a_slug_read_whose_studio_is_folded_into_the_sql_is_refused(studio, other_studio):
    from studio.compiled_sql import compiled_rows_by_slug

    def pinned(*, studio_slug):  # a studio chosen by the code, not by the slug: no tenant guard
        with scope(studio=other_studio):
            return Client.objects.filter(archived_at__isnull=True).values_list("pk")

    with pytest.raises(ValueError, match="never reach the SQL"):
        compiled_rows_by_slug("pinned", pinned, studio_slug=studio.slug)


def test_a_joined_row_is_put_on_its_owner_as_select_related_leaves_it(studio, location, a_client):
    """`compiled_joined`: the related row, None (cached) when the join found nothing, and a refusal
    when the columns read are not the ones the owner names."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from studio.compiled_sql import compiled_joined, model_columns
    from studio.models import Client, Location

    def row_of(client, place):
        return [getattr(client, c) for c in model_columns(Client)] + [
            getattr(place, c) if place is not None else None for c in model_columns(Location)
        ]

    client = Client.from_db(
        "default", model_columns(Client), row_of(a_client, None)[: len(model_columns(Client))]
    )
    client.home_location_id = location.pk
    found, end = compiled_joined(
        client, "home_location", row_of(a_client, location), len(model_columns(Client))
    )
    assert found.pk == location.pk and end == len(model_columns(Client)) + len(model_columns(Location))
    with CaptureQueriesContext(connection) as ctx:
        assert client.home_location.name == location.name
    assert len(ctx.captured_queries) == 0
    client.home_location_id = None
    client._state.fields_cache.clear()
    assert (
        compiled_joined(client, "home_location", row_of(a_client, None), len(model_columns(Client)))[0]
        is None
    )
    with CaptureQueriesContext(connection) as ctx:
        assert client.home_location is None
    assert len(ctx.captured_queries) == 0
    client.home_location_id = location.pk + 1000
    with pytest.raises(RuntimeError, match="not where they were read"):
        compiled_joined(client, "home_location", row_of(a_client, location), len(model_columns(Client)))
