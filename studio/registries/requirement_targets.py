"""What a waiver can be required for, beyond the whole studio (WAI-5): the apps that own the
targets register them, so waivers lists them without importing those apps.

    from studio.registries import requirement_targets
    requirement_targets.register_requirement_target(
        "class_template", label=_("Classes"), choices=lambda studio: [(template.pk, template.name), ...]
    )

Scopes in use: "plan" (memberships), "class_template" and "service" (scheduling). `choices`
returns the studio's targets a waiver may be required for, as (id, name) pairs in display
order; the waivers app validates submitted ids against it, so another studio's ids never pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequirementTarget:
    scope: str
    label: Any  # a lazy string: the heading of the checkbox group
    choices: Callable[[Any], list[tuple[int, str]]]  # (studio) -> [(id, name)]
    order: int = 100


_TARGETS: dict[str, RequirementTarget] = {}


def register_requirement_target(
    scope: str, *, label: Any, choices: Callable[[Any], list[tuple[int, str]]], order: int = 100
) -> RequirementTarget:
    """Add (or replace, under the same scope: `ready()` may run twice) a kind of target."""
    target = RequirementTarget(scope=scope, label=label, choices=choices, order=order)
    _TARGETS[scope] = target
    return target


def requirement_target(scope: str) -> RequirementTarget | None:
    """The registered target kind for `scope`, None when no installed app offers it."""
    return _TARGETS.get(scope)


def requirement_targets() -> list[RequirementTarget]:
    """Every registered kind of target, in display order."""
    return sorted(_TARGETS.values(), key=lambda t: (t.order, t.scope))
