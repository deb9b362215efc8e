"""Writes for the tenancy core: studios, locations, rooms, roles, staff, clients, audit.

Every service is keyword-only, owns its transaction, and records an audit entry where
CORE-6 asks for one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from studio.models import (
    AuditLog,
    Client,
    FamilyLink,
    Invitation,
    Location,
    Role,
    Room,
    StaffMember,
    Studio,
    User,
)
from studio.permissions import BUILT_IN_DEFAULTS, RoleKind
from studio.registries.home_change import home_changed

INVITATION_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log."""

    user: User | None
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        from studio.access import client_ip_address

        user = request.user if request.user.is_authenticated else None
        # The same address the sign-in throttle sees (behind a proxy: its trusted header).
        return cls(user=user, ip_address=client_ip_address(request))


SYSTEM = Actor(user=None)


def audit_record(
    *, studio: Studio, actor: Actor, action: str, obj: Any = None, changes: dict | None = None
) -> AuditLog:
    """Append one audit entry (CORE-6)."""
    return AuditLog.objects.create(
        studio=studio,
        actor=actor.user,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        ip_address=actor.ip_address,
    )


def field_changes(instance, fields: list[str], before: dict) -> dict:
    """{field: {"from": old, "to": new}} for the fields that changed since `before` (a `snapshot`).

    Values are stored as data (a related record by its id), never as text in someone's
    language: the audit log renders them in the reader's (studio.registries.audit).
    """
    out = {}
    for name in fields:
        old, new = before.get(name), getattr(instance, name)
        if old != new:
            out[name] = change(_jsonable(old), _jsonable(new))
    return out


def change(old, new) -> dict:
    """One audited change of a value."""
    return {"from": old, "to": new}


