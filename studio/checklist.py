"""The onboarding checklist on the dashboard (CORE-7), in the order the seeds recommend:
get paid first, then places and people, then rules, then what clients buy.

Each later app contributes the check for its own step by adding a function to CHECKS under
its key; steps whose feature is not built yet are listed as upcoming, never as done.

Each step declares the permission doing it takes, and its page's own permission (read from the
page's view, so the two cannot drift apart) is checked too: a staff member sees only the steps
they can act on — a teacher is not shown links that answer 403, nor steps that are not theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from studio.models import Location, StaffMember, Studio
from studio.permissions import Perm


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str
    url_name: str
    # What doing the step takes; the step's page's own permission is checked as well.
    perm: str | None = None
    owner_or_admin: bool = False


STEPS: list[Step] = [
    Step(
        "stripe",
        _("Connect Stripe to get paid"),
        _("Create your payment account so clients can pay you."),
        "payments-accounts",
        perm=Perm.CONNECT_PAYMENTS,
    ),
    Step(
        "locations",
        _("Add your locations and rooms"),
        _("Places to schedule classes and sell from."),
        "location-list",
        perm=Perm.MANAGE_SETTINGS,
    ),
    Step(
        "profile",
        _("Add a bio and a logo"),
        _("Shown on your public pages and receipts."),
        "settings",
        perm=Perm.MANAGE_SETTINGS,
    ),
    Step(
        "waivers",
        _("Add a waiver"),
        _("Clients sign it when they buy or book."),
        "waiver-list",
        perm=Perm.MANAGE_WAIVERS,
    ),
    Step(
        "policy",
        _("Set your cancellation policy"),
        _("Cut-off for credits, late cancels and fees."),
        "cancellation-policy",
        perm=Perm.MANAGE_SETTINGS,
    ),
    Step(
        "staff",
        _("Invite your staff and set pay rates"),
        _("Teachers and front desk, with their roles."),
        "staff-list",
        perm=Perm.MANAGE_STAFF,
    ),
    Step(
        "classes",
        _("Create classes"),
        _("Templates and recurring series on your schedule."),
        "class-template-list",
        perm=Perm.MANAGE_SCHEDULE,
    ),
    Step(
        "memberships",
        _("Create memberships and packs"),
        _("What clients buy to attend."),
        "plan-list",
        perm=Perm.MANAGE_MEMBERSHIPS,
    ),
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


def _can_act_on(step: Step, url: str | None, staff) -> bool:
    """The step's own permission (what doing the step takes) and its page's (opening the link)."""
    if staff is None:
        return True
    needed = [step.perm]
    owner_or_admin = step.owner_or_admin
    if url is not None:
        try:
            view = resolve(url).func
        except Resolver404:
            view = None
        needed.append(getattr(view, "required_permission", None))
        owner_or_admin = owner_or_admin or getattr(view, "owner_or_admin", False)
    if owner_or_admin and not staff.role.is_all_powerful:
        return False
    return all(perm is None or staff.has_perm(perm) for perm in needed)


def checklist_for(*, studio: Studio, staff: StaffMember | None = None) -> list[StepState]:
    """The checklist's steps; with `staff`, only those that person can act on."""
    states = []
    for step in STEPS:
        check = CHECKS.get(step.key)
        try:
            url = reverse(step.url_name, kwargs={"studio_slug": studio.slug})
        except NoReverseMatch:
            url = None
        if not _can_act_on(step, url, staff):
            continue
        available = check is not None and url is not None
        states.append(
            StepState(step=step, done=bool(available and check(studio)), available=available, url=url)
        )
    return states
