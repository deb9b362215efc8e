# ruff: noqa: F811 - the sandbox fixtures are imported from payments' conftest and named as arguments
"""Card reader pages in chromium (helper rdr): the front desk pairs the sandbox's simulated reader
through the form, tests its connection from the troubleshooting page (answered in place, in a live
region), and every reader page and the POS settings pass axe and fit a 1024 px tablet (SPEC Q-6)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from payments.models import CardReader
from payments.tests.conftest import live_sandbox, make_account  # noqa: F401 - fixtures
from stripe_sandbox.resources.terminal import simulate
from studio.permissions import RoleKind
from tests.browser import axe_violations, describe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(live_sandbox):
    """Every helper (make_account…) talks to the served sandbox the app's server thread uses."""
    return live_sandbox


def _fits_and_passes_axe(page, path: str) -> list[str]:
    problems = []
    response = page.goto(path)
    if response is None or response.status >= 400:
        return [f"{path} answered {response and response.status}"]
    page.wait_for_load_state("networkidle")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"{path} is {scroll}px wide at {inner}px")
    if violations := axe_violations(page):
        problems.append(f"{path}:\n{describe_violations(violations)}")
    return problems


def test_the_front_desk_pairs_a_reader_and_tests_its_connection(
    page, log_in_as, sandbox, studio, location, make_account, staff_factory, password, owner
):
    make_account(studio, name="Plateau account", default=True, locations=[location])
    desk = staff_factory(RoleKind.FRONT_DESK)
    log_in_as(desk.user.email, password)
    base = f"/{studio.slug}/manage/pos/readers"
    page.goto(f"{base}/")
    page.click("text=New card reader")
    page.wait_for_load_state()
    assert "simulated-wpe" in page.content()
    page.fill("#id_label", "Front desk")
    page.fill("#id_registration_code", "simulated-wpe")
    page.click("button:has-text('Pair the reader')")
    page.wait_for_load_state()
    assert "paired at Plateau" in page.content()
    with scopes_disabled():
        reader = CardReader.objects.get(studio=studio)

    simulate(sandbox, reader.stripe_reader_id, "offline")
    page.goto(f"{base}/help/")
    page.click(f"#reader-{reader.pk} button:has-text('Test the connection')")
    region = page.locator(f"#reader-check-{reader.pk}")
    region.locator("text=is offline").wait_for()
    assert region.get_attribute("aria-live") == "polite"
    assert page.url.endswith("/help/")  # answered in place, no page load
    simulate(sandbox, reader.stripe_reader_id, "online")
    page.click(f"#reader-{reader.pk} button:has-text('Test the connection')")
    region.locator("text=is online").wait_for()

    problems = []
    for path in (
        f"{base}/",
        f"{base}/new/",
        f"{base}/help/",
        f"{base}/{reader.pk}/edit/",
        f"{base}/{reader.pk}/delete/",
    ):
        problems += _fits_and_passes_axe(page, path)
    page.context.clear_cookies()
    log_in_as(owner.user.email, password)
    problems += _fits_and_passes_axe(page, f"/{studio.slug}/manage/pos/settings/")
    assert not problems, "\n".join(problems)
