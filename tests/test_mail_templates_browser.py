"""Settings > Emails in Debian's chromium: customize an email, insert a placeholder by clicking it,
preview it with sample data (htmx, in a sandboxed frame), save, reset; no serious axe finding."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from studio.notifications.models import MailTemplateOverride
from tests.browser import axe_violations, describe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_customizes_previews_saves_and_resets_an_email(page, log_in_as, studio, owner, password):
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/settings/")
    page.click("nav.tabs >> text=Emails")
    page.wait_for_url("**/manage/settings/emails/")
    assert not (found := axe_violations(page)), describe_violations(found)

    page.click("a[aria-label='Customize — Booking confirmed (English)']")
    page.wait_for_url("**/manage/settings/emails/new/**")
    page.fill("#id_subject", "See you at {class_name}")
    page.fill("#id_body", "Hello ")
    page.locator("#id_body").evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    page.click("button[data-insert='{client_first_name}']")
    assert page.input_value("#id_body") == "Hello {client_first_name}"
    page.fill("#id_body", page.input_value("#id_body") + ",\n\n<b>{starts_at}</b> with {teacher}.")

    with page.expect_response("**/manage/settings/emails/preview/"):
        page.click("text=Preview with sample data")
    frame = page.frame_locator("#mail-preview iframe[sandbox='']")
    assert "Hello Camille," in frame.locator("body").inner_text()
    assert frame.locator("b").inner_text().startswith("Dec. 1, 2026")
    assert "See you at Morning flow" in page.inner_text("#mail-preview")
    assert not (found := axe_violations(page)), describe_violations(found)
    with scopes_disabled():
        assert not MailTemplateOverride.objects.exists()  # a preview saves nothing

    page.fill("#id_body", "Hello {first_name}")
    with page.expect_response("**/manage/settings/emails/preview/"):
        page.click("text=Preview with sample data")
    assert "Unknown placeholder {first_name}" in page.inner_text("#mail-preview")

    page.fill("#id_body", "Hello {client_first_name}, see you.")
    page.click("button.primary:text('Save')")
    page.wait_for_url("**/manage/settings/emails/*/")
    with scopes_disabled():
        override = MailTemplateOverride.objects.get(studio=studio)
    assert override.body == "Hello {client_first_name}, see you."

    page.click("text=Reset to the default")
    page.wait_for_load_state()
    page.click("main button[type=submit].danger, main button[type=submit]:has-text('Reset to the default')")
    page.wait_for_url("**/manage/settings/emails/")
    with scopes_disabled():
        assert not MailTemplateOverride.objects.exists()
