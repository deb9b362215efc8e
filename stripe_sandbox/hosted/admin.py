"""The sandbox's own switches (`/_sandbox/...`): faults, reset, delivery, and a small dashboard.

The demo's "admin switch" for fault injection is `POST /_sandbox/faults` (JSON or form:
`kind`, optional `path_prefix`, `count`, `method`); the dashboard offers the same as a form,
plus every simulated reader: its connection switch and, when it waits for a card, the amount, the
tip choices, and what a customer can do at it (present and hold, approve, decline, cancel, time
out) — so a person can try a reader payment without hardware.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import TYPE_CHECKING, Any

from .. import errors
from ..faults import KINDS
from ..http import Response
from ..resources import terminal
from .html import form_data, money, page

if TYPE_CHECKING:
    from ..host import Host

ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "huf"}


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
    """The older one-step form: tap `number` (default Visa) on a reader waiting for a card."""
    number = form_data(body).get("number") or terminal.DEFAULT_CARD
    try:
        terminal.simulate(sandbox, reader_id, "approve", number=number)
    except errors.StripeError as exc:
        return Response.html(page("Error", f"<p class='error'>{escape(exc.message)}</p>"), status=exc.status)
    return Response.redirect("/_sandbox/")


def parse_tip(text: str, currency: str) -> int:
    """A tip typed by a person ("2.50", "2,50", "3") → minor units; ValueError when it is not one."""
    text = text.strip()
    zero_decimal = currency.lower() in ZERO_DECIMAL
    pattern = r"\d{1,7}" if zero_decimal else r"\d{1,7}([.,]\d{1,2})?"
    if not re.fullmatch(pattern, text, flags=re.ASCII):
        raise ValueError("Type the tip as an amount, for example 2.50.")
    if zero_decimal:
        return int(text)
    whole, _, cents = text.replace(",", ".").partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def reader_action(sandbox: Host, reader_id: str, body: bytes, content_type: str) -> Response:
    """`POST /_sandbox/readers/<id>/action` with `do` (one of `terminal.SIMULATIONS`), optionally
    `number` and the tip: `amount_tip` in minor units (JSON), or the dashboard's `tip` choice
    (`none`, `custom` with `custom_tip` typed as "2.50", or an amount in minor units)."""
    is_json = "json" in content_type
    try:
        data = _payload(body, content_type)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _action_error(is_json, 400, "Send JSON or form fields.")
    what = str(data.get("do") or "")
    number = str(data.get("number") or "") or None
    try:
        amount_tip = _tip_from(sandbox, reader_id, data)
        reader = terminal.simulate(sandbox, reader_id, what, number=number, amount_tip=amount_tip)
    except ValueError as exc:
        return _action_error(is_json, 400, str(exc))
    except errors.StripeError as exc:
        return _action_error(is_json, exc.status, exc.message)
    return Response.json(200, reader) if is_json else Response.redirect("/_sandbox/")


def _tip_from(sandbox: Host, reader_id: str, data: dict[str, Any]) -> int | None:
    if data.get("amount_tip") not in (None, ""):
        value = data["amount_tip"]
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,8}", str(value), flags=re.ASCII):
            raise ValueError("amount_tip is a whole number of minor units.")
        return int(value)
    choice = str(data.get("tip") or "none")
    typed = str(data.get("custom_tip") or "").strip()
    if choice == "none" and not typed:
        return None
    if choice in ("none", "custom"):  # a typed amount counts even if "Custom tip" was not ticked
        with sandbox.lock:
            account = sandbox.locate(reader_id)
            reader = sandbox.get(reader_id, account) or {}
            scope = account or sandbox.platform_account
            currency = terminal.describe(sandbox, scope, reader)["currency"] if reader else "usd"
        return parse_tip(str(data.get("custom_tip") or ""), currency)
    if not re.fullmatch(r"\d{1,8}", choice, flags=re.ASCII):
        raise ValueError("Pick a tip, no tip, or type a custom one.")
    return int(choice)


def _action_error(is_json: bool, status: int, message: str) -> Response:
    if is_json:
        return Response.json(status, {"error": {"type": "invalid_request_error", "message": message}})
    return Response.html(
        page(
            "Reader",
            f"<p class='error' role='alert'>{escape(message)}</p><p><a href='/_sandbox/'>Back</a></p>",
        ),
        status=status,
    )


def _reader_panel(sandbox: Host, scope: str, reader: dict[str, Any]) -> str:
    """One reader on the dashboard: its label, account and connection switch; when it waits for a
    card, the amount, the tip choices and what the customer can do at the reader."""
    rid = escape(reader["id"])
    name = escape(reader.get("label") or reader["id"])
    opening = f"<section class='reader' id='reader-{rid}' aria-label='Reader {name}'>"
    online = reader.get("status") == "online"
    account = "platform" if scope == sandbox.platform_account else scope
    switch = (
        f"<form method='post' action='/_sandbox/readers/{rid}/action' class='inline'>"
        f"<input type='hidden' name='do' value='{'offline' if online else 'online'}'>"
        f"<button type='submit' class='secondary'>{'Switch offline' if online else 'Switch online'}</button></form>"
    )
    head = (
        f"<h3>{name}</h3>"
        f"<p class='muted'><code>{rid}</code> · account <code>{escape(account)}</code> · "
        f"<strong>{'online' if online else 'offline'}</strong></p>{switch}"
    )
    action = reader.get("action") or {}
    if action.get("status") != "in_progress" or action.get("type") != "process_payment_intent":
        last = ""
        if action.get("status") == "succeeded":
            last = "<p>Last payment: approved.</p>"
        elif action.get("status") == "failed":
            last = (
                f"<p>Last payment: failed — <code>{escape(action.get('failure_code') or '')}</code> "
                f"{escape(action.get('failure_message') or '')}</p>"
            )
        return f"{opening}{head}{last}<p class='muted'>Not waiting for a card.</p></section>"
    info = terminal.describe(sandbox, scope, reader)
    currency = info["currency"]
    held = info["held"]
    buttons: list[tuple[str, str]] = []
    if held:
        tip_text = money(held.get("amount_tip"), currency) if held.get("amount_tip") else "no tip"
        waiting = (
            f"<p><strong>Card presented</strong> (•••• {escape(held['number'][-4:])}, {escape(tip_text)}): "
            "the bank is deciding.</p>"
        )
        tips = ""
        card = ""
        buttons = [
            ("approve", "Approve"),
            ("decline_generic", "Decline (generic)"),
            ("decline_insufficient_funds", "Decline (insufficient funds)"),
            ("decline_expired", "Decline (expired card)"),
        ]
    else:
        waiting = "<p>Waiting for a card.</p>"
        if info["skip_tipping"]:
            tips = "<p class='muted'>No tip screen for this payment.</p>"
        else:
            options = ["<label><input type='radio' name='tip' value='none' checked> No tip</label>"]
            for choice in info["tip_choices"]:
                shown = f"{choice['percent']} % — " if choice["percent"] is not None else ""
                options.append(
                    f"<label><input type='radio' name='tip' value='{int(choice['amount'])}'> "
                    f"{escape(shown + money(choice['amount'], currency))}</label>"
                )
            options.append(
                f"<label><input type='radio' name='tip' value='custom'> Custom tip</label>"
                f"<label for='custom-{rid}'>Custom tip amount ({escape(currency.upper())})</label>"
                f"<input type='text' id='custom-{rid}' name='custom_tip' inputmode='decimal' maxlength='12' "
                "placeholder='2.50'>"
            )
            tips = f"<fieldset><legend>Tip</legend>{''.join(options)}</fieldset>"
        card = (
            f"<label for='number-{rid}'>Card to present</label><select id='number-{rid}' name='number'>"
            "<option value='4242424242424242'>Visa •••• 4242</option>"
            "<option value='5555555555554444'>Mastercard •••• 4444</option>"
            "<option value='4000001240000000'>Visa (Canada) •••• 0000</option></select>"
        )
        buttons = [
            ("hold", "Present card (hold)"),
            ("approve", "Approve"),
            ("decline_generic", "Decline (generic)"),
            ("decline_insufficient_funds", "Decline (insufficient funds)"),
            ("decline_expired", "Decline (expired card)"),
        ]
        if info["customer_cancel"]:
            buttons.append(("customer_cancel", "Cancel on the reader"))
        buttons.append(("timeout", "Time out"))
    amount = (
        f"<p>Amount: <strong>{escape(money(info['amount'], currency))}</strong> "
        f"<span class='muted'>(<code>{escape(info['payment_intent'] or '')}</code>, "
        f"{escape(info['intent_status'] or '')})</span></p>"
    )
    secondary = " class='secondary'"
    button_html = " ".join(
        f"<button type='submit' name='do' value='{value}'"
        f"{secondary if value in ('customer_cancel', 'timeout') else ''}>{escape(text)}</button>"
        for value, text in buttons
    )
    return (
        f"{opening}{head}<form method='post' action='/_sandbox/readers/{rid}/action'>"
        f"{waiting}{amount}{tips}{card}<div>{button_html}</div></form></section>"
    )


def dashboard(sandbox: Host) -> Response:
    with sandbox.lock:
        scopes = list(sandbox.store.objects.items())
        deliveries = list(sandbox.webhooks.deliveries[-15:])
        panels = [
            _reader_panel(sandbox, scope, obj)
            for scope, objects in scopes
            for obj in objects.values()
            if obj.get("object") == "terminal.reader" and not obj.get("deleted")
        ]
    events: list[dict[str, Any]] = [
        obj for _, objects in scopes for obj in objects.values() if obj.get("object") == "event"
    ]
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
    readers = (
        "<style>.reader{border-top:1px solid #e3e8ee;padding:.5rem 0}.reader fieldset label{display:inline-block;"
        "margin-right:1rem}.reader button{margin-top:.4rem}</style><h2>Card readers</h2>" + "".join(panels)
        if panels
        else ""
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
