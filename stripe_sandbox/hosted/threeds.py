"""The hosted 3D Secure challenge: "Complete" or "Fail", as Stripe's test challenge page offers."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .. import errors
from ..http import Response
from ..resources import challenge
from .html import error_box, form_data, page

if TYPE_CHECKING:
    from ..host import Host


def get(sandbox: Host, intent_id: str, query: dict[str, str]) -> Response:
    account = sandbox.locate(intent_id)
    intent = sandbox.get(intent_id, account)
    if intent is None:
        return Response.html(page("Not found", "<h1>Unknown payment</h1>"), status=404)
    return_to = query.get("return_to", "")
    if intent["status"] != "requires_action":
        if return_to:
            return Response.redirect(return_to)
        return Response.html(page("Nothing to do", "<h1>This payment is not awaiting authentication</h1>"))
    amount = f" of {intent['amount'] / 100:.2f} {intent['currency'].upper()}" if "amount" in intent else ""
    body = f"""
<h1>3D Secure test challenge</h1>
<p>Authenticate the {"payment" + amount if intent["object"] == "payment_intent" else "card setup"}
(<code>{escape(intent_id)}</code>).</p>
<form method="post"><input type="hidden" name="return_to" value="{escape(return_to)}">
<button type="submit" name="outcome" value="complete">Complete authentication</button>
<button type="submit" name="outcome" value="fail" class="secondary">Fail authentication</button></form>"""
    return Response.html(page("3D Secure", body))


def post(sandbox: Host, intent_id: str, body: bytes) -> Response:
    form = form_data(body)
    account = sandbox.locate(intent_id)
    success = form.get("outcome") == "complete"
    try:
        intent = sandbox.run(lambda ctx: challenge.finish(ctx, intent_id, success=success), account=account)
    except errors.StripeError as exc:
        return Response.html(page("Error", error_box(exc.message)), status=exc.status)
    if form.get("return_to"):
        return Response.redirect(form["return_to"])
    return_url = sandbox.store.private(intent_id).get("return_url")
    if return_url:
        key = "payment_intent" if intent["object"] == "payment_intent" else "setup_intent"
        query = urlencode(
            {
                key: intent["id"],
                f"{key}_client_secret": intent["client_secret"],
                "redirect_status": "succeeded" if success else "failed",
            }
        )
        return Response.redirect(f"{return_url}{'&' if '?' in return_url else '?'}{query}")
    title = "Authentication complete" if success else "Authentication failed"
    return Response.html(page(title, f"<h1>{title}</h1><p>You can close this window.</p>"))
