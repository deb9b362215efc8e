"""A refusal answered to an htmx request is shown, not dropped (htmx ignores 4xx by default)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_a_nul_in_an_htmx_request_is_retargeted_to_the_alert_region(client, studio, owner, password):
    client.force_login(owner.user)
    response = client.get(f"/{studio.slug}/manage/clients/", {"q": "ab\x00c"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#live-alerts"
    assert response["HX-Reswap"] == "innerHTML"
    body = response.content.decode()
    assert "<html" not in body and "Nothing was saved" in body


@pytest.mark.django_db
def test_a_nul_in_a_plain_request_gets_the_full_page(client, studio, owner, password):
    client.force_login(owner.user)
    response = client.get(f"/{studio.slug}/manage/clients/", {"q": "ab\x00c"})
    assert response.status_code == 400
    assert "HX-Retarget" not in response
    assert "<html" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_person_sees_why_an_htmx_search_was_refused(page, log_in_as, studio, owner, password):
    log_in_as(owner.user.email, password)
    page.goto(f"/{studio.slug}/manage/clients/")
    assert page.locator("#live-alerts").inner_text() == ""
    page.fill("input[name=q]", "ab\x00c")
    page.wait_for_function("document.querySelector('#live-alerts').innerText.includes('Nothing was saved')")
    assert page.locator("#live-alerts").is_visible()
    page.fill("input[name=q]", "abc")
    page.wait_for_function("document.querySelector('#live-alerts').innerText === ''")
    assert not page.locator("#live-alerts").is_visible()
