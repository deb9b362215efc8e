"""The Stripe.js stand-in speaks the page's language, as Stripe.js does with its `locale` option.

A French page (`Stripe(pk, {locale: "fr"})`) gets French labels and French card errors; "auto"
(the default) follows the browser's language; an explicit locale wins over the browser's.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stripe_sandbox import Sandbox
from stripe_sandbox.server import SandboxServer

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><body>
<div id="card"></div><button id="save">Save</button><p id="out"></p><p id="live"></p>
<script src="{sandbox}/_sandbox/js/stripe.js"></script>
<script>
  const query = new URLSearchParams(location.search);
  const options = query.get("locale") ? {{locale: query.get("locale")}} : {{}};
  const stripe = Stripe("pk_test_sandbox", options);
  const elementsLocale = query.get("elements_locale");
  const card = stripe.elements(elementsLocale ? {{locale: elementsLocale}} : {{}}).create("card");
  card.on("change", (event) => {{ document.querySelector("#live").textContent = event.error ? event.error.message : ""; }});
  card.mount("#card");
  document.querySelector("#save").addEventListener("click", async () => {{
    const result = await stripe.confirmCardSetup(query.get("secret"), {{payment_method: {{card}}}});
    document.querySelector("#out").textContent = result.error ? result.error.message : "ok";
  }});
</script></body></html>"""


@pytest.fixture
def servers() -> Iterator[tuple[Sandbox, str]]:
    if not shutil.which("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    sandbox = Sandbox()
    api = SandboxServer(sandbox, "127.0.0.1", 0).start()
    html = PAGE.format(sandbox=api.url).encode()

    class AppPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args) -> None:
            pass

    app = ThreadingHTTPServer(("127.0.0.1", 0), AppPage)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    try:
        yield sandbox, f"http://127.0.0.1:{app.server_address[1]}"
    finally:
        app.shutdown()
        api.stop()


def _decline(page, sandbox: Sandbox, app_url: str, query: str) -> tuple[str, str]:
    client = sandbox.client()
    secret = client.v1.setup_intents.create({"customer": client.v1.customers.create({}).id}).client_secret
    page.goto(f"{app_url}/?secret={secret}&{query}")
    label = page.inner_text("label[for^=sandbox-field]")
    page.fill('input[name="sandbox-cardnumber"]', "4000 0000 0000 9995")  # insufficient funds
    page.fill('input[name="sandbox-exp"]', "12 / 34")
    page.fill('input[name="sandbox-cvc"]', "123")
    page.click("#save")
    page.wait_for_function("document.querySelector('#out').textContent !== ''", timeout=10_000)
    return label, page.text_content("#out")


def test_french_locale_labels_fields_and_words_errors_in_french(servers, browser) -> None:
    sandbox, app_url = servers
    context = browser.new_context(locale="en-CA")
    page = context.new_page()
    label, error = _decline(page, sandbox, app_url, "locale=fr")
    assert label == "Numéro de carte"
    assert page.get_attribute('input[name="sandbox-exp"]', "placeholder") == "MM / AA"
    assert page.inner_text("label[for^=sandbox-field] >> nth=3") == "Code postal"
    assert error == "Les fonds de votre carte sont insuffisants."
    # A number that fails the Luhn check is flagged as it is typed, in French too.
    page.fill('input[name="sandbox-cardnumber"]', "4242 4242 4242 4241")
    page.wait_for_function("document.querySelector('#live').textContent !== ''")
    assert page.text_content("#live") == "Votre numéro de carte n'est pas valide."
    context.close()


def test_auto_follows_the_browser_and_an_explicit_locale_wins(servers, browser) -> None:
    sandbox, app_url = servers
    french_browser = browser.new_context(locale="fr-CA")
    page = french_browser.new_page()
    assert _decline(page, sandbox, app_url, "") == (
        "Numéro de carte",
        "Les fonds de votre carte sont insuffisants.",
    )
    assert _decline(page, sandbox, app_url, "locale=en") == (
        "Card number",
        "Your card has insufficient funds.",
    )
    # elements({locale}) overrides Stripe()'s for the fields, as in Stripe.js.
    assert _decline(page, sandbox, app_url, "locale=fr&elements_locale=en")[0] == "Card number"
    french_browser.close()


def test_the_3d_secure_dialog_speaks_french(servers, browser) -> None:
    sandbox, app_url = servers
    client = sandbox.client()
    secret = client.v1.setup_intents.create({"customer": client.v1.customers.create({}).id}).client_secret
    context = browser.new_context(locale="en-CA")
    page = context.new_page()
    page.goto(f"{app_url}/?secret={secret}&locale=fr")
    page.fill('input[name="sandbox-cardnumber"]', "4000 0027 6000 3184")
    page.fill('input[name="sandbox-exp"]', "12 / 34")
    page.fill('input[name="sandbox-cvc"]', "123")
    page.fill('input[name="sandbox-postal"]', "H2X 1Y4")
    page.click("#save")
    page.get_by_role("button", name="Faire échouer l'authentification").click()
    page.wait_for_function("document.querySelector('#out').textContent !== ''")
    assert page.text_content("#out").startswith("Nous n'avons pas pu authentifier")
    context.close()
