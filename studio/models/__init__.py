# Models of studio's own packages (the mail outbox, stored documents) join the studio app here.
from studio.documents.models import StoredDocument
from studio.notifications.models import Message, PlatformMessage

from .audit import AuditLog
from .clients import Client, FamilyLink
from .staff import Invitation, Role, StaffMember
from .studios import Location, Room, Studio
from .users import User

__all__ = [
    "AuditLog",
    "Client",
    "FamilyLink",
    "Invitation",
    "Location",
    "Message",
    "PlatformMessage",
    "Role",
    "Room",
    "StaffMember",
    "StoredDocument",
    "Studio",
    "User",
]
