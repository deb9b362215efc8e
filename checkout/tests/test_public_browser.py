"""The public pages on a phone (375 px) and at desktop width, in chromium: nothing wider than the
window, no serious or critical axe finding, in French (the default) and in English, anonymous and
signed in (issue #15: "good on a phone"). The demo-wide walk is tests/test_accessibility.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.tests.factories import product
from scheduling.tests.factories import AppointmentServiceFactory, ClassSessionFactory, ClassTemplateFactory
from tests.browser import axe_violations, describe_violations
from tests.factories import PASSWORD, ClientFactory, LocationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Méditation-pleine-conscience-et-respiration" * 2  # a long unbroken word in a name (86 chars)


@pytest.fixture
def storefront(studio, other_studio, location):
    laval = LocationFactory(studio=studio, name="Laval", address_line="1600 boulevard Le Corbusier")
    for i in range(6):
        ClassSessionFactory(
            studio=studio,
            template=ClassTemplateFactory(
                studio=studio, name=f"Yin {i} {LONG if i == 0 else ''}", drop_in_price=1800
            ),
            location=location if i % 2 else laval,
            starts_in=dt.timedelta(days=i % 3, hours=2 + i),
        )
    PlanFactory(
        studio=studio, name="Ten-class pack", pack=True, featured=True, description="Good for a season."
    )
    PlanFactory(studio=studio, name=f"Unlimited {LONG}", signup_fee_amount=2500)
    product(studio, name="Yoga mat", price_amount=4500, stock={location: 4, laval: 1})
    product(studio, name="Water bottle", stock={laval: 2})
    AppointmentServiceFactory(studio=studio, name="Thai massage")
    with scopes_disabled():
        studio.bio = "Un studio chaleureux sur le Plateau. " * 5
        studio.save(update_fields=["bio"])
    user = UserFactory(email="camille@example.com")
    ClientFactory(studio=studio, first_name="Camille", home_location=location, user=user)
    return {"studio": studio, "email": user.email}


def _walk(page, paths: list[str]) -> list[str]:
    problems = []
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            response = page.goto(path)
            if response is None or response.status >= 400:
                problems.append(f"{path} answered {response and response.status}")
                continue
            page.wait_for_load_state("networkidle")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                problems.append(f"{path} at {width}px is {scroll}px wide")
            if violations := axe_violations(page):
                problems.append(f"{path} at {width}px:\n{describe_violations(violations)}")
    return problems


def test_public_pages_on_a_phone_and_a_desktop(page, storefront):
    slug = storefront["studio"].slug
    paths = [f"/{slug}/", f"/{slug}/plans/", f"/{slug}/shop/"]
    problems = _walk(page, paths)  # in English: the browser asks for it (locale en-CA)
    page.goto(f"/{slug}/account/login/")
    page.fill("input[name=username]", storefront["email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    # Signed in, in French (the language cookie, as the language switch sets it).
    from django.conf import settings

    host = page.url.split("/")[2].split(":")[0]
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "domain": host, "path": "/"}]
    )
    problems += _walk(page, paths)
    assert 'lang="fr"' in page.content()
    assert not problems, "\n".join(problems)
