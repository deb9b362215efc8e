"""Panels on the client profile page, contributed by apps.

An app registers a callable `(request, client) -> Section | None`; the profile renders each
section's template with its context. Keeps the studio app free of imports from later apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Section:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


_PROVIDERS: list[Callable] = []
_ACCOUNT_PROVIDERS: list[Callable] = []


def register(provider: Callable) -> Callable:
    """A panel on the staff-side client profile."""
    _PROVIDERS.append(provider)
    return provider


def register_account(provider: Callable) -> Callable:
    """A panel on the client's own account page (hosted pages)."""
    _ACCOUNT_PROVIDERS.append(provider)
    return provider


def _collect(providers: list[Callable], request, client) -> list[Section]:
    sections = [s for p in providers if (s := p(request, client)) is not None]
    return sorted(sections, key=lambda s: s.order)


def sections_for(*, request, client) -> list[Section]:
    return _collect(_PROVIDERS, request, client)


def account_sections_for(*, request, client) -> list[Section]:
    return _collect(_ACCOUNT_PROVIDERS, request, client)


_LOCATION_FACTS: list[Callable] = []


def register_location_fact(provider: Callable) -> Callable:
    """A `(location) -> {"label", "value"} | None` line on the location page (e.g. its payment account)."""
    _LOCATION_FACTS.append(provider)
    return provider


def location_facts_for(*, location) -> list[dict]:
    return [fact for p in _LOCATION_FACTS if (fact := p(location)) is not None]


_HOME_CHANGE_CHECKS: list[Callable] = []


def register_home_change_check(check: Callable) -> Callable:
    """`(client, new_location) -> list[str]`: warnings to confirm before a client's home location changes."""
    _HOME_CHANGE_CHECKS.append(check)
    return check


def home_change_warnings(*, client, new_location) -> list[str]:
    return [warning for check in _HOME_CHANGE_CHECKS for warning in check(client, new_location)]
