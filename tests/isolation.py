"""Objects to use for each tenant URL that takes ids: `CASES[url_name](studio) -> kwargs`.

The isolation matrix requests every such URL as studio B's staff with studio A's ids, and the
permission matrix requests it with the staff member's own studio's ids. An app adds its URLs
by providing `<app>/tests/isolation.py` with its own `CASES` dict; a URL with parameters and
no case fails the matrix, so nothing is forgotten.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from studio.models import Invitation
from studio.permissions import RoleKind
from tests.factories import (
    ClientFactory,
    FamilyLinkFactory,
    LocationFactory,
    RoomFactory,
    StaffFactory,
    owner_of,
    role_of,
)


def _location(studio):
    return {"pk": LocationFactory(studio=studio).pk}


def _room(studio):
    return {"pk": RoomFactory(location=LocationFactory(studio=studio)).pk}


def _staff(studio):
    return {"pk": StaffFactory(studio=studio, kind=RoleKind.TEACHER).pk}


def _custom_role(studio):
    from studio.models import Role

    with scopes_disabled():
        return {"pk": Role.objects.create(studio=studio, name=f"Custom {studio.slug}", permissions=[]).pk}


def _client(studio):
    return {"pk": ClientFactory(studio=studio).pk}


def _family_link(studio):
    link = FamilyLinkFactory(guardian=ClientFactory(studio=studio))
    return {"pk": link.guardian_id, "link_pk": link.pk}


_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)


def _invitation(studio):
    with scopes_disabled():
        invitation = Invitation.objects.create(
            studio=studio,
            email=f"new-{_next()}@{studio.slug}.test",
            role=role_of(studio, RoleKind.TEACHER),
            token=f"token-{studio.slug}-{_next()}",
            invited_by=owner_of(studio).user,
            expires_at=timezone.now() + timezone.timedelta(days=1),
        )
    return {"token": invitation.token}


def _invitation_pk(studio):
    with scopes_disabled():
        return {"pk": Invitation.objects.get(token=_invitation(studio)["token"], studio=studio).pk}


def _message(studio):
    from studio.models import Message

    with scopes_disabled():
        message = Message.objects.create(
            studio=studio,
            template="studio/invitation",
            to_email="x@example.test",
            language="en",
            subject="Hello",
        )
    return {"pk": message.pk}


def _document(studio):
    from studio.models import StoredDocument

    with scopes_disabled():
        document = StoredDocument.objects.create(
            studio=studio,
            title="Receipt",
            template="t",
            language="en",
            content=b"%PDF-1.7",
            size=8,
            permission="view_clients",
        )
    return {"pk": document.pk}


def _mail_override(studio):
    from studio.notifications.models import MailTemplateOverride

    with scopes_disabled():
        override, _created = MailTemplateOverride.objects.get_or_create(
            studio=studio,
            template="scheduling/booking_confirmed",
            language="en",
            defaults={"subject": "Booked: {class_name}", "body": "Hello {client_first_name}"},
        )
    return {"pk": override.pk}


CASES: dict[str, Callable] = {
    "location-detail": _location,
    "location-edit": _location,
    "location-archive": _location,
    "room-create": _location,
    "room-edit": _room,
    "room-archive": _room,
    "staff-edit": _staff,
    "role-edit": _custom_role,
    "client-detail": _client,
    "client-edit": _client,
    "client-family-add": _client,
    "client-family-remove": _family_link,
    "invitation-accept": _invitation,
    "message-detail": _message,
    "document-download": _document,
    "invitation-resend": _invitation_pk,
    "invitation-revoke": _invitation_pk,
    "mail-template-edit": _mail_override,
    "mail-template-reset": _mail_override,
}

for _app in settings.INSTALLED_APPS:
    if "." in _app or _app == "studio":
        continue
    try:
        _module = importlib.import_module(f"{_app}.tests.isolation")
    except ModuleNotFoundError:
        continue
    CASES.update(_module.CASES)
