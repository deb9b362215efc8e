"""Checks an app runs before a client's home location changes (e.g. saved cards on another
payment account stop being usable, SPM-4): the staff confirm with the warnings in front of them."""

from __future__ import annotations

from collections.abc import Callable

_HOME_CHANGE_CHECKS: list[Callable] = []


def register_home_change_check(check: Callable) -> Callable:
    """`(client, new_location) -> list[str]`: warnings to confirm before the change is saved."""
    _HOME_CHANGE_CHECKS.append(check)
    return check


def home_change_warnings(*, client, new_location) -> list[str]:
    """Every registered check's warnings, in registration order (empty: nothing to confirm)."""
    return [warning for check in _HOME_CHANGE_CHECKS for warning in check(client, new_location)]


# After the change is saved: apps that must act on it (e.g. memberships emails a link to add a
# payment method where the renewals now go) listen here, so the core imports none of them.
_HOME_CHANGED_LISTENERS: list[Callable] = []


def register_home_changed(listener: Callable) -> Callable:
    """`(client, old_location_id) -> None`, called inside the saving transaction once a client's
    home location has changed; a listener only enqueues a task (which runs after commit)."""
    if listener not in _HOME_CHANGED_LISTENERS:
        _HOME_CHANGED_LISTENERS.append(listener)
    return listener


def home_changed(*, client, old_location_id) -> None:
    """Tell every listener that `client`'s home location changed from `old_location_id`."""
    for listener in _HOME_CHANGED_LISTENERS:
        listener(client, old_location_id)
