"""The hosted Checkout page: a summary and a card form; success goes to `success_url`.

Fields are plain, labelled inputs (`email`, `cardnumber`, `exp`, `cvc`, `name`) so a browser
test types a test card number exactly as a customer would on Stripe's page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from .. import errors
from ..http import Response
from ..resources import checkout
from .html import error_box, field, form_data, money, page

if TYPE_CHECKING:
    from ..host import Host


def _session(sandbox: Host, session_id: str) -> tuple[str | None, dict[str, Any] | None]:
    account = sandbox.locate(session_id)
    return account, sandbox.get(session_id, account)


def _parse_exp(value: str) -> tuple[int, int]:
    cleaned = value.replace(" ", "").replace("-", "/")
    if "/" in cleaned:
        month, year = cleaned.split("/", 1)
    else:
        month, year = cleaned[:2], cleaned[2:]
    try:
        month_n, year_n = int(month), int(year)
    except ValueError:
        raise errors.card_error(
            "Your card's expiration date is incomplete.", code="invalid_expiry_month", param="exp_month"
        ) from None
    return month_n, year_n + 2000 if year_n < 100 else year_n


def submit(
    sandbox: Host,
    session_id: str,
    *,
    account: str | None,
    number: str,
    exp: str,
    cvc: str | None,
    email: str | None,
    name: str | None = None,
) -> str:
    """Pay the session; returns where the browser goes next. Raises StripeError on a decline."""
    account = account or sandbox.locate(session_id)
    month, year = _parse_exp(exp)

    def pay(ctx: Any) -> tuple[str, dict[str, Any]]:
        session = ctx.get("checkout.session", session_id, param="session")
        intent = checkout.pay(
            ctx,
            session,
            number=number.replace(" ", ""),
            exp_month=month,
            exp_year=year,
            cvc=cvc or None,
            email=email or None,
            name=name or None,
        )
        return intent["status"], dict(session)

    status, session = sandbox.run(pay, account=account)
    if status == "requires_action":
        intent = session["payment_intent"] or session["setup_intent"]
        return (
            f"{sandbox.public_url}/_sandbox/3ds/{intent}?return_to="
            f"{sandbox.public_url}/_sandbox/checkout/{session_id}"
        )
    return checkout.success_redirect(session) or f"{sandbox.public_url}/_sandbox/checkout/{session_id}"


def get(sandbox: Host, session_id: str, error: str | None = None) -> Response:
    account, session = _session(sandbox, session_id)
    if session is None:
        return Response.html(page("Not found", "<h1>Unknown checkout session</h1>"), status=404)

    def refresh(ctx: Any) -> dict[str, Any]:
        stored = ctx.get("checkout.session", session_id, param="session")
        checkout.expire_if_due(ctx, stored)
        checkout.finalize(ctx, stored)  # e.g. back from a 3DS challenge that succeeded
        return dict(stored)

    session = sandbox.run(refresh, account=account)
    if session["status"] == "complete":
        target = checkout.success_redirect(session)
        if target:
            return Response.redirect(target)
        return Response.html(page("Thank you", "<h1>Payment complete</h1>"))
    if session["status"] == "expired":
        cancel = session.get("cancel_url")
        link = f'<p><a href="{escape(cancel)}">Return to the merchant</a></p>' if cancel else ""
        return Response.html(page("Expired", f"<h1>This checkout session has expired</h1>{link}"), status=410)
    intent_id = session["payment_intent"] or session["setup_intent"]
    intent = sandbox.get(intent_id, account) if intent_id else None
    if error is None and intent:
        last = intent.get("last_payment_error") or intent.get("last_setup_error")
        error = last["message"] if last else None
    return Response.html(page("Checkout", _form(sandbox, session, account, error)))


def _form(sandbox: Host, session: dict[str, Any], account: str | None, error: str | None) -> str:
    with sandbox.lock:
        items = sandbox.store.private(session["id"]).get("line_items", [])
    rows = "".join(
        f"<tr><td>{escape(i['description'] or '')} × {i['quantity']}</td>"
        f"<td>{money(i['amount_total'], i['currency'])}</td></tr>"
        for i in items
    )
    paying = session["mode"] == "payment"
    summary = (
        (
            f"<table>{rows}<tr><th>Total</th><th>{money(session['amount_total'], session['currency'])}</th></tr>"
            "</table>"
        )
        if paying
        else "<p>Save a card for future payments.</p>"
    )
    email = session.get("customer_email") or ""
    cancel = session.get("cancel_url")
    back = f'<p class="muted"><a href="{escape(cancel)}">Cancel and go back</a></p>' if cancel else ""
    return f"""
<h1>{"Pay" if paying else "Set up a card"}</h1>{summary}{error_box(error)}
<form method="post">
  {field("email", "Email", email, kind="email", autocomplete="email")}
  {field("cardnumber", "Card number", placeholder="4242 4242 4242 4242")}
  <div class="row"><div>{field("exp", "Expiration (MM / YY)", placeholder="12 / 34")}</div>
  <div>{field("cvc", "CVC", placeholder="123")}</div></div>
  {field("name", "Name on card", required=False)}
  <button type="submit">{"Pay " + money(session["amount_total"], session["currency"]) if paying else "Save card"}</button>
</form>{back}
<p class="muted">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined,
4000 0027 6000 3184 asks for authentication.</p>"""


def post(sandbox: Host, session_id: str, body: bytes) -> Response:
    form = form_data(body)
    account, session = _session(sandbox, session_id)
    if session is None:
        return Response.html(page("Not found", "<h1>Unknown checkout session</h1>"), status=404)
    try:
        target = submit(
            sandbox,
            session_id,
            account=account,
            number=form.get("cardnumber", ""),
            exp=form.get("exp", ""),
            cvc=form.get("cvc"),
            email=form.get("email"),
            name=form.get("name"),
        )
    except errors.StripeError as exc:
        return get(sandbox, session_id, error=exc.message)
    return Response.redirect(target)
