"""The hosted onboarding page an account link points to.

A person fills in the business details (or ticks "leave a requirement due"), the account moves
to `details_submitted` and enabled (or restricted), `account.updated` follows, and the browser
goes back to `return_url`. A used or expired link sends it to `refresh_url`, as Stripe does.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..http import Response
from ..resources import accounts
from .html import field, form_data, page

if TYPE_CHECKING:
    from ..host import Host


def _link(sandbox: Host, token: str) -> dict | None:
    with sandbox.lock:
        return sandbox.store.table("account_links").get(token)


def _stale(sandbox: Host, link: dict) -> Response | None:
    if link["used"] or sandbox.now() > link["expires_at"]:
        if link.get("refresh_url"):
            return Response.redirect(link["refresh_url"])
        return Response.html(
            page(
                "Link expired",
                "<h1>This onboarding link has expired</h1><p>Ask the platform for a new one.</p>",
            ),
            status=410,
        )
    return None


def get(sandbox: Host, token: str) -> Response:
    link = _link(sandbox, token)
    if link is None:
        return Response.html(page("Not found", "<h1>Unknown onboarding link</h1>"), status=404)
    stale = _stale(sandbox, link)
    if stale:
        return stale
    account = sandbox.get(link["account"]) or {}
    name = (account.get("business_profile") or {}).get("name") or ""
    body = f"""
<h1>Set up payments for your business</h1>
<p class="muted">Account <code>{escape(link["account"])}</code> · {escape(link["type"].replace("_", " "))}</p>
<form method="post">
  {field("business_name", "Business name", name or "Sandbox Studio")}
  {field("url", "Business website", "https://studio.example", kind="url")}
  <label for="mcc">Industry</label>
  <select id="mcc" name="mcc"><option value="7997">Fitness and recreation clubs</option>
  <option value="7911">Dance studios and schools</option><option value="8299">Schools and educational
  services</option></select>
  <div class="row"><div>{field("first_name", "Representative first name", "Jenny")}</div>
  <div>{field("last_name", "Representative last name", "Rosen")}</div></div>
  {field("account_number", "Bank account number (test)", "000123456789")}
  <label><input type="checkbox" name="leave_requirement_due" value="1">
  Leave a requirement due (the account stays restricted)</label>
  <button type="submit">Agree and submit</button>
</form>"""
    return Response.html(page("Onboarding", body))


def post(sandbox: Host, token: str, body: bytes) -> Response:
    link = _link(sandbox, token)
    if link is None:
        return Response.html(page("Not found", "<h1>Unknown onboarding link</h1>"), status=404)
    stale = _stale(sandbox, link)
    if stale:
        return stale
    form = form_data(body)

    def submit(ctx):
        accounts.submit_onboarding(
            ctx,
            link["account"],
            leave_requirement_due=bool(form.get("leave_requirement_due")),
            business_name=form.get("business_name") or "Sandbox Studio",
            url=form.get("url") or "https://studio.example",
            mcc=form.get("mcc") or "7997",
        )
        link["used"] = True

    sandbox.run(submit)
    if link.get("return_url"):
        return Response.redirect(link["return_url"])
    return Response.html(page("Done", "<h1>Thanks — your details were submitted</h1>"))
