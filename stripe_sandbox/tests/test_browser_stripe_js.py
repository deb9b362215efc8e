"""The Stripe.js stand-in in a real browser: a page on another origin mounts the card element,
a person types a test card, and `confirmCardSetup` resolves like Stripe.js (3DS dialog included)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stripe_sandbox import Sandbox
from stripe_sandbox.server import SandboxServer

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE = """<!doctype html><html><body>
<div id="card"></div><button id="save">Save card</button><p id="out"></p>
<script src="{sandbox}/_sandbox/js/stripe.js"></script>
<script>
  const stripe = Stripe("pk_test_sandbox");
  const card = stripe.elements().create("card", {{hidePostalCode: true}});
  card.mount("#card");
  document.querySelector("#save").addEventListener("click", async () => {{
    const secret = new URLSearchParams(location.search).get("secret");
    const result = await stripe.confirmCardSetup(secret, {{payment_method: {{card, billing_details: {{name: "Ada"}}}}}});
    document.querySelector("#out").textContent =
      result.error ? "error:" + (result.error.decline_code || result.error.code) : "ok:" + result.setupIntent.status;
  }});
</script></body></html>"""


@pytest.fixture
def servers() -> Iterator[tuple[Sandbox, str, str]]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    sandbox = Sandbox()
    api = SandboxServer(sandbox, "127.0.0.1", 0).start()
    html = PAGE.format(sandbox=api.url).encode()

    class AppPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args) -> None:
            pass

    app = ThreadingHTTPServer(("127.0.0.1", 0), AppPage)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    try:
        yield sandbox, api.url, f"http://127.0.0.1:{app.server_address[1]}"
    finally:
        app.shutdown()
        api.stop()


def test_card_element_confirm_setup_with_and_without_3ds(servers, browser) -> None:
    # `browser` is the suite's shared, session-wide Chromium (tests/browser.py): one Playwright
    # per process, since Playwright's sync API cannot run inside another of its own loops.
    sandbox, _, app_url = servers
    client = sandbox.client()
    customer = client.v1.customers.create({})
    page = browser.new_page()
    for number, expected, click in (
        ("4242 4242 4242 4242", "ok:succeeded", None),
        ("4000 0000 0000 0002", "error:generic_decline", None),
        ("4000 0027 6000 3184", "ok:succeeded", "Complete authentication"),
    ):
        si = client.v1.setup_intents.create({"customer": customer.id})
        page.goto(f"{app_url}/?secret={si.client_secret}")
        page.fill('input[name="sandbox-cardnumber"]', number)
        page.fill('input[name="sandbox-exp"]', "12 / 34")
        page.fill('input[name="sandbox-cvc"]', "123")
        page.click("#save")
        if click:
            page.get_by_role("button", name=click).click()
        page.wait_for_function("document.querySelector('#out').textContent !== ''", timeout=10_000)
        assert page.text_content("#out") == expected
    page.close()
    saved = client.v1.payment_methods.list({"customer": customer.id})
    assert sorted(p.card.last4 for p in saved.data) == ["3184", "4242"]
