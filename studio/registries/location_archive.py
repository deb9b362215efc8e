"""What an app stops doing at a location once it is archived (e.g. scheduling's upcoming classes
there), so the archive confirmation states every consequence before the staff member confirms."""

from __future__ import annotations

from collections.abc import Callable

_ARCHIVE_CONSEQUENCES: list[Callable] = []


def register_location_archive_consequence(provider: Callable) -> Callable:
    """`(location) -> list[str]`: sentences, in the reader's language, shown before archiving."""
    _ARCHIVE_CONSEQUENCES.append(provider)
    return provider


def location_archive_consequences_from_apps(*, location) -> list[str]:
    """Every registered app's sentences for this location, in registration order."""
    return [line for provider in _ARCHIVE_CONSEQUENCES for line in provider(location)]
