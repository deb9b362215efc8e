"""The cart in Debian's chromium on a phone-sized screen: − / + and remove through htmx (the
fragment and the header's badge swapped in place), and no serious axe violation with lines."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.tests.factories import product as make_product
from tests.browser import axe_violations, describe_violations
from tests.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cart_quantities_and_remove_on_a_phone(page, studio):
    page.set_viewport_size({"width": 390, "height": 844})
    location = LocationFactory(studio=studio, name="Plateau")
    mat = make_product(studio, name="Cork mat", price_amount=4000, stock={location: 3})
    PlanFactory(studio=studio, name="10-class pack", pack=True)
    cart = f"/{studio.slug}/cart/"
    page.goto(cart)
    assert page.get_by_test_id("cart-empty").is_visible()
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = page.request.post(
        f"/{studio.slug}/cart/add/",
        form={"kind": "product", "product": str(mat.pk), "location": str(location.pk), "quantity": "1"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert answer.ok
    page.goto(cart)
    assert "Cork mat" in page.get_by_test_id("cart").inner_text()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.get_by_role("button", name="One more — Cork mat").click()
    page.wait_for_function("document.querySelector('#cart-badge .badge')?.innerText === '2'")
    assert page.locator("input[name=quantity]").input_value() == "2"
    assert "$80.00" in page.get_by_test_id("cart-total").inner_text()
    assert page.url.endswith(cart)  # swapped in place, no navigation

    page.get_by_role("button", name="Remove — Cork mat").click()
    page.get_by_test_id("cart-empty").wait_for()
    assert page.locator("#cart-badge .badge").count() == 0
    with scopes_disabled():
        from checkout.models import OrderLine

        assert not OrderLine.objects.exists()
