"""List endpoints: Stripe's cursor pagination and `created` range filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .context import Ctx


def paginate(ctx: Ctx, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """Newest-first `items` → a list object honouring `limit`, `starting_after`, `ending_before`.

    `starting_after` walks towards older objects, `ending_before` towards newer ones; in both
    directions `has_more` says whether more objects lie beyond the page in that direction.
    """
    params = ctx.params
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise errors.invalid_request(
            "This value must be greater than or equal to 1 and less than or equal to 100.", param="limit"
        )
    ids = [item["id"] for item in items]
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise errors.invalid_request(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    if after:
        index = _cursor(ids, after, "starting_after", ctx)
        window = items[index + 1 :]
        page, has_more = window[:limit], len(window) > limit
    elif before:
        index = _cursor(ids, before, "ending_before", ctx)
        window = items[:index]
        page, has_more = window[-limit:], len(window) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _cursor(ids: list[str], cursor: str, param: str, ctx: Ctx) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        obj = ctx.maybe(cursor)
        label = obj.get("object", "object") if obj else "object"
        raise errors.invalid_request(
            f"No such {label}: '{cursor}'", code="resource_missing", param=param, status=404
        ) from None


def created_filter(value: Any, field: str = "created"):
    """`created=<ts>` or `created[gt|gte|lt|lte]=<ts>` → a predicate on objects."""
    if value is None:
        return lambda obj: True
    if isinstance(value, int):
        return lambda obj: obj.get(field) == value
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    bounds = [(checks[op], bound) for op, bound in value.items()]
    return lambda obj: all(check(obj.get(field) or 0, bound) for check, bound in bounds)
