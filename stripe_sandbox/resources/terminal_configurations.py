"""Terminal configurations: what a reader shows, here only tipping (`tipping[<currency>]`).

A location points at one with `configuration_overrides`; a reader processing a payment with
`process_config[tipping][amount_eligible]` offers that configuration's tip choices computed on
the eligible amount (percentages, or fixed amounts below `smart_tip_threshold`), as Stripe does.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Ctx
from ..listing import paginate
from ..router import router

MAX_CHOICES = 3


def _tipping(params: Any) -> dict[str, Any] | None:
    """Stripe's tipping hash, checked: up to three percentages / fixed amounts per currency."""
    if not params:
        return None
    tipping: dict[str, Any] = {}
    for currency, spec in params.items():
        spec = spec or {}
        for key in ("percentages", "fixed_amounts"):
            values = spec.get(key) or []
            if len(values) > MAX_CHOICES:
                raise errors.invalid_request(
                    f"You can specify at most {MAX_CHOICES} values for {key}.",
                    param=f"tipping[{currency}][{key}]",
                )
            if any(v < 0 for v in values) or (key == "percentages" and any(v > 100 for v in values)):
                raise errors.invalid_request(
                    f"Invalid {key}: each value must be between 0 and {100 if key == 'percentages' else 'the maximum'}.",
                    param=f"tipping[{currency}][{key}]",
                )
        tipping[currency] = {
            "fixed_amounts": list(spec.get("fixed_amounts") or []) or None,
            "percentages": list(spec.get("percentages") or []) or None,
            "smart_tip_threshold": spec.get("smart_tip_threshold"),
        }
    return tipping


@router.post("/v1/terminal/configurations", "terminal.ConfigurationCreateParams")
def create_configuration(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    configuration = {
        "id": ctx.new_id("tmc"),
        "object": "terminal.configuration",
        "is_account_default": False,
        "livemode": False,
        "name": params.get("name") or None,
        "tipping": _tipping(params.get("tipping")),
    }
    return ctx.put(configuration)


def get(ctx: Ctx, configuration_id: str | None = None, param: str = "configuration") -> dict[str, Any]:
    return ctx.get("terminal.configuration", configuration_id or ctx.arg("id"), param=param)


@router.get("/v1/terminal/configurations", "terminal.ConfigurationListParams")
def list_configurations(ctx: Ctx) -> dict[str, Any]:
    items = ctx.find("terminal.configuration", lambda c: not c.get("deleted"))
    return paginate(ctx, items, "/v1/terminal/configurations")


@router.get("/v1/terminal/configurations/{id}", "terminal.ConfigurationRetrieveParams")
def retrieve_configuration(ctx: Ctx) -> dict[str, Any]:
    return get(ctx)


@router.post("/v1/terminal/configurations/{id}", "terminal.ConfigurationUpdateParams")
def update_configuration(ctx: Ctx) -> dict[str, Any]:
    configuration = get(ctx)
    params = ctx.params
    if "name" in params:
        configuration["name"] = params["name"] or None
    if "tipping" in params:
        # `tipping=""` removes tipping; a currency's hash replaces that currency's choices.
        if params["tipping"] == "":
            configuration["tipping"] = None
        else:
            merged = dict(configuration.get("tipping") or {})
            merged.update(_tipping(params["tipping"]) or {})
            configuration["tipping"] = merged
    return configuration


@router.delete("/v1/terminal/configurations/{id}", "terminal.ConfigurationDeleteParams")
def delete_configuration(ctx: Ctx) -> dict[str, Any]:
    configuration = get(ctx)
    configuration["deleted"] = True
    return {"id": configuration["id"], "object": "terminal.configuration", "deleted": True}


def for_location(ctx: Ctx, location_id: str | None) -> dict[str, Any] | None:
    """The configuration a reader at this location uses (its override), or None (no tipping)."""
    location = ctx.maybe(location_id)
    override = (location or {}).get("configuration_overrides")
    if not override:
        return None
    found = ctx.maybe(override)
    return found if found and not found.get("deleted") else None


def tip_choices(
    configuration: dict[str, Any] | None, currency: str, amount_eligible: int
) -> list[dict[str, Any]]:
    """The tip buttons a reader shows: `[{"percent": 15 | None, "amount": 345}]`, in minor units.

    Percentages are of the eligible amount, rounded half up to the minor unit; below the
    `smart_tip_threshold` the fixed amounts are offered instead (Stripe's "smart tipping").
    """
    spec = ((configuration or {}).get("tipping") or {}).get(currency.lower()) or {}
    fixed = spec.get("fixed_amounts") or []
    percentages = spec.get("percentages") or []
    threshold = spec.get("smart_tip_threshold")
    if fixed and (not percentages or (threshold is not None and amount_eligible < threshold)):
        return [{"percent": None, "amount": amount} for amount in fixed]
    return [{"percent": p, "amount": (amount_eligible * p + 50) // 100} for p in percentages]
