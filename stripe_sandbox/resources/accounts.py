"""Connected accounts, their capabilities and requirements, and account links.

Accounts live in the platform's scope (the platform owns them); their events are reported with
`account` set to the connected account, which routes them to Connect webhook endpoints.
Requirements are a small fixed list that onboarding or API updates satisfy, so `charges_enabled`,
`payouts_enabled` and `requirements.*` move the way an app must handle.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .. import errors
from ..context import Ctx, apply_metadata, merge
from ..listing import created_filter, paginate
from ..router import router

if TYPE_CHECKING:
    from ..host import Host

REQUIREMENTS = (
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)
# What "leave a requirement due" on the hosted onboarding page leaves behind.
LEFT_DUE = "individual.verification.document"

CURRENCY_BY_COUNTRY = {"US": "usd", "CA": "cad", "GB": "gbp", "AU": "aud", "JP": "jpy", "CH": "chf"}
EURO_COUNTRIES = {"FR", "DE", "ES", "IT", "NL", "BE", "IE", "PT", "AT", "FI", "LU"}

# Legacy `type` → the controller properties Stripe documents as equivalent.
TYPE_CONTROLLERS = {
    "standard": {
        "fees": {"payer": "account"},
        "losses": {"payments": "stripe"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "full"},
    },
    "express": {
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
    },
    "custom": {
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
    },
}


def _controller(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    given = params.get("controller") or {}
    legacy = params.get("type")
    if legacy and given:
        raise errors.invalid_request("You cannot specify both `type` and `controller`.", param="type")
    if legacy:
        base = copy.deepcopy(TYPE_CONTROLLERS[legacy])
    else:
        dashboard = (given.get("stripe_dashboard") or {}).get("type", "full")
        fees = (given.get("fees") or {}).get("payer", "account" if dashboard == "full" else "application")
        losses = (given.get("losses") or {}).get("payments", "stripe" if fees == "account" else "application")
        collection = given.get("requirement_collection", "stripe" if dashboard != "none" else "application")
        base = {
            "fees": {"payer": fees},
            "losses": {"payments": losses},
            "requirement_collection": collection,
            "stripe_dashboard": {"type": dashboard},
        }
    base.update({"is_controller": True, "type": "application"})
    kind = legacy or next(
        (name for name, ctl in TYPE_CONTROLLERS.items() if all(base[k] == v for k, v in ctl.items())), "none"
    )
    return base, kind


def _blank_requirements() -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def build_account(ctx: Ctx, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    controller, kind = _controller(params)
    country = params.get("country", "US")
    default_currency = params.get("default_currency") or (
        "eur" if country in EURO_COUNTRIES else CURRENCY_BY_COUNTRY.get(country, "usd")
    )
    business_profile = {
        "annual_revenue": None,
        "estimated_worker_count": None,
        "mcc": None,
        "minority_owned_business_designation": None,
        "name": None,
        "product_description": None,
        "support_address": None,
        "support_email": None,
        "support_phone": None,
        "support_url": None,
        "url": None,
    }
    merge(business_profile, params.get("business_profile"))
    return {
        "id": account_id,
        "object": "account",
        "business_profile": business_profile,
        "business_type": params.get("business_type"),
        "capabilities": {},
        "charges_enabled": False,
        "controller": controller,
        "country": country,
        "created": ctx.now,
        "default_currency": default_currency,
        "details_submitted": False,
        "email": params.get("email"),
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": _blank_requirements(),
        "metadata": {},
        "payouts_enabled": False,
        "requirements": _blank_requirements(),
        "settings": {
            "dashboard": {"display_name": business_profile.get("name"), "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": kind,
    }


def ensure_platform_account(sandbox: Host) -> None:
    """The platform's own account object, answered by `GET /v1/account` without `Stripe-Account`."""
    store = sandbox.store
    if store.get(store.platform_account, store.platform_account):
        return
    ctx = Ctx(sandbox, account=None, params={})
    account = build_account(ctx, store.platform_account, {"business_profile": {"name": "Sandbox Platform"}})
    account.update(
        {
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "capabilities": {"card_payments": "active", "transfers": "active"},
        }
    )
    account["controller"] = {"type": "account"}
    account["type"] = "standard"
    store.put(store.platform_account, account)
    store.private(store.platform_account)["platform"] = True


