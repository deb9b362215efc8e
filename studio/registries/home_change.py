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
