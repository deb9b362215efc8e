"""What a payment method does when used: approve, decline, ask for 3D Secure, or go `processing`.

Both intents ask `evaluate()`; completing a challenge is `challenge.finish()`, one layer up,
because it hands the intent back to the intent modules that import this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import cards
from ..context import Ctx

AUTH_REQUIRED = (
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
    None,
)


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok" | "decline" | "requires_action" | "processing"
    decline: tuple[str, str, str, str | None] | None = None


def evaluate(
    ctx: Ctx, pm: dict[str, Any], *, setting_up: bool, off_session: bool = False, authenticated: bool = False
) -> Outcome:
    if pm["type"] in ("us_bank_account", "acss_debit"):
        return Outcome("ok" if setting_up else "processing")
    spec = cards.lookup(ctx.private(pm["id"]).get("number", ""))
    if spec.decline and (not setting_up or not spec.charge_only_decline):
        return Outcome("decline", spec.decline)
    if pm["type"] != "card" or authenticated or spec.authentication is None:
        return Outcome("ok")
    if setting_up:
        return Outcome("requires_action")
    if spec.authentication == "setup" and ctx.private(pm["id"]).get("setup_authenticated") and off_session:
        return Outcome("ok")
    if off_session:
        return Outcome("decline", AUTH_REQUIRED)
    return Outcome("requires_action")


def next_action(ctx: Ctx, intent: dict[str, Any], return_url: str | None) -> dict[str, Any]:
    """A 3DS challenge pointing at the sandbox's hosted page (Stripe.js stand-in opens the same page)."""
    query = f"?account={ctx.account}" if ctx.account else ""
    url = f"{ctx.sandbox.public_url}/_sandbox/3ds/{intent['id']}{query}"
    if return_url:
        return {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": url}}
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": url,
            "source": "src_" + intent["id"].split("_", 1)[1],
        },
    }