def _jsonable(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def snapshot(instance, fields: list[str]) -> dict:
    return {name: getattr(instance, name) for name in fields}


# --- studios --------------------------------------------------------------------------------


def studio_create(
    *,
    name: str,
    slug: str,
    owner: User,
    currency: str = "CAD",
    country: str = "CA",
    time_zone: str = "America/Toronto",
    language: str = "fr",
) -> Studio:
    """Create a studio with its built-in roles and make `owner` its Owner."""
    with transaction.atomic():
        studio = Studio(
            name=name, slug=slug, currency=currency, country=country, time_zone=time_zone, language=language
        )
        studio.full_clean()
        studio.save()
        with scope(studio=studio):
            roles = {
                kind: Role.objects.create(
                    studio=studio,
                    kind=kind,
                    name=str(RoleKind(kind).label),
                    permissions=list(BUILT_IN_DEFAULTS.get(kind, [])),
                )
                for kind in (
                    RoleKind.OWNER,
                    RoleKind.ADMIN,
                    RoleKind.MANAGER,
                    RoleKind.FRONT_DESK,
                    RoleKind.TEACHER,
                )
            }
            StaffMember.objects.create(
                studio=studio, user=owner, role=roles[RoleKind.OWNER], display_name=owner.full_name
            )
            audit_record(studio=studio, actor=Actor(user=owner), action="studio.created", obj=studio)
    return studio


def owner_signup(
    *,
    full_name: str,
    email: str,
    password: str,
    studio_name: str,
    slug: str,
    currency: str,
    time_zone: str,
    language: str,
) -> tuple[User, Studio]:
    """A new studio owner signs up: their login and their studio, together or not at all."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, language=language
        )
        studio = studio_create(
            name=studio_name, slug=slug, owner=user, currency=currency, time_zone=time_zone, language=language
        )
    return user, studio


STUDIO_SETTINGS_FIELDS = [
    "name",
    "currency",
    "country",
    "time_zone",
    "language",
    "bio",
    "require_home_location",
    "late_cancel_window_minutes",
]
BRANDING_FIELDS = ["logo", "brand_primary", "brand_accent", "brand_font", "checkout_text"]


def studio_update(*, studio: Studio, actor: Actor, data: dict, fields: list[str]) -> Studio:
    """Save settings or branding; the form has validated `data`."""
    before = snapshot(studio, fields)
    for name in fields:
        if name in data:
            setattr(studio, name, data[name])
    with transaction.atomic():
        studio.save()
        changes = field_changes(studio, fields, before)
        if changes:
            audit_record(
                studio=studio, actor=actor, action="studio.settings_changed", obj=studio, changes=changes
            )
    return studio


# --- locations and rooms --------------------------------------------------------------------

LOCATION_FIELDS = [
    "name",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "time_zone",
    "is_home_location",
]


def location_save(*, studio: Studio, actor: Actor, location: Location) -> Location:
    """Create or update a location (the form has validated it)."""
    creating = location.pk is None
    before = {} if creating else snapshot(Location.objects.get(pk=location.pk), LOCATION_FIELDS)
    location.studio = studio
    with transaction.atomic():
        location.save()
        audit_record(
            studio=studio,
            actor=actor,
            action="location.created" if creating else "location.changed",
            obj=location,
            changes=field_changes(location, LOCATION_FIELDS, before) if not creating else {},
        )
    return location


def location_archive(*, studio: Studio, actor: Actor, location: Location, archived: bool = True) -> Location:
    """Archive (or restore) a location. History keeps pointing at it; it leaves every picker."""
    with transaction.atomic():
        location.archived_at = timezone.now() if archived else None
        location.save(update_fields=["archived_at"])
        if archived:
            Room.objects.filter(studio=studio, location=location, archived_at__isnull=True).update(
                archived_at=location.archived_at
            )
        audit_record(
            studio=studio,
            actor=actor,
            action="location.archived" if archived else "location.restored",
            obj=location,
        )
    return location


def room_save(*, studio: Studio, actor: Actor, room: Room) -> Room:
    creating = room.pk is None
    if room.location.studio_id != studio.id:
        raise ValidationError({"location": _("Choose one of this studio's locations.")})
    room.studio = studio
    with transaction.atomic():
        room.save()
        audit_record(
            studio=studio, actor=actor, action="room.created" if creating else "room.changed", obj=room
        )
    return room


def room_archive(*, studio: Studio, actor: Actor, room: Room, archived: bool = True) -> Room:
    with transaction.atomic():
        room.archived_at = timezone.now() if archived else None
        room.save(update_fields=["archived_at"])
        audit_record(
            studio=studio, actor=actor, action="room.archived" if archived else "room.restored", obj=room
        )
    return room


# --- roles and staff ------------------------------------------------------------------------


def role_save(*, studio: Studio, actor: Actor, role: Role) -> Role:
    """Create or edit a custom role, or change a built-in role's permissions."""
    creating = role.pk is None
    before = [] if creating else list(Role.objects.get(pk=role.pk).permissions)
    role.studio = studio
    if role.is_all_powerful:
        raise ValidationError(_("Owner and Admin always hold every permission."))
    with transaction.atomic():
        role.save()
        audit_record(
            studio=studio,
            actor=actor,
            action="role.created" if creating else "role.changed",
            obj=role,
            changes={"permissions": change(sorted(before), sorted(role.permissions))},
        )
    return role


def staff_set_role(*, studio: Studio, actor: Actor, member: StaffMember, role: Role) -> StaffMember:
    """Give a staff member another role. The studio never loses its last Owner."""
    with transaction.atomic():
        # Lock the owners so two concurrent demotions cannot both pass the check.
        owners = list(
            StaffMember.objects.select_for_update().filter(
                studio=studio, role__kind=RoleKind.OWNER, is_active=True
            )
        )
        if member.role.kind == RoleKind.OWNER and role.kind != RoleKind.OWNER and len(owners) <= 1:
            raise ValidationError(_("The studio must keep at least one owner."))
        old = member.role
        member.role = role
        member.save(update_fields=["role"])
        audit_record(
            studio=studio,
            actor=actor,
            action="staff.role_changed",
            obj=member,
            changes={"role": change(old.pk, role.pk)},
        )
    return member


def staff_set_active(*, studio: Studio, actor: Actor, member: StaffMember, active: bool) -> StaffMember:
    with transaction.atomic():
        if not active and member.role.kind == RoleKind.OWNER:
            others = StaffMember.objects.filter(
                studio=studio, role__kind=RoleKind.OWNER, is_active=True
            ).exclude(pk=member.pk)
            if not others.exists():
                raise ValidationError(_("The studio must keep at least one owner."))
        member.is_active = active
        member.save(update_fields=["is_active"])
        audit_record(
            studio=studio,
            actor=actor,
            action="staff.activated" if active else "staff.deactivated",
            obj=member,
        )
    return member


def staff_update(
    *, studio: Studio, actor: Actor, member: StaffMember, display_name: str, role: Role, active: bool
) -> StaffMember:
    """Edit a staff member from the staff page: name, role and active flag, each rule checked."""
    with transaction.atomic():
        if member.display_name != display_name:
            old_name = member.display_name
            member.display_name = display_name
            member.save(update_fields=["display_name"])
            audit_record(
                studio=studio,
                actor=actor,
                action="staff.renamed",
                obj=member,
                changes={"display_name": change(old_name, display_name)},
            )
        if role.pk != member.role_id:
            staff_set_role(studio=studio, actor=actor, member=member, role=role)
        if active != member.is_active:
            staff_set_active(studio=studio, actor=actor, member=member, active=active)
    return member


def staff_invite(*, studio: Studio, actor: Actor, email: str, role: Role) -> Invitation:
    """Invite a person to the staff and email the link (after commit).

    A person has at most one open invitation (a constraint): inviting the same email again
    refreshes that invitation — new role, new link, new validity — and sends it again.
    """
    email = email.strip().lower()
    if StaffMember.objects.filter(studio=studio, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already on your staff.")})
    try:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update()
                .filter(studio=studio, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
                .first()
            )
            if invitation is None:
                invitation = Invitation.objects.create(
                    studio=studio,
                    email=email,
                    role=role,
                    token=secrets.token_urlsafe(32),
                    invited_by=actor.user,
                    expires_at=timezone.now() + INVITATION_VALIDITY,
                )
                action = "staff.invited"
            else:
                invitation.role = role
                _invitation_refresh(invitation, actor=actor)
                action = "staff.invitation_resent"
            audit_record(
                studio=studio,
                actor=actor,
                action=action,
                obj=invitation,
                changes={"email": email, "role": role.pk},
            )
            _send_invitation(invitation)
    except IntegrityError as exc:
        # Two invitations to one email at the same instant: the other one won.
        raise ValidationError({"email": _("An invitation to this email was just sent.")}) from exc
    return invitation


def _invitation_refresh(invitation: Invitation, *, actor: Actor) -> None:
    # A new token: the link in any earlier email stops working, so only the latest email counts.
    invitation.token = secrets.token_urlsafe(32)
    invitation.expires_at = timezone.now() + INVITATION_VALIDITY
    if actor.user is not None:
        invitation.invited_by = actor.user
    invitation.save(update_fields=["role", "token", "expires_at", "invited_by"])


def invitation_resend(*, studio: Studio, actor: Actor, invitation: Invitation) -> Invitation:
    """Send an open invitation again, with a new link valid for another week."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(studio=studio, pk=invitation.pk)
        if not invitation.is_open:
            raise ValidationError(_("This invitation was already accepted or revoked."))
        _invitation_refresh(invitation, actor=actor)
        audit_record(
            studio=studio,
            actor=actor,
            action="staff.invitation_resent",
            obj=invitation,
            changes={"email": invitation.email, "role": invitation.role_id},
        )
        _send_invitation(invitation)
    return invitation


def invitation_revoke(*, studio: Studio, actor: Actor, invitation: Invitation) -> Invitation:
    """Withdraw an open invitation: its link stops working at once."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(studio=studio, pk=invitation.pk)
        if not invitation.is_open:
            raise ValidationError(_("This invitation was already accepted or revoked."))
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="staff.invitation_revoked",
            obj=invitation,
            changes={"email": invitation.email},
        )
    return invitation


def invitation_url(invitation: Invitation) -> str:
    path = reverse(
        "invitation-accept", kwargs={"studio_slug": invitation.studio.slug, "token": invitation.token}
    )
    return settings.SITE_URL.rstrip("/") + path


def _send_invitation(invitation: Invitation) -> None:
    """Record the invitation email in the invitation's transaction; the worker sends it after commit.

    The invitee has no account yet: they are written to in the studio's language.
    """
    from studio.notifications.services import Addressee, notification_send

    studio = invitation.studio
    notification_send(
        studio=studio,
        recipient=Addressee(email=invitation.email, language=studio.language),
        template="studio/invitation",
        context={"invitation": invitation, "url": invitation_url(invitation)},
    )


def invitation_accept(*, studio: Studio, invitation: Invitation, user: User) -> StaffMember:
    """The invited person (signed in) joins the staff with the invited role."""
    with transaction.atomic():
        return _invitation_accept_locked(studio=studio, invitation=invitation, user=user)


def invitation_accept_with_signup(
    *, studio: Studio, invitation: Invitation, email: str, password: str, full_name: str, language: str
) -> tuple[User, StaffMember]:
    """A new person creates their login and joins the staff, in one transaction.

    If the invitation lapsed or was revoked meanwhile, nothing is created: no login without a
    studio is ever left behind.
    """
    with transaction.atomic():
        user = User.objects.create_user(
            email=email.strip().lower(), password=password, full_name=full_name, language=language
        )
        member = _invitation_accept_locked(studio=studio, invitation=invitation, user=user)
    return user, member


def _invitation_accept_locked(*, studio: Studio, invitation: Invitation, user: User) -> StaffMember:
    invitation = Invitation.objects.select_for_update().get(studio=studio, pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(_("This invitation has expired or was already used."))
    member = StaffMember.objects.filter(studio=studio, user=user).first()
    if member is None:
        member = StaffMember.objects.create(
            studio=studio, user=user, role=invitation.role, display_name=user.full_name
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(studio=studio, actor=Actor(user=user), action="staff.joined", obj=member)
    return member


# --- clients --------------------------------------------------------------------------------

CLIENT_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "notes",
    "language",
    "home_location",
]


def client_save(*, studio: Studio, actor: Actor, client: Client) -> Client:
    """Create or update a client; the form has validated the fields."""
    creating = client.pk is None
    before = {} if creating else snapshot(Client.objects.get(pk=client.pk), CLIENT_FIELDS)
    client.studio = studio
    if client.home_location_id and client.home_location.studio_id != studio.id:
        raise ValidationError({"home_location": _("Choose one of this studio's locations.")})
    with transaction.atomic():
        client.save()
        changes = {} if creating else field_changes(client, CLIENT_FIELDS, before)
        # Notes and contact details are not audited one by one; the home location is (payments).
        if creating or "home_location" in changes:
            audit_record(
                studio=studio,
                actor=actor,
                action="client.created" if creating else "client.changed",
                obj=client,
                changes=changes,
            )
        if not creating and "home_location" in changes:
            home_changed(client=client, old_location_id=changes["home_location"]["from"])
    return client


def family_link_add(
    *,
    studio: Studio,
    actor: Actor,
    guardian: Client,
    dependant: Client,
    relationship: str = FamilyLink.Relationship.PARENT,
) -> FamilyLink:
    if guardian.pk == dependant.pk:
        raise ValidationError(_("A client cannot be their own guardian."))
    if FamilyLink.objects.filter(studio=studio, guardian=dependant, dependant=guardian).exists():
        raise ValidationError(
            _("%(name)s is already this client's guardian.") % {"name": dependant.full_name}
        )
    try:
        with transaction.atomic():
            link = FamilyLink.objects.create(
                studio=studio, guardian=guardian, dependant=dependant, relationship=relationship
            )
            audit_record(
                studio=studio,
                actor=actor,
                action="family.linked",
                obj=dependant,
                changes={"guardian": guardian.full_name},
            )
    except IntegrityError as exc:
        raise ValidationError(_("These clients are already linked.")) from exc
    return link


def family_link_remove(*, studio: Studio, actor: Actor, link: FamilyLink) -> None:
    with transaction.atomic():
        audit_record(
            studio=studio,
            actor=actor,
            action="family.unlinked",
            obj=link.dependant,
            changes={"guardian": link.guardian.full_name},
        )
        link.delete()


def client_register(
    *,
    studio: Studio,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    home_location: Location | None,
    language: str,
) -> Client:
    """A client creates their account on the studio's hosted pages (CORE-5).

    One login works across studios: an existing Atelier user must sign in instead (the view
    says so); a new one gets a User and a Client profile in this studio.
    """
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, full_name=f"{first_name} {last_name}", language=language
        )
        existing = Client.objects.filter(studio=studio, user__isnull=True, email__iexact=email).first()
        client = existing or Client(studio=studio, first_name=first_name, last_name=last_name, email=email)
        client.user = user
        client.language = language
        if home_location is not None:
            client.home_location = home_location
        client.save()
        audit_record(studio=studio, actor=Actor(user=user), action="client.signed_up", obj=client)
    return client


def client_profile_attach(*, studio: Studio, user: User) -> Client:
    """An existing Atelier login signs in on a studio where they have no profile yet.

    Links a profile staff created earlier with the same email, or creates one.
    """
    with transaction.atomic():
        client = (
            Client.objects.select_for_update()
            .filter(studio=studio, user__isnull=True, email__iexact=user.email)
            .first()
        )
        if client is None:
            first, _sep, last = user.full_name.partition(" ")
            client = Client(
                studio=studio,
                first_name=first or user.email,
                last_name=last,
                email=user.email,
                language=user.language or studio.language,
            )
        client.user = user
        client.save()
        audit_record(studio=studio, actor=Actor(user=user), action="client.linked_login", obj=client)
    return client
