"""The waiver editor in Debian's chromium: Trix upgrades both textareas, what is typed is saved
(sanitised), attachments are refused, and axe finds no serious violation."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from tests.browser import axe_violations, describe_violations
from tests.factories import PASSWORD
from waivers.models import Waiver, WaiverVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_waiver_is_created_edited_in_trix_and_published(page, log_in_as, studio, owner):
    log_in_as(owner.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/manage/waivers/")
    page.click("text=New waiver")
    page.check("input[name=kind][value=child]")
    page.fill("#id_name", "Enfants")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/manage/waivers/*/")
    # Both bodies became Trix editors over their (hidden) textareas, holding the standard text.
    page.wait_for_selector("trix-editor[input=id_body_fr]")
    assert page.locator("trix-editor").count() == 2
    assert not page.is_visible("#id_body_fr")
    assert "tuteur" in page.inner_text("trix-editor[input=id_body_fr]")
    # Attachments are refused before Trix takes them.
    refused = page.evaluate(
        """() => { const e = new CustomEvent("trix-file-accept", {bubbles: true, cancelable: true});
                   document.querySelector("trix-editor").dispatchEvent(e); return e.defaultPrevented; }"""
    )
    assert refused is True
    assert not page.is_visible("[data-trix-button-group=file-tools]")
    assert not axe_violations(page), describe_violations(axe_violations(page))
    editor = page.locator("trix-editor[input=id_body_en]")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.type("Only this English text.")
    page.click("form.waiver-form button[type=submit]")
    page.wait_for_load_state()
    with scopes_disabled():
        waiver = Waiver.objects.get(studio=studio)
        version = WaiverVersion.objects.get(waiver=waiver)
    assert "Only this English text." in version.body_en and "<script" not in version.body_en
    assert "tuteur" in version.body_fr and version.published_at is None
    page.click("text=Publish version 1")
    page.click("section.confirm button[type=submit]")
    page.wait_for_url(f"**/{studio.slug}/manage/waivers/{waiver.pk}/")
    with scopes_disabled():
        waiver.refresh_from_db()
    assert waiver.current_version_id == version.pk


def test_saving_a_standard_text_unchanged_in_trix_opens_no_new_version(page, log_in_as, studio, owner):
    """Our standard texts are written the way Trix writes HTML: opening a published one in the
    editor and saving it as it is gives back the same strings, so no version is made for nothing."""
    from django_scopes import scope

    from studio.services import SYSTEM
    from waivers.services.templates import waiver_create, waiver_publish

    with scope(studio=studio):
        waiver = waiver_create(studio=studio, actor=SYSTEM, kind="custom", name="Photos")
        published = waiver_publish(studio=studio, actor=SYSTEM, waiver=waiver, resign_required=False)
    log_in_as(owner.user.email, PASSWORD)
    page.goto(f"/{studio.slug}/manage/waivers/{waiver.pk}/")
    page.wait_for_selector("trix-editor[input=id_body_en]")
    page.click("form.waiver-form button[type=submit]")
    page.wait_for_load_state()
    with scopes_disabled():
        versions = list(WaiverVersion.objects.filter(waiver=waiver))
    assert [v.pk for v in versions] == [published.pk], [v.body_fr for v in versions[1:]]
