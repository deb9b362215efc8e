"""Every back-office route is guarded, found by walking the URL resolver (CORE-3).

`tests/test_permissions.py` proves that a guard refuses the wrong role; it can only see the views
that already carry one. This suite starts from the resolver instead: every route under
`<studio>/manage/` and `<studio>/pos/` must be a staff view (`@staff_required`) naming its
permission, every route under `<studio>/account/` a client view (`@client_required`), so a
forgotten guard fails here. The markers are the attributes `studio/access.py` sets on the view
(`staff_view`, `required_permission`, `client_view`); `functools.wraps` keeps them through
`@require_POST` and friends.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tests.url_walk import TenantUrl, tenant_urls

STAFF_AREAS = ("manage/", "pos/")
CLIENT_AREA = "account/"

# Staff pages every staff member may open, so `@staff_required()` names no permission. Each is
# deliberate; adding a page here is a decision about who sees it.
OPEN_TO_EVERY_STAFF_MEMBER = {
    "dashboard": "the landing page after log-in; its panels check their own permissions",
    "location-list": "where the studio's places are (addresses, rooms): needed by every role",
    "location-detail": "one place's facts and rooms, read-only without MANAGE_SETTINGS",
    "schedule-calendar": "teachers and front desk read the schedule; editing needs MANAGE_SCHEDULE",
    "appointment-overview": "every role sees the appointments; booking them needs CHECK_IN",
}

# Pages under account/ a visitor uses before being a signed-in client.
ACCOUNT_PAGES_BEFORE_SIGN_IN = {
    "account-login": "signs a client in",
    "account-signup": "creates the client's account",
    "account-logout": "harmless when signed out; signs out otherwise",
}

# Client views that check the client only inside their body: none may be added.
KNOWN_UNMARKED_CLIENT_VIEWS: set[str] = set()


def _area(url: TenantUrl) -> str:
    return url.route.split("/", 1)[1]


def unguarded(urls: Iterable[TenantUrl]) -> dict[str, str]:
    """Route name → what is wrong with its guard, for every route the rules cover."""
    problems = {}
    for url in urls:
        view, area = url.view, _area(url)
        if area.startswith(STAFF_AREAS):
            if not getattr(view, "staff_view", False):
                problems[url.name] = "not a staff view: add @staff_required(Perm.X)"
            elif (
                not getattr(view, "required_permission", None) and url.name not in OPEN_TO_EVERY_STAFF_MEMBER
            ):
                problems[url.name] = "a staff view naming no permission: @staff_required(Perm.X)"
        elif area.startswith(CLIENT_AREA):
            if url.name in ACCOUNT_PAGES_BEFORE_SIGN_IN:
                continue
            if not getattr(view, "client_view", False):
                problems[url.name] = "not a client view: add @client_required"
    return problems


@pytest.fixture(scope="module")
def urls():
    return tenant_urls()


def test_every_staff_and_client_route_carries_its_guard(urls):
    problems = {name: why for name, why in unguarded(urls).items() if name not in KNOWN_UNMARKED_CLIENT_VIEWS}
    assert not problems, problems


def test_the_lists_name_only_routes_that_exist_and_still_need_them(urls):
    by_name = {url.name: url for url in urls}
    for name in (*OPEN_TO_EVERY_STAFF_MEMBER, *ACCOUNT_PAGES_BEFORE_SIGN_IN, *KNOWN_UNMARKED_CLIENT_VIEWS):
        assert name in by_name, f"{name} is no route any more: remove it from the lists"
    for name in OPEN_TO_EVERY_STAFF_MEMBER:
        assert getattr(by_name[name].view, "staff_view", False), f"{name} must still be a staff view"
    fixed = KNOWN_UNMARKED_CLIENT_VIEWS - set(unguarded(urls))
    assert not fixed, f"guarded now (good): remove from KNOWN_UNMARKED_CLIENT_VIEWS: {sorted(fixed)}"


def test_the_walk_covers_the_areas(urls):
    areas = {_area(url).split("/", 1)[0] + "/" for url in urls}
    assert {"manage/", "account/"} <= areas


def test_a_forgotten_guard_is_found():
    from studio.access import client_required, staff_required
    from studio.permissions import Perm

    def page(request):
        return None

    cases = [
        TenantUrl("plain-manage", "<slug:studio_slug>/manage/plain/", (), page),
        TenantUrl("plain-pos", "<slug:studio_slug>/pos/plain/", (), page),
        TenantUrl("no-perm", "<slug:studio_slug>/manage/no-perm/", (), staff_required()(page)),
        TenantUrl(
            "good-staff", "<slug:studio_slug>/manage/good/", (), staff_required(Perm.VIEW_CLIENTS)(page)
        ),
        TenantUrl("plain-account", "<slug:studio_slug>/account/plain/", (), page),
        TenantUrl("good-account", "<slug:studio_slug>/account/good/", (), client_required(page)),
        TenantUrl("public", "<slug:studio_slug>/schedule/", (), page),
    ]
    assert set(unguarded(cases)) == {"plain-manage", "plain-pos", "no-perm", "plain-account"}
