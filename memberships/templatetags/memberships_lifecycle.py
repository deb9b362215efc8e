"""`{% membership_lifecycle membership as state %}`: which lifecycle actions a membership offers
today, and whether its next renewal has a payment method (for `membership/_actions.html`)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from memberships.models import Membership
from memberships.services import lifecycle
from memberships.services.methods import MethodStatus, membership_method_status

register = template.Library()


@dataclass(frozen=True)
class LifecycleState:
    can_pause: bool
    pause_planned: bool  # a pause that has not started yet
    pause_running: bool
    can_cancel: bool
    can_cancel_at_period_end: bool
    can_undo_cancel: bool
    can_change_plan: bool
    method: MethodStatus


@register.simple_tag
def membership_lifecycle(membership: Membership) -> LifecycleState:
    today = lifecycle.studio_today(membership.studio)
    has_pause = membership.paused_until is not None and membership.paused_until > today
    started = has_pause and membership.paused_from is not None and membership.paused_from <= today
    return LifecycleState(
        can_pause=not lifecycle.pause_refusal(membership=membership, today=today),
        pause_planned=has_pause and not started,
        pause_running=started,
        can_cancel=not lifecycle.cancel_refusal(membership=membership, when=lifecycle.WHEN_NOW, today=today),
        can_cancel_at_period_end=not lifecycle.cancel_refusal(
            membership=membership, when=lifecycle.WHEN_PERIOD_END, today=today
        ),
        can_undo_cancel=membership.cancel_at_period_end
        and membership.current_period_end is not None
        and membership.current_period_end > today
        and membership.status in lifecycle.CANCELLABLE,
        can_change_plan=not lifecycle.change_refusal(membership=membership),
        method=membership_method_status(membership=membership, today=today),
    )
