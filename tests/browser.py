"""Playwright fixtures shared by every browser test (import them in a conftest).

Debian's chromium, headless, with the flags DESIGN.md lists: without them it stalls on the
machines' missing network. pytest-django's `live_server` serves the app from a thread.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the same
    # test thread are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-CA", viewport={"width": 1024, "height": 768}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in_as(page):
    """Log in through the real form."""

    def do(email: str, password: str):
        page.goto("/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return do


BLOCKING_IMPACTS = ("critical", "serious")


def axe_violations(page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict]:
    """axe-core's violations of these impacts on the page as it stands (axe-playwright-python
    bundles axe-core: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in impacts]


def describe_violations(violations: list[dict]) -> str:
    """One line per violation and element: rule, impact, selector, axe's own message."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(
                f"{violation['id']} ({violation['impact']}) {' '.join(map(str, node['target']))}: "
                f"{node.get('failureSummary', '').splitlines()[-1] if node.get('failureSummary') else ''}"
            )
    return "\n".join(lines)


def fill_sandbox_card(page, number: str, *, postal: str = "H2J 2K9") -> None:
    """Type a test card into the sandbox's stand-in of Stripe's card fields (plain labelled inputs)."""
    page.fill("input[name=sandbox-cardnumber]", number)
    page.fill("input[name=sandbox-exp]", "12 / 34")
    page.fill("input[name=sandbox-cvc]", "123")
    if page.query_selector("input[name=sandbox-postal]"):
        page.fill("input[name=sandbox-postal]", postal)


def wait_until(page, predicate, timeout_ms: int = 15_000) -> None:
    """Poll `predicate` until it holds (a page that moves on by itself: Stripe.js, a poll, a
    redirect after 3-D Secure); fail with where the page is and what it says."""
    for _ in range(timeout_ms // 100):
        if predicate():
            page.wait_for_load_state()
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still on {page.url}: {page.inner_text('main')[:800]}")
