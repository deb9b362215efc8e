"""Completing a 3D Secure challenge, as the cardholder would.

What the hosted 3DS page, the Stripe.js stand-in and `Sandbox.authenticate()` call. It sits
above both intent modules (it hands the intent back to its own module), which in turn use
`authentication` below them: no import circle.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Ctx
from . import payment_intents, setup_intents


def finish(ctx: Ctx, intent_id: str, *, success: bool) -> dict[str, Any]:
    """Complete the challenge of an intent in `requires_action`, as the cardholder would."""
    obj = ctx.maybe(intent_id)
    if obj is None or obj.get("object") not in ("payment_intent", "setup_intent"):
        raise errors.missing("intent", intent_id)
    if obj["status"] != "requires_action":
        raise errors.unexpected_state(
            f"This intent is not awaiting authentication (status: {obj['status']})."
        )
    if obj["object"] == "payment_intent":
        return payment_intents.after_authentication(ctx, obj, success=success)
    return setup_intents.after_authentication(ctx, obj, success=success)
