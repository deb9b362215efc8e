"""What another app offers on a class's public page where nothing the visitor holds books it:
checkout's "Pay the drop-in and book". Scheduling's page shows whatever is registered and knows
no app above it (DESIGN.md, layers)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

_PROVIDERS: list[Callable] = []


def register_class_page_action(provider: Callable) -> Callable:
    """A `(request, session) -> SafeString` of markup (empty when it has nothing to offer)."""
    _PROVIDERS.append(provider)
    return provider


def class_page_actions_for(*, request, session) -> SafeString:
    """The registered apps' markup for this class, in registration order."""
    parts = [str(provider(request, session) or "") for provider in _PROVIDERS]
    return mark_safe("".join(parts))  # noqa: S308 - each provider returns escaped markup
