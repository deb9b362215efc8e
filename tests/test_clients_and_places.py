"""Settings, locations and rooms, clients and family links, audit log, dashboard checklist."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from studio.models import AuditLog, Client, FamilyLink, Location, Room, Studio
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "#1f6f5c").save(buffer, format="PNG")
    return buffer.getvalue()


def url(name, studio, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def test_settings_save_and_field_errors(owner_client, studio):
    data = {
        "name": "Alpha Yoga",
        "currency": "EUR",
        "country": "fr",
        "time_zone": "Europe/Paris",
        "language": "fr",
        "bio": "Hello",
        "late_cancel_window_minutes": "120",
    }
    assert owner_client.post(url("settings", studio), data).status_code == 302
    studio.refresh_from_db()
    assert (studio.name, studio.currency, studio.country, studio.time_zone) == (
        "Alpha Yoga",
        "EUR",
        "FR",
        "Europe/Paris",
    )
    bad = owner_client.post(
        url("settings", studio), {**data, "time_zone": "Mars/Olympus", "country": "France"}
    )
    assert bad.status_code == 200
    assert {"time_zone", "country"} <= set(bad.context["form"].errors)
    studio.refresh_from_db()
    assert studio.country == "FR"


def test_branding_logo_and_colours(owner_client, studio):
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    response = owner_client.post(
        url("settings-branding", studio),
        {
            "logo": logo,
            "brand_primary": "#112233",
            "brand_accent": "#445566",
            "brand_font": "serif",
            "checkout_text": "Merci!",
        },
    )
    assert response.status_code == 302
    studio.refresh_from_db()
    assert studio.logo and studio.brand_primary == "#112233"
    bad = owner_client.post(
        url("settings-branding", studio),
        {"brand_primary": "blue", "brand_accent": "#445566", "brand_font": "serif"},
    )
    assert "brand_primary" in bad.context["form"].errors
    assert Studio.objects.get(pk=studio.pk).brand_primary == "#112233"


def test_location_lifecycle_and_archive_not_delete(owner_client, studio, other_studio):
    data = {
        "name": "Plateau",
        "address_line": "1 rue X",
        "city": "Montréal",
        "region": "QC",
        "postal_code": "H2J",
        "country": "CA",
        "time_zone": "America/Toronto",
        "is_home_location": "on",
    }
    assert owner_client.post(url("location-create", studio), data).status_code == 302
    dup = owner_client.post(url("location-create", studio), {**data, "name": "plateau"})
    assert "name" in dup.context["form"].errors
    with scopes_disabled():
        location = Location.objects.get(studio=studio, name="Plateau")
    room = owner_client.post(
        url("room-create", studio, pk=location.pk), {"name": "Grande salle", "capacity": "20"}
    )
    assert room.status_code == 302
    owner_client.post(url("location-archive", studio, pk=location.pk), {"confirmed": "1"})
    location.refresh_from_db()
    assert location.archived_at is not None
    listing = owner_client.get(url("location-list", studio)).content.decode()
    assert "Plateau" not in listing and "Bravo HQ" not in listing
    assert "Plateau" in owner_client.get(url("location-list", studio) + "?archived=1").content.decode()
    with scopes_disabled():
        assert Room.objects.filter(location=location).count() == 1


def test_location_archive_asks_first_stating_what_stops(owner_client, studio, other_studio, location):
    with scope(studio=studio):
        Room.objects.create(studio=studio, location=location, name="Salle A", capacity=10)
        ClientFactory(studio=studio, home_location=location)
        ClientFactory(studio=studio, home_location=location)
    detail = owner_client.get(url("location-detail", studio, pk=location.pk)).content.decode()
    assert url("location-archive", studio, pk=location.pk) in detail
    # The page and an unconfirmed post both show the consequences and change nothing.
    for response in (
        owner_client.get(url("location-archive", studio, pk=location.pk)),
        owner_client.post(url("location-archive", studio, pk=location.pk)),
    ):
        assert response.status_code == 200
        text = response.content.decode()
        assert "no new classes, appointments or sales" in text
        assert "1 room is archived with it." in text
        assert "2 clients have it as home location" in text
        assert 'name="confirmed" value="1"' in text
        location.refresh_from_db()
        assert location.archived_at is None
    assert (
        owner_client.post(url("location-archive", studio, pk=location.pk), {"confirmed": "1"}).status_code
        == 302
    )
    location.refresh_from_db()
    assert location.archived_at is not None
    with scopes_disabled():
        assert not Room.objects.filter(location=location, archived_at__isnull=True).exists()
    # Restoring needs no confirmation.
    owner_client.post(url("location-archive", studio, pk=location.pk), {"restore": "1"})
    location.refresh_from_db()
    assert location.archived_at is None
    with scopes_disabled():
        other = Location.objects.get(studio=other_studio)
    assert owner_client.get(url("location-archive", studio, pk=other.pk)).status_code == 404
    assert (
        owner_client.post(url("location-archive", studio, pk=other.pk), {"confirmed": "1"}).status_code == 404
    )


def test_client_create_with_errors_then_saved(owner_client, studio, location):
    bad = owner_client.post(
        url("client-create", studio),
        {"first_name": "", "last_name": "T", "email": "nope", "phone": "12", "language": "fr"},
    )
    assert bad.status_code == 200
    assert {"first_name", "email", "phone"} <= set(bad.context["form"].errors)
    with scopes_disabled():
        assert not Client.objects.filter(studio=studio).exists()
    ok = owner_client.post(
        url("client-create", studio),
        {
            "first_name": "Léa",
            "last_name": "Roy",
            "email": "lea@example.test",
            "phone": "514 555 1234",
            "language": "fr",
            "home_location": location.pk,
        },
    )
    assert ok.status_code == 302
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action__startswith="client.").exists()


def test_home_location_required_when_the_studio_says_so(owner_client, studio, location):
    Studio.objects.filter(pk=studio.pk).update(require_home_location=True)
    response = owner_client.post(
        url("client-create", studio), {"first_name": "A", "last_name": "B", "language": "fr"}
    )
    assert "home_location" in response.context["form"].errors


def test_client_cannot_pick_another_studios_location(owner_client, studio, other_studio):
    with scopes_disabled():
        foreign = Location.objects.get(studio=other_studio)
    response = owner_client.post(
        url("client-create", studio),
        {"first_name": "A", "last_name": "B", "language": "fr", "home_location": foreign.pk},
    )
    assert "home_location" in response.context["form"].errors


def test_client_search_htmx_and_other_studio_never_listed(owner_client, studio, other_studio, location):
    ClientFactory(studio=studio, first_name="Zélie", last_name="Martin", home_location=location)
    ClientFactory(studio=studio, first_name="Paul", last_name="Durand")
    response = owner_client.get(url("client-list", studio), {"q": "zél"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Martin" in body and "Durand" not in body and "<html" not in body
    full = owner_client.get(url("client-list", studio)).content.decode()
    assert "Bravo" not in full


def test_client_list_query_count_does_not_grow_with_rows(owner_client, studio, location):
    ClientFactory(studio=studio, home_location=location)
    with CaptureQueriesContext(connection) as one:
        owner_client.get(url("client-list", studio))
    homes = [LocationFactory(studio=studio) for _ in range(5)]
    with scopes_disabled():
        Client.objects.bulk_create(
            [
                Client(studio=studio, first_name=f"F{n}", last_name=f"L{n}", home_location=homes[n % 5])
                for n in range(199)
            ]
        )
    with CaptureQueriesContext(connection) as many:
        owner_client.get(url("client-list", studio), {"page": 2})
    assert len(one) == len(many)


def test_audit_log_query_count_does_not_grow_with_rows(owner_client, owner, studio):
    from studio.services import Actor, audit_record

    with CaptureQueriesContext(connection) as one:
        owner_client.get(url("audit-log", studio))
    assert AuditLog.objects.with_scopes_disabled().filter(studio=studio).count() >= 1
    with scope(studio=studio):
        for n in range(199):
            audit_record(studio=studio, actor=Actor(user=owner.user), action=f"test.{n % 7}", obj=owner)
    with CaptureQueriesContext(connection) as many:
        owner_client.get(url("audit-log", studio))
    assert len(one) == len(many)


def test_audit_details_naming_related_records_read_each_record_once(owner_client, owner, studio, location):
    """Entries whose details name a role or a location (by id) do not cost a query each."""
    from studio.models import Role
    from studio.services import Actor, audit_record

    def page_queries(entries: int) -> int:
        with scope(studio=studio):
            AuditLog.objects.filter(studio=studio).count()  # the scope is usable
            roles = list(Role.objects.filter(studio=studio)[:2])
            for _ in range(entries):
                audit_record(
                    studio=studio,
                    actor=Actor(user=owner.user),
                    action="staff.role_changed",
                    obj=owner,
                    changes={"role": {"from": roles[0].pk, "to": roles[1].pk}},
                )
                audit_record(
                    studio=studio,
                    actor=Actor(user=owner.user),
                    action="room.created",
                    obj=location,
                    changes={"location": location.pk},
                )
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(url("audit-log", studio)).status_code == 200
        return len(queries)

    assert page_queries(1) == page_queries(20)


def test_family_links(owner_client, studio, a_client):
    child = ClientFactory(studio=studio, first_name="Léo")
    owner_client.post(
        url("client-family-add", studio, pk=a_client.pk), {"dependant": child.pk, "relationship": "parent"}
    )
    with scopes_disabled():
        link = FamilyLink.objects.get(guardian=a_client)
    assert link.dependant == child
    page = owner_client.get(url("client-detail", studio, pk=a_client.pk)).content.decode()
    assert "Léo" in page
    owner_client.post(
        url("client-family-add", studio, pk=a_client.pk), {"dependant": a_client.pk, "relationship": "parent"}
    )
    owner_client.post(url("client-family-remove", studio, pk=a_client.pk, link_pk=link.pk))
    with scopes_disabled():
        assert not FamilyLink.objects.filter(studio=studio).exists()


def test_audit_log_one_wrong_filter_is_explained_and_drops_only_itself(owner_client, studio, location):
    owner_client.post(url("location-archive", studio, pk=location.pk), {"confirmed": "1"})
    owner_client.post(
        url("location-create", studio), {"name": "Autre", "country": "CA", "time_zone": "America/Toronto"}
    )
    page = owner_client.get(
        url("audit-log", studio), {"action": "location.archived", "date_from": "9999-12-31"}
    )
    assert page.status_code == 200
    entries = list(page.context["page"].object_list)
    assert entries and all(e.action == "location.archived" for e in entries)  # the action filter held
    assert "form-errors" in page.content.decode()
    backwards = owner_client.get(
        url("audit-log", studio), {"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )
    assert "Choose an end date on or after the start date." in backwards.content.decode()
    assert "Anyone" in backwards.content.decode() and "---------" not in backwards.content.decode()


def test_audit_log_page_filters_and_is_append_only(owner_client, studio, other_studio, location):
    owner_client.post(url("location-archive", studio, pk=location.pk), {"confirmed": "1"})
    page = owner_client.get(url("audit-log", studio), {"action": "location.archived"})
    assert page.status_code == 200
    entries = list(page.context["page"].object_list)
    assert entries and all(e.action == "location.archived" for e in entries)
    with scopes_disabled():
        entry = AuditLog.objects.filter(studio=studio).first()
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE studio_auditlog SET action = 'forged' WHERE id = %s", [entry.pk])


def test_dashboard_checklist_turns_green(owner_client, studio):
    def step_done(key):
        steps = owner_client.get(url("dashboard", studio)).context["steps"]
        return next(s for s in steps if s.step.key == key).done

    assert not step_done("locations")
    LocationFactory(studio=studio)
    assert step_done("locations")
    keys = [s.step.key for s in owner_client.get(url("dashboard", studio)).context["steps"]]
    assert keys == ["stripe", "locations", "profile", "waivers", "policy", "staff", "classes", "memberships"]


@pytest.mark.parametrize("kind", ["teacher", "front_desk"])
def test_a_role_without_setup_steps_gets_its_pages_not_a_blank_dashboard(login, studio, staff_factory, kind):
    from studio.permissions import RoleKind

    member = staff_factory(getattr(RoleKind, kind.upper()))
    staff_client = login(member.user)
    response = staff_client.get(url("dashboard", studio))
    assert response.status_code == 200
    if response.context["steps"]:
        pytest.skip("this role has setup steps of its own")
    page = response.content.decode()
    assert "Your pages" in page
    links = re.findall(r'<ul class="links">(.*?)</ul>', page, re.S)[0]
    hrefs = re.findall(r'href="([^"]+)"', links)
    assert url("client-list", studio) in hrefs and url("dashboard", studio) not in hrefs
    for href in hrefs:  # every link it offers opens for this role
        assert staff_client.get(href).status_code == 200, href


def test_client_signup_and_account_on_hosted_pages(client, studio, other_studio, location):
    response = client.post(
        url("account-signup", studio),
        {
            "first_name": "Camille",
            "last_name": "T",
            "email": "camille@example.test",
            "password": "Namaste-every-day-1",
            "home_location": location.pk,
            "language": "fr",
        },
    )
    assert response.status_code == 302
    page = client.get(url("account-home", studio))
    assert page.status_code == 200 and "Camille" in page.content.decode()
    # The same login on another studio's pages is not that studio's client.
    assert client.get(url("account-home", other_studio)).status_code == 302
    with scope(studio=studio):
        assert Client.objects.get(email="camille@example.test").home_location == location


def test_existing_login_signs_in_on_a_second_studio(client, studio, other_studio, user_factory, password):
    user = user_factory()
    response = client.post(url("account-login", other_studio), {"username": user.email, "password": password})
    assert response.status_code == 302
    with scopes_disabled():
        assert Client.objects.filter(studio=other_studio, user=user).exists()
        assert not Client.objects.filter(studio=studio, user=user).exists()


def test_client_signup_requires_a_home_location_when_the_studio_says_so(client, studio, location):
    Studio.objects.filter(pk=studio.pk).update(require_home_location=True)
    response = client.post(
        url("account-signup", studio),
        {
            "first_name": "Léa",
            "last_name": "R",
            "email": "lea@example.test",
            "password": "Namaste-every-day-1",
            "language": "fr",
        },
    )
    assert response.status_code == 200 and "home_location" in response.context["form"].errors
    assert "Choose a location" in response.content.decode()


def test_client_signup_names_the_empty_home_location_choice(client, studio, location):
    page = client.get(url("account-signup", studio)).content.decode()
    assert "Not sure yet" in page and "---------" not in page
