"""Routing for everything under `/_sandbox/`: hosted pages, the Stripe.js stand-in, admin switches."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from ..http import Headers, Response
from . import admin, checkout_page, js_api, onboarding, stripe_js, threeds

if TYPE_CHECKING:
    from ..host import Host

Page = Callable[..., Response]


def handle_page(
    sandbox: Host, method: str, path: str, query: str, headers: Headers, body: bytes, remote_addr: str = ""
) -> Response:
    method = method.upper()
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    content_type = headers.get("Content-Type", "")
    if path.startswith("/_sandbox/js/"):
        if method == "OPTIONS":
            return Response(204, b"", Headers(js_api.CORS))
        if path == "/_sandbox/js/stripe.js" and method == "GET":
            return Response(
                200,
                stripe_js.SOURCE.encode(),
                Headers(
                    {
                        "Content-Type": "application/javascript; charset=utf-8",
                        "Cache-Control": "no-cache",
                        **js_api.CORS,
                    }
                ),
            )
        if method == "POST":
            return js_api.handle(sandbox, path.rsplit("/", 1)[1], body, headers, remote_addr)
    routes: list[tuple[str, str, Callable[[re.Match[str]], Response]]] = [
        ("GET", r"/_sandbox/?", lambda m: admin.dashboard(sandbox)),
        ("GET", r"/_sandbox/health", lambda m: Response.json(200, {"ok": True})),
        ("GET", r"/_sandbox/onboarding/([\w-]+)", lambda m: onboarding.get(sandbox, m[1])),
        ("POST", r"/_sandbox/onboarding/([\w-]+)", lambda m: onboarding.post(sandbox, m[1], body)),
        ("GET", r"/_sandbox/checkout/(\w+)", lambda m: checkout_page.get(sandbox, m[1])),
        ("POST", r"/_sandbox/checkout/(\w+)", lambda m: checkout_page.post(sandbox, m[1], body)),
        ("GET", r"/_sandbox/3ds/(\w+)", lambda m: threeds.get(sandbox, m[1], args)),
        ("POST", r"/_sandbox/3ds/(\w+)", lambda m: threeds.post(sandbox, m[1], body)),
        ("GET", r"/_sandbox/receipts/(\w+)", lambda m: admin.receipt(sandbox, m[1])),
        ("GET", r"/_sandbox/faults", lambda m: admin.faults(sandbox, "GET", body, content_type)),
        ("POST", r"/_sandbox/faults", lambda m: admin.faults(sandbox, "POST", body, content_type)),
        ("POST", r"/_sandbox/reset", lambda m: admin.reset(sandbox, content_type)),
        ("POST", r"/_sandbox/deliver", lambda m: admin.deliver(sandbox, content_type)),
        ("POST", r"/_sandbox/tick", lambda m: Response.json(200, {"events": len(sandbox.tick())})),
        ("POST", r"/_sandbox/bank-debits/(\w+)/settle", lambda m: _settle_debit(sandbox, m[1], body)),
        ("POST", r"/_sandbox/readers/(\w+)/present", lambda m: admin.present_card(sandbox, m[1], body)),
        (
            "POST",
            r"/_sandbox/readers/(\w+)/action",
            lambda m: admin.reader_action(sandbox, m[1], body, content_type),
        ),
    ]
    for verb, pattern, action in routes:
        found = re.fullmatch(pattern, path)
        if found and verb == method:
            return action(found)
    return Response.html("<h1>Not found</h1>", status=404)


def _settle_debit(sandbox: Host, intent_id: str, body: bytes) -> Response:
    """`POST /_sandbox/bank-debits/<pi>/settle` with `outcome=succeeded|failed` (and optionally
    `failure_code`, `account`): a bank debit that stays processing settles now, webhooks sent."""
    from ..errors import StripeError

    text = body.decode("utf-8", "replace")
    try:
        fields = (
            json.loads(text)
            if text.lstrip().startswith("{")
            else {k: v[-1] for k, v in parse_qs(text).items()}
        )
    except ValueError:
        return Response.json(400, {"error": "send JSON or form fields"})
    try:
        intent = sandbox.settle_bank_debit(
            intent_id,
            account=fields.get("account") or sandbox.locate(intent_id),
            succeed=fields.get("outcome", "succeeded") != "failed",
            failure_code=fields.get("failure_code") or "insufficient_funds",
        )
    except StripeError as exc:
        return Response.json(exc.status, exc.body())
    return Response.json(200, {"id": intent["id"], "status": intent["status"]})
