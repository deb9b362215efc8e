from .audit import AuditLog
from .clients import Client, FamilyLink
from .staff import Invitation, Role, StaffMember
from .studios import Location, Room, Studio
from .users import User

__all__ = [
    "AuditLog", "Client", "FamilyLink", "Invitation", "Location", "Role", "Room", "StaffMember",
    "Studio", "User",
]
