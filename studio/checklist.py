"""The onboarding checklist on the dashboard (CORE-7), in the order the seeds recommend:
get paid first, then places and people, then rules, then what clients buy.

Each later app contributes the check for its own step by adding a function to CHECKS under
its key; steps whose feature is not built yet are listed as upcoming, never as done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from studio.models import Location, StaffMember, Studio


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str
    url_name: str


STEPS: list[Step] = [
    Step("stripe", _("Connect Stripe to get paid"), _("Create your payment account so clients can pay you."),
         "payments-accounts"),
    Step("locations", _("Add your locations and rooms"), _("Places to schedule classes and sell from."),
         "location-list"),
    Step("profile", _("Add a bio and a logo"), _("Shown on your public pages and receipts."), "settings"),
    Step("waivers", _("Add a waiver"), _("Clients sign it when they buy or book."), "waiver-list"),
    Step("policy", _("Set your cancellation policy"), _("Cut-off for credits, late cancels and fees."),
         "cancellation-policy"),
    Step("staff", _("Invite your staff and set pay rates"), _("Teachers and front desk, with their roles."),
         "staff-list"),
    Step("classes", _("Create classes"), _("Templates and recurring series on your schedule."), "class-template-list"),
    Step("memberships", _("Create memberships and packs"), _("What clients buy to attend."), "plan-list"),
]


def _locations_done(studio: Studio) -> bool:
    return Location.objects.filter(studio=studio, archived_at__isnull=True).exists()


def _profile_done(studio: Studio) -> bool:
    return bool(studio.bio.strip()) and bool(studio.logo)


def _staff_done(studio: Studio) -> bool:
    return StaffMember.objects.filter(studio=studio, is_active=True).count() > 1


CHECKS: dict[str, Callable[[Studio], bool]] = {
    "locations": _locations_done,
    "profile": _profile_done,
    "staff": _staff_done,
}


@dataclass(frozen=True)
class StepState:
    step: Step
    done: bool
    available: bool
    url: str | None


def checklist_for(*, studio: Studio) -> list[StepState]:
    states = []
    for step in STEPS:
        check = CHECKS.get(step.key)
        try:
            url = reverse(step.url_name, kwargs={"studio_slug": studio.slug})
        except NoReverseMatch:
            url = None
        available = check is not None and url is not None
        states.append(StepState(step=step, done=bool(available and check(studio)), available=available, url=url))
    return states
