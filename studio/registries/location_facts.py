"""Lines an app adds to a location's page, e.g. payments' "Payment account: …"."""

from __future__ import annotations

from collections.abc import Callable

LocationFact = dict  # {"label": str, "value": str}

_LOCATION_FACTS: list[Callable] = []


def register_location_fact(provider: Callable) -> Callable:
    """A `(location) -> {"label", "value"} | None` line on the location page."""
    _LOCATION_FACTS.append(provider)
    return provider


def location_facts_for(*, location) -> list[LocationFact]:
    """The lines every registered app has for this location, in registration order."""
    return [fact for provider in _LOCATION_FACTS if (fact := provider(location)) is not None]
