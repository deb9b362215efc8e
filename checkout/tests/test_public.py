"""The studio's public pages (CHK-1): home, plans, shop — what they show, to whom, at what cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from memberships.tests.factories import PlanFactory
from pos.tests.factories import product
from scheduling.tests.factories import (
    AppointmentServiceFactory,
    ClassSessionFactory,
    ClassTemplateFactory,
)
from studio.permissions import RoleKind
from tests.factories import ClientFactory, LocationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name: str, studio) -> str:
    return reverse(name, kwargs={"studio_slug": studio.slug})


def make_sessions(studio, location, count: int, *, drop_in_price: int = 1500):
    """`count` classes over the next seven days (in bulk: one template, one teacher)."""
    from scheduling.models import ClassSession

    template = ClassTemplateFactory(studio=studio, drop_in_price=drop_in_price)
    teacher = StaffFactory(studio=studio, kind=RoleKind.TEACHER)
    start = (timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    rows = []
    for i in range(count):
        starts = start + dt.timedelta(days=i % 6, minutes=15 * (i // 6))
        rows.append(
            ClassSession(
                studio=studio,
                template=template,
                teacher=teacher,
                location=location,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                occurrence_date=starts.date(),
                capacity=10,
            )
        )
    with scopes_disabled():
        return ClassSession.objects.bulk_create(rows)


@pytest.fixture
def shop_front(studio, other_studio, location):
    """A studio with a class, plans (one featured), products, a service; the other studio its own."""
    session = ClassSessionFactory(
        studio=studio,
        template=ClassTemplateFactory(studio=studio, name="Hatha doux", drop_in_price=1800),
        location=location,
        starts_in=dt.timedelta(days=1),
    )
    plain = PlanFactory(studio=studio, name="Monthly unlimited", signup_fee_amount=2500)
    featured = PlanFactory(studio=studio, name="Ten-class pack", pack=True, featured=True)
    PlanFactory(studio=studio, name="Old plan", archived_at=timezone.now())
    stocked = product(studio, name="Yoga mat", price_amount=4500, stock={location: 4})
    product(studio, name="Sold-out towel", stock={location: 0})
    AppointmentServiceFactory(studio=studio, name="Thai massage", price_amount=9000)
    other_location = LocationFactory(studio=other_studio, name="Bravo annex")
    ClassSessionFactory(
        studio=other_studio,
        template=ClassTemplateFactory(studio=other_studio, name="Secret class", drop_in_price=999),
        location=other_location,
    )
    PlanFactory(studio=other_studio, name="Secret plan", featured=True)
    product(other_studio, name="Secret mat", stock={other_location: 9})
    return {"session": session, "plain": plain, "featured": featured, "product": stocked}


def test_home_shows_the_week_plans_products_services_and_places(client, studio, shop_front):
    response = client.get(url("studio-home", studio))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Hatha doux", "Monthly unlimited", "Ten-class pack", "Yoga mat", "Thai massage", "Plateau"):
        assert text in html, text
    assert "Old plan" not in html and "Sold-out towel" not in html
    # Featured first.
    assert html.index("Ten-class pack") < html.index("Monthly unlimited")
    # What a plan gives, in words, and the sign-up fee.
    assert "10 classes" in html and "Sign-up fee: $25.00" in html and "every month" in html
    # The drop-in price of the class, and the link to its page and to the full schedule.
    assert "$18.00" in html
    assert f"/schedule/{shop_front['session'].pk}/" in html
    assert url("public-schedule", studio) in html
    # The studio's colours.
    assert studio.brand_primary in html


def test_another_studios_classes_plans_and_products_never_show(client, studio, shop_front):
    for name in ("studio-home", "public-plans", "public-shop"):
        html = client.get(url(name, studio)).content.decode()
        assert "Secret" not in html and "Bravo" not in html, name


def test_the_week_shows_the_next_seven_days_and_not_what_is_over(client, studio, location):
    template = ClassTemplateFactory(studio=studio, name="Later class")
    ClassSessionFactory(studio=studio, template=template, location=location, starts_in=dt.timedelta(days=9))
    ClassSessionFactory(
        studio=studio,
        template=ClassTemplateFactory(studio=studio, name="Done class"),
        location=location,
        starts_in=dt.timedelta(hours=-3),
    )
    html = client.get(url("studio-home", studio)).content.decode()
    assert "Later class" not in html and "Done class" not in html
    assert "No classes in the next seven days." in html


def test_a_busy_day_leaves_the_rest_to_the_full_schedule(client, studio, location):
    from checkout.selectors.public import HOME_SESSIONS_PER_DAY

    make_sessions(studio, location, 6 * (HOME_SESSIONS_PER_DAY + 3))
    response = client.get(url("studio-home", studio))
    for day in response.context["home"].week:
        assert len(day.sessions) <= HOME_SESSIONS_PER_DAY
    assert "more classes this day" in response.content.decode()


def test_pay_and_book_posts_a_drop_in_to_the_cart(client, studio, shop_front):
    html = client.get(url("studio-home", studio)).content.decode()
    add = url("checkout-cart-add", studio)
    session = shop_front["session"]
    form = re.search(
        rf'<form method="post" action="{re.escape(add)}">(?:(?!</form>).)*name="session" value="{session.pk}"'
        r"(?:(?!</form>).)*</form>",
        html,
        re.S,
    )
    assert form, "no Pay and book form for the class"
    assert 'name="kind" value="drop_in"' in form.group(0) and 'name="go" value="checkout"' in form.group(0)
    assert "Pay and book" in form.group(0)


def test_a_member_is_sent_to_the_class_page_to_book_with_their_plan(client, studio, shop_front, location):
    from memberships.tests.factories import MembershipFactory

    camille = ClientFactory(studio=studio, home_location=location, user=UserFactory())
    MembershipFactory(client=camille, plan=shop_front["plain"])
    client.force_login(camille.user, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(url("studio-home", studio)).content.decode()
    assert "Pay and book" not in html
    assert "Book" in html


def test_plans_page_lists_every_plan_sold_online_featured_first(client, studio, shop_front):
    html = client.get(url("public-plans", studio)).content.decode()
    assert html.index("Ten-class pack") < html.index("Monthly unlimited")
    assert "Old plan" not in html
    add = url("checkout-cart-add", studio)
    for plan in (shop_front["plain"], shop_front["featured"]):
        block = html[html.index(f'data-plan="{plan.pk}"') :]
        block = block[: block.index("</form>")]
        assert f'action="{add}"' in block
        assert 'name="kind" value="plan"' in block
        assert f'name="plan" value="{plan.pk}"' in block
        assert 'name="go" value="checkout"' in block


def test_shop_offers_only_the_places_with_stock(client, studio, shop_front, location):
    laval = LocationFactory(studio=studio, name="Laval")
    LocationFactory(studio=studio, name="Empty place")
    both = product(studio, name="Water bottle", stock={location: 2, laval: 5})
    untracked = product(studio, name="Gift card", track_stock=False)
    response = client.get(url("public-shop", studio))
    html = response.content.decode()
    assert "Sold-out towel" not in html
    cards = {card.product.pk: card for card in response.context["products"]}
    assert [p.location.name for p in cards[both.pk].pickups] == ["Laval", "Plateau"]
    assert [p.location.name for p in cards[shop_front["product"].pk].pickups] == ["Plateau"]
    assert len(cards[untracked.pk].pickups) == 3  # every home location
    block = html[html.index(f'data-product="{both.pk}"') :]
    block = block[: block.index("</form>")]
    assert 'name="kind" value="product"' in block and f'name="product" value="{both.pk}"' in block
    assert 'name="location"' in block and 'name="quantity"' in block
    # a text input with the numeric keypad (a number input would swallow "²" unexplained)
    assert 'type="text" name="quantity"' in block and 'inputmode="numeric"' in block
    assert "Empty place" not in block


def _queries(http, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_home_costs_the_same_with_5_or_300_classes(studio, other_studio, location, signed_in):
    http = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    if signed_in:
        camille = ClientFactory(studio=studio, home_location=location, user=UserFactory())
        http.force_login(camille.user, backend="django.contrib.auth.backends.ModelBackend")
    make_sessions(studio, location, 5)
    path = url("studio-home", studio)
    http.get(path)  # warm: the session row, translations
    few = _queries(http, path)
    make_sessions(studio, location, 295)
    assert _queries(http, path) == few
    assert few <= (14 if signed_in else 11)


def test_home_and_plans_cost_the_same_with_1_or_50_plans(client, studio, location):
    PlanFactory(studio=studio, featured=True)
    product(studio, stock={location: 3})
    client.get(url("studio-home", studio))
    home_one, plans_one, shop_one = (
        _queries(client, url(name, studio)) for name in ("studio-home", "public-plans", "public-shop")
    )
    for i in range(49):
        PlanFactory(studio=studio, pack=bool(i % 2), featured=not i % 7)
        product(studio, stock={location: 1 + i % 3})
    assert _queries(client, url("studio-home", studio)) == home_one
    assert _queries(client, url("public-plans", studio)) == plans_one
    assert _queries(client, url("public-shop", studio)) == shop_one


def test_french_by_default_english_by_cookie(studio, shop_front):
    from django.conf import settings

    days_fr = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    days_en = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    french = HttpClient()
    html = french.get(url("studio-home", studio)).content.decode()
    assert 'lang="fr"' in html and "18,00" in html  # French money and dates
    assert any(f"<h3>{day} " in html for day in days_fr)
    english = HttpClient()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = english.get(url("studio-home", studio)).content.decode()
    assert 'lang="en"' in html and "This week" in html and "$18.00" in html
    assert any(f"<h3>{day} " in html for day in days_en)


@pytest.mark.parametrize(
    "query",
    ["week=9999-99-99", "week=%00", "location=%C2%B2", "page=-1&q=abc%00def", "x=" + "y" * 3000],
)
def test_hostile_query_strings_never_break_the_pages(client, studio, shop_front, query):
    for name in ("studio-home", "public-plans", "public-shop"):
        response = client.get(f"{url(name, studio)}?{query}")
        assert response.status_code in (200, 400), (name, response.status_code)


def test_the_pages_stay_cacheable_for_anonymous_visitors_and_private_for_clients(client, studio, location):
    response = client.get(url("studio-home", studio))
    assert "no-store" not in response.get("Cache-Control", "")
    camille = ClientFactory(studio=studio, home_location=location, user=UserFactory())
    client.force_login(camille.user, backend="django.contrib.auth.backends.ModelBackend")
    assert "no-store" in client.get(url("studio-home", studio)).get("Cache-Control", "")


def test_the_menu_links_the_plans_and_the_shop(client, studio):
    html = client.get(url("public-schedule", studio)).content.decode()
    assert f'href="{url("public-plans", studio)}"' in html
    assert f'href="{url("public-shop", studio)}"' in html


def test_the_home_page_moved_to_checkout():
    import importlib.util

    from django.urls import resolve

    assert resolve("/alpha/").func.__module__ == "checkout.views.public"
    assert importlib.util.find_spec("studio.views.public") is None


def test_an_unknown_studio_is_not_found(client, db):
    assert client.get("/no-such-studio/").status_code == 404
    assert client.get("/no-such-studio/plans/").status_code == 404


def test_the_class_page_offers_to_pay_the_drop_in_when_nothing_else_pays(
    client, studio, shop_front, location
):
    from memberships.tests.factories import MembershipFactory

    session = shop_front["session"]
    path = reverse("public-session", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    add = url("checkout-cart-add", studio)

    def drop_in_form(html: str) -> str:
        match = re.search(r'<form method="post" action="[^"]+" class="pub-drop-in">.*?</form>', html, re.S)
        return match.group(0) if match else ""

    # Anonymous: the drop-in goes in the cart (kept through sign-in).
    form = drop_in_form(client.get(path).content.decode())
    assert f'action="{add}"' in form and 'name="kind" value="drop_in"' in form
    assert f'name="session" value="{session.pk}"' in form and 'name="go" value="checkout"' in form
    assert "Pay the drop-in ($18.00) and book" in form
    # A signed-in client whom no plan covers: the same offer.
    camille = ClientFactory(studio=studio, home_location=location, user=UserFactory())
    client.force_login(camille.user, backend="django.contrib.auth.backends.ModelBackend")
    assert drop_in_form(client.get(path).content.decode())
    # Once a plan pays for the class, the page books with it: no drop-in to pay.
    MembershipFactory(client=camille, plan=shop_front["plain"])
    assert not drop_in_form(client.get(path).content.decode())
    # A free class has nothing to pay.
    free = ClassSessionFactory(
        studio=studio, template=ClassTemplateFactory(studio=studio, drop_in_price=0), location=location
    )
    client.logout()
    free_path = reverse("public-session", kwargs={"studio_slug": studio.slug, "pk": free.pk})
    assert not drop_in_form(client.get(free_path).content.decode())


def test_home_lists_only_products_a_client_can_pick_up(client, studio, location):
    elsewhere = LocationFactory(studio=studio, name="Warehouse", is_home_location=False)
    product(studio, name="Stored mat", stock={elsewhere: 9})
    product(studio, name="Archived mat", stock={location: 9}, archived_at=timezone.now())
    product(studio, name="Gift card", track_stock=False)
    html = client.get(url("studio-home", studio)).content.decode()
    assert "Gift card" in html
    assert "Stored mat" not in html and "Archived mat" not in html
