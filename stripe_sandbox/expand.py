"""`expand[]`: replace id strings by the objects they name, along dotted paths.

Works on any response: `latest_charge.balance_transaction`, `data.customer` on lists,
`invoice_settings.default_payment_method`, ... An unknown or non-id field is refused the way
Stripe refuses it, so a wrong expansion fails the test that wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .context import Ctx

MAX_DEPTH = 4


def expand(ctx: Ctx, obj: Any, paths: list[str]) -> Any:
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise errors.invalid_request(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        _walk(ctx, obj, parts, path)
    return obj


def _walk(ctx: Ctx, node: Any, parts: list[str], full: str) -> None:
    if node is None:
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head not in node:
        raise errors.invalid_request(f"This property cannot be expanded ({head}).", param="expand")
    value = node[head]
    if isinstance(value, list):
        if not rest:
            raise errors.invalid_request(f"This property cannot be expanded ({head}).", param="expand")
        for item in value:
            _walk(ctx, item, rest, full)
        return
    if value is not None and not isinstance(value, (str, dict)):
        raise errors.invalid_request(f"This property cannot be expanded ({head}).", param="expand")
    if isinstance(value, str):
        target = lookup(ctx, value)
        if target is None:
            raise errors.invalid_request(f"This property cannot be expanded ({head}).", param="expand")
        node[head] = value = ctx.sandbox.present(ctx, target)
    if rest and value is not None:
        _walk(ctx, value, rest, full)


def lookup(ctx: Ctx, object_id: str) -> dict[str, Any] | None:
    found = ctx.store.get(ctx.scope, object_id)
    if found is None and object_id.startswith("acct_"):
        found = ctx.store.get(ctx.store.platform_account, object_id)
    return found
