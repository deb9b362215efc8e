"""The memberships panels: on a client's profile (staff side) and on the client's own account page.

The profile panel reads the client's memberships in one query whatever their number (the plan
joined in, rows turned into plain dicts), and loads the sale form only when asked for (htmx):
the plans on sale and the "where would this card charge go?" answer cost nothing on a profile
that nobody sells from.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import JSONObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from memberships.models import Membership, MembershipStatus
from memberships.models.memberships import CURRENT_STATUSES
from memberships.selectors.memberships import memberships_for_client
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url

BADGES = {
    MembershipStatus.ACTIVE: "ok",
    MembershipStatus.PAST_DUE: "bad",
    MembershipStatus.PENDING: "warn",
    MembershipStatus.PAUSED: "",
    MembershipStatus.CANCELLED: "",
    MembershipStatus.EXPIRED: "",
}


class MembershipRow(TypedDict):
    id: int
    plan: str
    status: str
    status_label: str
    badge: str
    started_on: dt.date | None
    period_from: dt.date | None
    period_until: dt.date | None  # the period's last day (its stored end is exclusive)
    next_renewal_on: dt.date | None
    credits: str
    url: str | None


def last_day(ends_on: dt.date | None) -> dt.date | None:
    """A period's last day: the stored end is the next period's first day."""
    return ends_on - dt.timedelta(days=1) if ends_on else None


def credits_left_phrase(credits: int | None, *, status: str = "", started: bool = True) -> str:
    """ "3 credits left", or "Unlimited" for a membership without a credit count; "—" for one
    that never became usable (awaiting its payment, or refused)."""
    never_usable = status == MembershipStatus.PENDING or (
        status == MembershipStatus.CANCELLED and not started
    )
    if never_usable:
        return "—"
    if credits is None:
        return _("Unlimited")
    return ngettext("%(count)s credit left", "%(count)s credits left", credits) % {"count": credits}


def membership_rows(memberships: list[Membership], *, url=None) -> list[MembershipRow]:
    """The memberships as the panels list them, labels translated once per list."""
    labels = choice_labels(MembershipStatus.choices)
    return [
        MembershipRow(
            id=m.pk,
            plan=m.plan.name,
            status=m.status,
            status_label=labels.get(m.status, m.status),
            badge=BADGES.get(m.status, ""),
            started_on=m.started_on,
            period_from=m.current_period_start,
            period_until=last_day(m.current_period_end),
            next_renewal_on=m.next_renewal_on,
            credits=credits_left_phrase(
                m.credits_remaining, status=m.status, started=m.current_period_start is not None
            ),
            url=url(m.pk) if url else None,
        )
        for m in memberships
    ]


# The columns the profile shows, as one JSON array riding on the query that reads the client:
# the panel costs the profile no query of its own, whatever the number of memberships.
_JSON_COLUMNS = {
    "id": F("id"),
    "plan": F("plan__name"),
    "status": F("status"),
    "started_on": F("started_on"),
    "period_from": F("current_period_start"),
    "period_end": F("current_period_end"),
    "next_renewal_on": F("next_renewal_on"),
    "credits_remaining": F("credits_remaining"),
}


def _profile_annotations() -> dict:
    current_first = Case(
        When(status__in=CURRENT_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    rows = (
        Membership.objects.filter(studio_id=OuterRef("studio_id"), client_id=OuterRef("pk"))
        .order_by()
        .values("client_id")
        .annotate(rows=JSONBAgg(JSONObject(**_JSON_COLUMNS), order_by=(current_first, "-created_at", "-id")))
        .values("rows")
    )
    return {"memberships_json": Subquery(rows)}


def _iso(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def rows_from_json(items: list[dict] | None, *, url=None) -> list[MembershipRow]:
    """The annotation's JSON rows (dates as ISO strings) as the panel's rows."""
    labels = choice_labels(MembershipStatus.choices)
    return [
        MembershipRow(
            id=item["id"],
            plan=item["plan"],
            status=item["status"],
            status_label=labels.get(item["status"], item["status"]),
            badge=BADGES.get(item["status"], ""),
            started_on=_iso(item["started_on"]),
            period_from=_iso(item["period_from"]),
            period_until=last_day(_iso(item["period_end"])),
            next_renewal_on=_iso(item["next_renewal_on"]),
            credits=credits_left_phrase(
                item["credits_remaining"], status=item["status"], started=item["period_from"] is not None
            ),
            url=url(item["id"]) if url else None,
        )
        for item in items or []
    ]


def _profile_load(*, request, client) -> dict:
    staff = request.staff
    slug = request.studio.slug
    can_sell = staff.has_perm(Perm.SELL_POS)  # the membership page and the sale share it
    detail_url = row_url("membership-detail", studio_slug=slug) if can_sell else None
    items = getattr(client, "memberships_json", None)
    if items is None and not hasattr(client, "memberships_json"):  # a client read without the annotation
        memberships = membership_rows(memberships_for_client(client=client), url=detail_url)
    else:
        memberships = rows_from_json(items, url=detail_url)
    return {
        "client": client,
        "memberships": memberships,
        "can_sell": can_sell and client.archived_at is None,
    }


# Whoever may open a profile sees what the client holds (a teacher checks credits at the door);
# the membership's page, its payments and the sale need SELL_POS.
MEMBERSHIPS_PANEL = ProfilePanel(
    key="memberships",
    title=gettext_lazy("Memberships"),
    template="memberships/client/_panel.html",
    perms=frozenset({Perm.VIEW_CLIENTS}),
    annotations=_profile_annotations,
    load=_profile_load,
    order=15,
)


def account_memberships_panel(request, client) -> Section | None:
    """The client's own memberships on their account page (hidden when they hold none)."""
    rows = membership_rows(memberships_for_client(client=client))
    if not rows:
        return None
    return Section(
        title=_("My memberships"),
        template="memberships/client/_account_panel.html",
        context={"memberships": rows},
        order=15,
        key="memberships",
    )
