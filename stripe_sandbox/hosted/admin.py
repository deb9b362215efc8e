"""The sandbox's own switches (`/_sandbox/...`): faults, reset, delivery, and a small dashboard.

The demo's "admin switch" for fault injection is `POST /_sandbox/faults` (JSON or form:
`kind`, optional `path_prefix`, `count`, `method`); the dashboard offers the same as a form,
plus a way to tap a test card on a simulated reader that is waiting for one.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from .. import errors
from ..faults import KINDS
from ..http import Response
from ..resources import terminal
from .html import form_data, page

if TYPE_CHECKING:
    from ..host import Host


def _payload(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(body or b"{}")
    return form_data(body)


def _back_or_json(is_form: bool, payload: Any) -> Response:
    return Response.redirect("/_sandbox/") if is_form else Response.json(200, payload)


def faults(sandbox: Host, method: str, body: bytes, content_type: str) -> Response:
    if method == "GET":
        return Response.json(
            200,
            {
                "armed": [vars(f) for f in sandbox.faults.armed],
                "fired": [list(f) for f in sandbox.faults.fired],
            },
        )
    data = _payload(body, content_type)
    if data.get("clear"):
        sandbox.faults.clear()
        return _back_or_json("json" not in content_type, {"armed": []})
    try:
        fault = sandbox.faults.next(
            str(data.get("kind")),
            data.get("path_prefix") or None,
            int(data.get("count") or 1),
            data.get("method") or None,
        )
    except ValueError as exc:
        return Response.json(400, {"error": {"type": "invalid_request_error", "message": str(exc)}})
    return _back_or_json("json" not in content_type, {"armed": vars(fault)})


def reset(sandbox: Host, content_type: str) -> Response:
    sandbox.reset()
    return _back_or_json("json" not in content_type, {"reset": True})


def deliver(sandbox: Host, content_type: str) -> Response:
    attempts = sandbox.deliver_pending()
    return _back_or_json("json" not in content_type, {"attempts": attempts})


def present_card(sandbox: Host, reader_id: str, body: bytes) -> Response:
    number = form_data(body).get("number") or "4242424242424242"
    account = sandbox.locate(reader_id)

    def tap(ctx: Any) -> Any:
        ctx.path_args = {"id": reader_id}
        ctx.params = {"type": "card_present", "card_present": {"number": number}}
        return terminal.present_payment_method(ctx)

    try:
        sandbox.run(tap, account=account)
    except errors.StripeError as exc:
        return Response.html(page("Error", f"<p class='error'>{escape(exc.message)}</p>"), status=exc.status)
    return Response.redirect("/_sandbox/")


def dashboard(sandbox: Host) -> Response:
    with sandbox.lock:
        scopes = list(sandbox.store.objects.items())
        deliveries = list(sandbox.webhooks.deliveries[-15:])
    events: list[dict[str, Any]] = []
    waiting: list[tuple[str | None, dict[str, Any]]] = []
    for scope, objects in scopes:
        for obj in objects.values():
            if obj.get("object") == "event":
                events.append(obj)
            elif (
                obj.get("object") == "terminal.reader"
                and (obj.get("action") or {}).get("status") == "in_progress"
            ):
                waiting.append((scope, obj))
    events.sort(key=lambda e: sandbox.store.seq.get(e["id"], 0), reverse=True)
    event_rows = "".join(
        f"<tr><td><code>{escape(e['id'])}</code></td><td>{escape(e['type'])}</td>"
        f"<td>{escape(e.get('account') or 'platform')}</td></tr>"
        for e in events[:25]
    )
    delivery_rows = "".join(
        f"<tr><td><code>{escape(d['event'])}</code></td><td>{escape(d['url'])}</td><td>{escape(d['status'])}</td>"
        f"<td>{', '.join(str(a['status'] or a['error']) for a in d['attempts'])}</td></tr>"
        for d in reversed(deliveries)
    )
    readers = "".join(
        f"<form method='post' action='/_sandbox/readers/{escape(r['id'])}/present'><p>Reader "
        f"<code>{escape(r['label'] or r['id'])}</code> is waiting for "
        f"<code>{escape(r['action']['process_payment_intent']['payment_intent'])}</code>. "
        "<select name='number'><option value='4242424242424242'>Visa (succeeds)</option>"
        "<option value='4000000000000002'>Declined card</option>"
        "<option value='4000000000009995'>Insufficient funds</option></select> "
        "<button type='submit'>Tap card</button></p></form>"
        for _, r in waiting
    )
    armed = (
        ", ".join(f"{f.kind}×{f.count} on {f.path_prefix or 'any path'}" for f in sandbox.faults.armed)
        or "none"
    )
    options = "".join(f"<option>{k}</option>" for k in KINDS)
    body = f"""
<h1>Stripe sandbox</h1>
<p class="muted">Platform account <code>{escape(sandbox.platform_account)}</code> · webhook delivery:
{escape(sandbox.webhooks.mode)}{" · duplicate" if sandbox.webhooks.duplicate else ""}
{" · shuffle" if sandbox.webhooks.shuffle else ""}</p>
{readers}
<h2>Faults</h2><p>Armed: {escape(armed)}</p>
<form method="post" action="/_sandbox/faults" class="row">
<div><label for="kind">Kind</label><select id="kind" name="kind">{options}</select></div>
<div><label for="path_prefix">Path prefix</label><input type="text" id="path_prefix" name="path_prefix"
placeholder="/v1/payment_intents"></div><div><label for="count">Count</label>
<input type="text" id="count" name="count" value="1"></div><div><button type="submit">Arm</button></div></form>
<form method="post" action="/_sandbox/deliver"><button type="submit" class="secondary">Deliver pending webhooks
</button></form>
<h2>Recent events</h2><table><tr><th>id</th><th>type</th><th>account</th></tr>{event_rows}</table>
<h2>Recent webhook deliveries</h2><table><tr><th>event</th><th>endpoint</th><th>status</th><th>attempts</th></tr>
{delivery_rows}</table>
<form method="post" action="/_sandbox/reset" onsubmit="return confirm('Forget everything?')">
<button type="submit" class="secondary">Reset all sandbox state</button></form>"""
    return Response.html(page("Stripe sandbox", body, wide=True))


def receipt(sandbox: Host, charge_id: str) -> Response:
    account = sandbox.locate(charge_id)
    charge = sandbox.get(charge_id, account)
    if charge is None or charge.get("object") != "charge":
        return Response.html(page("Not found", "<h1>Unknown receipt</h1>"), status=404)
    amount = f"{charge['amount'] / 100:.2f} {charge['currency'].upper()}"
    return Response.html(
        page(
            "Receipt",
            f"<h1>Receipt</h1><p>{escape(amount)} — {escape(charge['status'])}</p>"
            f"<p class='muted'><code>{escape(charge_id)}</code></p>",
        )
    )
