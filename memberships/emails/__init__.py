"""Memberships' mail templates (studio.notifications): each module registers its own on import."""

from . import methods, renewals, sales  # noqa: F401
