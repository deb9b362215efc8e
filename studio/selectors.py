"""Reads for the tenancy core. Keyword-only, no side effects."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from studio.models import AuditLog, Client, Invitation, Location, Role, Room, StaffMember, Studio, User
from studio.registries.location_archive import location_archive_consequences_from_apps


def studio_by_slug(*, slug: str) -> Studio | None:
    return Studio.objects.filter(slug=slug).first()


def staff_member_for(*, studio: Studio, user: User) -> StaffMember | None:
    return StaffMember.objects.select_related("role").filter(studio=studio, user=user, is_active=True).first()


def client_profile_for(*, studio: Studio, user: User) -> Client | None:
    return Client.objects.filter(studio=studio, user=user, archived_at__isnull=True).first()


def studios_for_user(*, user: User) -> list[Studio]:
    """The studios a person works for. One of the few unscoped reads: it *is* the directory."""
    with scopes_disabled():
        ids = StaffMember.objects.filter(user=user, is_active=True).values_list("studio_id", flat=True)
        return list(Studio.objects.filter(id__in=list(ids)).order_by("name"))


def client_studios_for_user(*, user: User) -> list[Studio]:
    """The studios where a person is a client (signed up on their pages). Unscoped, like the above."""
    with scopes_disabled():
        ids = Client.objects.filter(user=user, archived_at__isnull=True).values_list("studio_id", flat=True)
        return list(Studio.objects.filter(id__in=list(ids)).order_by("name"))


def location_list(*, studio: Studio, include_archived: bool = False) -> QuerySet[Location]:
    qs = Location.objects.filter(studio=studio).annotate(
        room_count=Count("rooms", filter=Q(rooms__archived_at__isnull=True))
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("archived_at", "name")


def location_archive_consequences(*, studio: Studio, location: Location) -> list[str]:
    """What stops when this location is archived, in the reader's language, for the confirmation."""
    lines = [
        _(
            "It leaves every picker: no new classes, appointments or sales can be set up there, "
            "and clients can no longer choose it. Its history stays, and you can restore it."
        )
    ]
    rooms = Room.objects.filter(studio=studio, location=location, archived_at__isnull=True).count()
    if rooms:
        lines.append(
            ngettext("%(count)d room is archived with it.", "%(count)d rooms are archived with it.", rooms)
            % {"count": rooms}
        )
    clients = Client.objects.filter(studio=studio, home_location=location, archived_at__isnull=True).count()
    if clients:
        lines.append(
            ngettext(
                "%(count)d client has it as home location: they keep it until you choose another one for them.",
                "%(count)d clients have it as home location: they keep it until you choose another one for them.",
                clients,
            )
            % {"count": clients}
        )
    return lines + location_archive_consequences_from_apps(location=location)


def home_locations(*, studio: Studio) -> QuerySet[Location]:
    return Location.objects.filter(studio=studio, is_home_location=True, archived_at__isnull=True).order_by(
        "name"
    )


def client_list(
    *, studio: Studio, search: str = "", location_id: int | None = None, include_archived: bool = False
) -> QuerySet[Client]:
    qs = Client.objects.filter(studio=studio).select_related("home_location")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    for term in search.split():
        qs = qs.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
        )
    if location_id:
        qs = qs.filter(home_location_id=location_id)
    return qs.order_by("last_name", "first_name", "id")


def role_list(*, studio: Studio) -> QuerySet[Role]:
    return Role.objects.filter(studio=studio).annotate(member_count=Count("members")).order_by("id")


def staff_list(*, studio: Studio) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(studio=studio)
        .select_related("user", "role")
        .order_by("display_name", "id")
    )


def audit_log_list(
    *,
    studio: Studio,
    action: str = "",
    actor_id: int | None = None,
    object_type: str = "",
    date_from=None,
    date_to=None,
) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.filter(studio=studio).select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def audit_actions(*, studio: Studio) -> list[str]:
    return list(
        AuditLog.objects.filter(studio=studio).order_by("action").values_list("action", flat=True).distinct()
    )


def pending_invitations(*, studio: Studio) -> QuerySet[Invitation]:
    """Open invitations (neither accepted nor revoked), lapsed ones included so they can be resent."""
    return (
        Invitation.objects.filter(studio=studio, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("role")
        .order_by("-id")
    )
