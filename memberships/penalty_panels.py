"""The penalty fees on a client's profile (staff side) and what a client owes on their account page.

The profile panel reads the client's open fees (pending, being charged, failed) as one JSON array
riding on the query that reads the client: it costs the profile no query of its own, whatever the
number of fees. Links come from `row_url` (one `reverse` per list), labels are translated once.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memberships.models import Penalty, PenaltyStatus
from memberships.selectors.penalties import BADGES, FEE_LABELS, amounts_owed_for, penalty_failure_reason
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url

OPEN_STATUSES = (PenaltyStatus.PENDING, PenaltyStatus.CHARGING, PenaltyStatus.FAILED)
PANEL_ROWS_MAX = 20  # the oldest open fees beyond this are on the penalties page

_JSON_COLUMNS = {
    "id": F("id"),
    "trigger": F("trigger"),
    "occurred_at": F("occurred_at"),
    "amount": F("amount"),
    "currency": F("currency"),
    "status": F("status"),
    "due_at": F("due_at"),
    "failure_code": F("failure_code"),
}


def _annotations() -> dict:
    rows = (
        Penalty.objects.filter(
            studio_id=OuterRef("studio_id"), client_id=OuterRef("pk"), status__in=OPEN_STATUSES
        )
        .order_by()
        .values("client_id")
        .annotate(rows=JSONBAgg(JSONObject(**_JSON_COLUMNS), order_by=("-occurred_at", "-id")))
        .values("rows")
    )
    return {"penalties_json": Subquery(rows)}


def _load(*, request, client) -> dict:
    items = getattr(client, "penalties_json", None)
    if items is None and not hasattr(client, "penalties_json"):  # read without the annotation
        items = list(
            Penalty.objects.filter(studio_id=client.studio_id, client=client, status__in=OPEN_STATUSES)
            .order_by("-occurred_at", "-id")
            .values(*_JSON_COLUMNS)
        )
    items = items or []
    staff = request.staff
    slug = request.studio.slug
    can_act = staff.has_perm(Perm.MANAGE_MEMBERSHIPS)
    detail = row_url("penalty-detail", studio_slug=slug) if can_act else None
    waive = row_url("penalty-waive", studio_slug=slug) if can_act else None
    retry = row_url("penalty-retry", studio_slug=slug) if can_act else None
    labels = choice_labels(PenaltyStatus.choices)
    fees = {key: str(label) for key, label in FEE_LABELS.items()}
    rows = []
    owed = 0
    for item in items[:PANEL_ROWS_MAX]:
        status = item["status"]
        if status == PenaltyStatus.FAILED:
            owed += item["amount"]
        rows.append(
            {
                "id": item["id"],
                "fee": fees.get(item["trigger"], item["trigger"]),
                "occurred_at": _when(item["occurred_at"]),
                "due_at": _when(item["due_at"]),
                "amount": item["amount"],
                "currency": item["currency"],
                "status": status,
                "status_label": labels.get(status, status),
                "badge": BADGES.get(status, ""),
                "failure": penalty_failure_reason(item["failure_code"]) if item["failure_code"] else "",
                "url": detail(item["id"]) if detail else None,
                "waive_url": waive(item["id"]) if waive and status != PenaltyStatus.CHARGING else None,
                "retry_url": retry(item["id"]) if retry and status == PenaltyStatus.FAILED else None,
            }
        )
    return {"client": client, "penalties": rows, "owed": owed, "currency": request.studio.currency}


def _when(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


# Who sells at the desk sees what a client owes (to collect it); waiving and retrying need
# MANAGE_MEMBERSHIPS (the links show only then).
PENALTIES_PANEL = ProfilePanel(
    key="penalties",
    title=gettext_lazy("Late-cancel and no-show fees"),
    template="memberships/penalties/_profile_panel.html",
    perms=frozenset({Perm.MANAGE_MEMBERSHIPS, Perm.SELL_POS}),
    annotations=_annotations,
    load=_load,
    order=16,
)


def account_owed_panel(request, client) -> Section | None:
    """What the client owes (failed fees, past-due renewals), on their own account page."""
    owed = amounts_owed_for(client=client)
    if not owed:
        return None
    return Section(
        title=_("Amounts owed"),
        template="memberships/penalties/_account_owed.html",
        context={"owed": owed},
        order=14,
        key="owed",
    )
