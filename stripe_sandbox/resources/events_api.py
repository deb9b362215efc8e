"""`GET /v1/events` and `GET /v1/events/<id>`, scoped to the requesting account like every object."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..events import matches_type
from ..listing import created_filter, paginate
from ..router import router


@router.get("/v1/events", "EventListParams")
def list_events(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    keep = created_filter(params.get("created"))
    wanted = params.get("type")
    many = params.get("types")
    items = ctx.find(
        "event",
        lambda e: (
            keep(e)
            and (wanted is None or matches_type(e["type"], wanted))
            and (not many or e["type"] in many)
        ),
    )
    return paginate(ctx, items, "/v1/events")


@router.get("/v1/events/{id}", "EventRetrieveParams")
def retrieve_event(ctx: Ctx) -> dict[str, Any]:
    return ctx.get("event", ctx.arg("id"))