def _capability(account: dict[str, Any], name: str, ctx: Ctx) -> dict[str, Any]:
    due = account["requirements"]["currently_due"]
    return {
        "id": name,
        "object": "capability",
        "account": account["id"],
        "requested": True,
        "requested_at": ctx.now,
        "status": account["capabilities"].get(name),
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": list(due),
            "disabled_reason": account["requirements"]["disabled_reason"],
            "errors": [],
            "eventually_due": list(due),
            "past_due": list(due),
            "pending_verification": [],
        },
    }


def recompute(ctx: Ctx, account: dict[str, Any]) -> None:
    """Derive requirements, enablement and capability statuses from what has been provided."""
    private = ctx.store.private(account["id"])
    provided = set(private.get("provided", []))
    due = [r for r in REQUIREMENTS if r not in provided] + list(private.get("left_due", []))
    reqs = account["requirements"]
    reqs.update(
        {
            "currently_due": list(due),
            "eventually_due": list(due),
            "past_due": list(due),
            "disabled_reason": "requirements.past_due" if due else None,
        }
    )
    account["charges_enabled"] = not due
    account["payouts_enabled"] = not due
    for name in account["capabilities"]:
        account["capabilities"][name] = "inactive" if due else "active"


def _provided_by(params: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    profile = params.get("business_profile") or {}
    for key in ("mcc", "url"):
        if profile.get(key):
            found.add(f"business_profile.{key}")
    if params.get("business_type"):
        found.add("business_type")
    if params.get("external_account"):
        found.add("external_account")
    person = params.get("individual") or {}
    for key in ("first_name", "last_name"):
        if person.get(key):
            found.add(f"representative.{key}")
    tos = params.get("tos_acceptance") or {}
    for key in ("date", "ip"):
        if tos.get(key):
            found.add(f"tos_acceptance.{key}")
    return found


def _apply_update(ctx: Ctx, account: dict[str, Any], params: dict[str, Any]) -> None:
    private = ctx.store.private(account["id"])
    merge(account["business_profile"], params.get("business_profile"))
    for key in ("business_type", "email", "default_currency"):
        if key in params:
            account[key] = params[key] or None
    if params.get("tos_acceptance"):
        merge(account["tos_acceptance"], params["tos_acceptance"])
    for name, wanted in (params.get("capabilities") or {}).items():
        if wanted.get("requested"):
            account["capabilities"].setdefault(name, "inactive")
        else:
            account["capabilities"].pop(name, None)
    apply_metadata(account, params.get("metadata"))
    private["provided"] = sorted(set(private.get("provided", [])) | _provided_by(params))
    recompute(ctx, account)
    if (
        account["controller"].get("requirement_collection") == "application"
        and not account["requirements"]["currently_due"]
    ):
        # An application that collects requirements itself has "submitted" once nothing is due.
        account["details_submitted"] = True


def save_and_report(ctx: Ctx, account: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Emit `account.updated` and `capability.updated` for what changed, on the connected account."""
    if before is None:
        return
    ctx.emit("account.updated", account, before, account=account["id"])
    for name, status in account["capabilities"].items():
        if before["capabilities"].get(name) != status:
            previous = {"status": before["capabilities"].get(name)}
            capability = _capability(account, name, ctx)
            ctx.events.append(
                ctx.sandbox.events.record(
                    ctx, "capability.updated", capability, previous, account=account["id"]
                )
            )


def _connected(ctx: Ctx, account_id: str, param: str = "account") -> dict[str, Any]:
    account = ctx.store.get(ctx.store.platform_account, account_id)
    if (
        not account
        or account.get("object") != "account"
        or account.get("deleted")
        or ctx.store.private(account_id).get("platform")
    ):
        raise errors.missing("account", account_id, param)
    if ctx.account and ctx.account != account_id:
        raise errors.missing("account", account_id, param)
    return account


@router.post("/v1/accounts", "AccountCreateParams")
def create_account(ctx: Ctx) -> dict[str, Any]:
    if ctx.account:
        raise errors.invalid_request(
            "You cannot create a connected account on behalf of a connected account."
        )
    params = ctx.params
    account = build_account(ctx, ctx.new_id("acct"), params)
    if account["controller"]["stripe_dashboard"]["type"] == "full" and not params.get("capabilities"):
        account["capabilities"] = {"card_payments": "inactive", "transfers": "inactive"}
    ctx.store.put(ctx.store.platform_account, account)
    _apply_update(ctx, account, params)
    # Creation itself sends no Connect event; `account.updated` follows onboarding and updates.
    return account


@router.get("/v1/accounts", "AccountListParams")
def list_accounts(ctx: Ctx) -> dict[str, Any]:
    if ctx.account:
        return paginate(ctx, [], "/v1/accounts")
    keep = created_filter(ctx.params.get("created"))
    items = [
        a
        for a in ctx.store.find(ctx.store.platform_account, "account")
        if not ctx.store.private(a["id"]).get("platform") and not a.get("deleted") and keep(a)
    ]
    return paginate(ctx, items, "/v1/accounts")


@router.get("/v1/account", "AccountRetrieveCurrentParams")
def retrieve_current(ctx: Ctx) -> dict[str, Any]:
    account_id = ctx.account or ctx.store.platform_account
    found = ctx.store.get(ctx.store.platform_account, account_id)
    assert found is not None
    return found


@router.get("/v1/accounts/{id}", "AccountRetrieveParams")
def retrieve_account(ctx: Ctx) -> dict[str, Any]:
    return _connected(ctx, ctx.arg("id"), "account")


@router.post("/v1/accounts/{id}", "AccountUpdateParams")
def update_account(ctx: Ctx) -> dict[str, Any]:
    account = _connected(ctx, ctx.arg("id"), "account")
    before = copy.deepcopy(account)
    _apply_update(ctx, account, ctx.params)
    save_and_report(ctx, account, before)
    return account


@router.delete("/v1/accounts/{id}", "AccountDeleteParams")
def delete_account(ctx: Ctx) -> dict[str, Any]:
    account = _connected(ctx, ctx.arg("id"), "account")
    account["deleted"] = True
    return {"id": account["id"], "object": "account", "deleted": True}


@router.post("/v1/account_links", "AccountLinkCreateParams")
def create_account_link(ctx: Ctx) -> dict[str, Any]:
    params = ctx.params
    account = _connected(ctx, params["account"])
    if (
        params["type"] == "account_update"
        and account["controller"].get("stripe_dashboard", {}).get("type") != "none"
    ):
        raise errors.invalid_request(
            "You cannot create `account_update` type Account Links for accounts that have access to a Stripe "
            "Dashboard.",
            param="type",
        )
    token = ctx.token(24)
    expires_at = ctx.now + 300
    ctx.store.table("account_links")[token] = {
        "account": account["id"],
        "type": params["type"],
        "return_url": params.get("return_url"),
        "refresh_url": params.get("refresh_url"),
        "expires_at": expires_at,
        "used": False,
    }
    return {
        "object": "account_link",
        "created": ctx.now,
        "expires_at": expires_at,
        "url": f"{ctx.sandbox.public_url}/_sandbox/onboarding/{token}",
    }


def submit_onboarding(
    ctx: Ctx,
    account_id: str,
    *,
    leave_requirement_due: bool = False,
    business_name: str = "Sandbox Studio",
    url: str = "https://example.com",
    mcc: str = "7997",
) -> dict[str, Any]:
    """What the hosted onboarding form does: fill in the business, accept the ToS, add a bank account."""
    account = _connected(ctx, account_id)
    before = copy.deepcopy(account)
    private = ctx.store.private(account_id)
    private["provided"] = list(REQUIREMENTS)
    private["left_due"] = [LEFT_DUE] if leave_requirement_due else []
    merge(account["business_profile"], {"name": business_name, "url": url, "mcc": mcc})
    account["business_type"] = account["business_type"] or "company"
    account["tos_acceptance"].update({"date": ctx.now, "ip": "127.0.0.1", "user_agent": "stripe-sandbox"})
    account["details_submitted"] = True
    if not account["capabilities"]:
        account["capabilities"] = {"card_payments": "inactive", "transfers": "inactive"}
    recompute(ctx, account)
    save_and_report(ctx, account, before)
    return account
