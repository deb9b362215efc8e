"""Reading plans (MEM-1): the management list and what can be sold where."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django_scopes import scope

from memberships.models import MembershipStatus, Plan, PlanLocation

# A plan's terms in words, for the apps that sell plans (checkout's public cards).
from memberships.wording import duration_phrase as duration_phrase
from memberships.wording import interval_phrase as interval_phrase
from studio.compiled_sql import compiled_instance, compiled_rows, model_columns
from studio.models import Location, Studio

# Members who hold the plan now: what "members" means on the plans list (a pending sale or an
# ended membership is not one).
MEMBER_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED)


def plan_list(*, studio: Studio, archived: bool = False) -> QuerySet[Plan]:
    """The studio's plans (archived ones, or the others), each with `member_count`; one query."""
    return (
        Plan.objects.filter(studio=studio, archived_at__isnull=not archived)
        .select_related("location")
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__status__in=MEMBER_STATUSES)),
        )
        .order_by("-featured", "name", "id")
    )


def plan_counts(*, studio: Studio) -> dict[str, int]:
    """How many plans are current and archived (the two tabs of the list)."""
    counts = Plan.objects.filter(studio=studio).aggregate(
        current=Count("id", filter=Q(archived_at__isnull=True)),
        archived=Count("id", filter=Q(archived_at__isnull=False)),
    )
    return {"current": counts["current"] or 0, "archived": counts["archived"] or 0}


def plans_for_sale(*, studio: Studio, location: Location | None = None) -> QuerySet[Plan]:
    """Plans that can be sold now (not archived), at `location` when given: featured first,
    then by name. POS and checkout offer these; the client-profile sale too."""
    qs = Plan.objects.filter(studio=studio, archived_at__isnull=True).select_related("location")
    if location is not None:
        sold_here = PlanLocation.objects.filter(plan=OuterRef("pk"), location=location)
        qs = qs.filter(Q(sold_everywhere=True) | Exists(sold_here))
    return qs.order_by("-featured", "name", "id")


def _plans_on_sale(*, studio_id: int, limit: int | None):
    columns = [*model_columns(Plan), *(f"location__{column}" for column in model_columns(Location))]
    plans = plans_for_sale(studio=studio_id).values_list(*columns)  # the same rule, compiled
    return plans[:limit] if limit is not None else plans


def plans_on_sale(*, studio: Studio, limit: int | None = None) -> list[Plan]:
    """`plans_for_sale(studio=studio)` (its first `limit`) as a list, each with its location (the
    same rows and order), from SQL compiled once: the public pages list them for every visitor."""
    limit = None if limit is None else int(limit)
    with scope(studio=studio):
        rows = compiled_rows(("plans-on-sale", limit), lambda **v: _plans_on_sale(limit=limit, **v))
    plans = []
    for row in rows:
        plan, end = compiled_instance(Plan, row)
        if plan.location_id is not None:
            plan.location = compiled_instance(Location, row, end)[0]
        plans.append(plan)
    return plans


def plan_has_members(*, plan: Plan) -> bool:
    """Whether anyone ever held the plan (its kind then stays as sold; it is archived, never deleted)."""
    return plan.pk is not None and plan.memberships.exists()


def plan_links(*, plan: Plan) -> dict[str, list[int]]:
    """The ids of the class templates, appointment types and locations the plan is linked to."""
    if plan.pk is None:
        return {"class_templates": [], "services": [], "locations": []}
    return {
        "class_templates": sorted(plan.class_links.values_list("template_id", flat=True)),
        "services": sorted(plan.service_links.values_list("service_id", flat=True)),
        "locations": sorted(plan.location_links.values_list("location_id", flat=True)),
    }
