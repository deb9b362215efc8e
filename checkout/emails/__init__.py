"""Checkout's mail templates (studio.notifications): each module registers its own on import."""

from . import receipts  # noqa: F401
