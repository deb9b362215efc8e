"""Waiver signing in Debian's chromium (issue 13): on a touch-sized tablet, staff have a guardian
sign the child waiver for her son with a finger, then open the PDF; a client signs an emailed link
in French with the checkbox."""

from __future__ import annotations

import re

import pytest
from django_scopes import scope, scopes_disabled

from studio.notifications.models import Message
from studio.services import SYSTEM
from tests.browser import axe_violations, describe_violations
from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.models import WaiverLink, WaiverSignature
from waivers.services.signing import _png_has_ink, waiver_link_send
from waivers.tests.factories import published_waiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def tablet(browser, live_server):
    """A touch tablet in portrait (768×1024, touch events on)."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-CA", viewport=TABLET, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, errors
    context.close()


def _touch_stroke(page, cdp, points):
    """One finger stroke through the canvas: touchStart, touchMoves, touchEnd (Chromium turns them
    into the pointer events signature_pad listens to)."""
    box = page.locator("[data-pad-canvas]").bounding_box()

    def at(x, y):
        return [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]

    first, *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(*first)})
    for point in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": at(*point)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _log_in(page, email, password):
    page.goto("/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_guardian_signs_the_child_waiver_for_her_son_on_a_tablet_then_staff_open_the_pdf(
    tablet, studio, owner, password
):
    page, errors = tablet
    waiver = published_waiver(
        studio, kind="child", name="Child waiver", body_en="<p>Ben takes part at our risk.</p>"
    )
    julie = ClientFactory(studio=studio, first_name="Julie", last_name="Roy", email="julie@example.com")
    ben = ClientFactory(studio=studio, first_name="Ben", last_name="Roy", email="")
    FamilyLinkFactory(guardian=julie, dependant=ben)

    _log_in(page, owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/clients/{ben.pk}/waivers/{waiver.pk}/sign/")
    assert "Ben takes part at our risk." in page.inner_text(".waiver-text")
    assert page.locator("select[name=guardian] option:checked").inner_text() == "Julie Roy"
    assert page.input_value("input[name=signer_name]") == "Julie Roy"
    canvas = page.locator("[data-pad-canvas]")
    assert canvas.is_visible()
    box = canvas.bounding_box()
    assert box["width"] >= 600 and box["height"] >= 200  # a pad a finger can sign on
    # High-DPI: the bitmap is the CSS size times the pixel ratio.
    assert abs(page.evaluate("document.querySelector('[data-pad-canvas]').width") - box["width"] * 2) <= 2

    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    # An empty pad does not submit: a message says why.
    page.click("button[type=submit].primary")
    assert page.locator("[data-pad-message]").is_visible()
    assert page.url.endswith("/sign/")

    cdp = page.context.new_cdp_session(page)
    _touch_stroke(page, cdp, [(0.1, 0.7), (0.2, 0.4), (0.3, 0.6), (0.4, 0.3)])
    assert page.input_value("input[name=strokes]") == "1"
    assert not page.locator("[data-pad-message]").is_visible()
    page.click("[data-pad-clear]")  # clear and redo
    assert page.input_value("input[name=strokes]") == "0" and page.input_value("input[name=signature]") == ""
    _touch_stroke(page, cdp, [(0.1, 0.6), (0.25, 0.3), (0.4, 0.7), (0.55, 0.35), (0.7, 0.6)])
    _touch_stroke(page, cdp, [(0.2, 0.8), (0.8, 0.8)])
    assert page.input_value("input[name=strokes]") == "2"
    assert page.input_value("input[name=signature]").startswith("data:image/png;base64,")

    with page.expect_navigation():
        page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "signed" in page.inner_text("main").lower()
    with scopes_disabled():
        signature = WaiverSignature.objects.get(studio=studio, waiver=waiver)
    assert (signature.client_id, signature.signer_id, signature.method) == (ben.pk, julie.pk, "drawn")
    assert signature.witnessed_by_id == owner.user_id and _png_has_ink(bytes(signature.signature_png))

    pdf = page.request.get(f"/{studio.slug}/manage/waivers/signatures/{signature.pk}/pdf/")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert not errors, errors


def test_a_client_signs_an_emailed_link_in_french_by_checkbox(browser, live_server, studio):
    waiver = published_waiver(
        studio,
        body_fr="<p>Je participe à mes propres risques.</p>",
        body_en="<p>I take part at my own risk.</p>",
    )
    lea = ClientFactory(
        studio=studio, first_name="Léa", last_name="Gagnon", email="lea@example.com", language="fr"
    )
    with scope(studio=studio):
        waiver_link_send(studio=studio, actor=SYSTEM, waiver=waiver, client=lea)
    with scopes_disabled():
        body = Message.objects.get(
            studio=studio, template="waivers.link", to_email="lea@example.com"
        ).body_text
    path = re.search(r"https?://[^/\s]+(/\S+/waivers/sign/[A-Za-z0-9_-]+/)", body).group(1)

    context = browser.new_context(base_url=live_server.url, locale="fr-CA", viewport=TABLET, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path)
        assert page.get_attribute("html", "lang") == "fr"
        assert "Je participe à mes propres risques." in page.inner_text(".waiver-text")
        assert page.input_value("input[name=signer_name]") == "Léa Gagnon"
        assert page.locator("[data-pad-canvas]").is_visible()  # drawing is offered too
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
        page.check("input[name=accept]")
        with page.expect_navigation():
            page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert page.locator("[data-signed]").is_visible()
        with scopes_disabled():
            signature = WaiverSignature.objects.get(studio=studio, waiver=waiver, client=lea)
            link = WaiverLink.objects.get(studio=studio, client=lea)
        assert (signature.method, signature.language, signature.link_id) == ("link_checkbox", "fr", link.pk)
        assert link.used_at is not None
        # The link is spent: opened again elsewhere, it says so.
        other = browser.new_context(base_url=live_server.url, locale="fr-CA")
        response = other.new_page().goto(path)
        assert response.status == 410
        other.close()
        assert not errors, errors
    finally:
        context.close()
