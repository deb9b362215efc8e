"""SPEC Q-2: no input reaches a 500, and a refused input saves nothing.

The walk covers every URL of the resolver (new URLs are walked without anyone adding them), as an
anonymous visitor, as the owner and as a client, with hostile query strings, hostile path tokens,
and every form found on the pages posted with hostile values. Failures are collected, so that one
run lists every 500 with its exception.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import get_resolver, reverse
from django_scopes import scopes_disabled

from payments import gateway
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio import inputs
from studio.models import Studio, User
from studio.tenancy import tenant_models
from tests.isolation import CASES
from tests.url_walk import _walk, tenant_urls

pytestmark = pytest.mark.django_db

LONG = "x" * 10_000
EMAIL_300 = "a" * 288 + "@example.com"
HOSTILE_VALUES = ["9999-12-31", "0001-01-01", "²", LONG, "abc", "-1", "2026-02-30", "99999999999999999999"]
# Every query parameter a view reads today, and the usual suspects of views to come.
QUERY_KEYS = [
    "week",
    "date",
    "start",
    "end",
    "from",
    "to",
    "date_from",
    "date_to",
    "day",
    "month",
    "at",
    "view",
    "location",
    "teacher",
    "room",
    "service",
    "template",
    "class",
    "calendar",
    "page",
    "q",
    "next",
    "archived",
    "failures",
    "account",
    "status",
    "kind",
    "client",
    "session",
    "staff",
]


def _query_variants() -> list[str]:
    variants = [urlencode({key: value for key in QUERY_KEYS}) for value in HOSTILE_VALUES]
    # Wrong types beside sensible neighbours, so a view reaches the code past its first check.
    for view in ("day", "week", "month", "list"):
        for value in ("9999-12-31", "0001-01-01", "²"):
            variants.append(urlencode({"view": view, "date": value, "week": value, "day": value}))
    variants += [
        "location=abc",
        "location=²",
        "page=-1",
        "page=0",
        "page=99999999999999999999",
        "page=²",
        "teacher=²&room=²&template=²&service=²",
        "q=abc%00def",
        "week=%00",
        "date=2026-01-01%00",
    ]
    return variants


QUERY_VARIANTS = _query_variants()


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def demo():
    """The demo data set (two studios, payments, schedule), seeded against the in-process sandbox."""
    from django.core.management import call_command

    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            studio = Studio.objects.get(slug="demo")
        yield studio


@pytest.fixture
def server_errors():
    """Every exception a view raised during the test, with the path that raised it."""
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        import sys

        exc = sys.exc_info()[1]
        path = request.get_full_path()[:200] if request is not None else "?"
        seen.append(f"{request.method if request else '?'} {path}: {type(exc).__name__}: {str(exc)[:200]}")

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _users(studio):
    with scopes_disabled():
        owner = User.objects.get(email="owner@demo.atelier.test")
        client_user = User.objects.get(email="client@demo.atelier.test")
    return {"anonymous": None, "owner": owner, "client": client_user}


def _paths(studio) -> list[tuple[str, str]]:
    """(url name, path) for every URL of the resolver, ids taken from the studio's own rows."""
    out = []
    for url in tenant_urls():
        if set(url.params) - {"kind"} and url.name not in CASES:
            continue  # test_isolation fails for a URL without a case; nothing to walk it with here
        kwargs = CASES[url.name](studio) if set(url.params) - {"kind"} else {}
        if "kind" in url.params:
            kwargs["kind"] = "card"
        out.append((url.name, reverse(url.name, kwargs={"studio_slug": studio.slug, **kwargs})))
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("<slug:studio_slug>/", "admin/")) or "<" in route or route == "healthz":
            continue  # /healthz answers 503 by design when the worker is down
        out.append((pattern.name or route, "/" + route))
    return out


def _row_counts(studio) -> dict[str, int]:
    with scopes_disabled():
        counts = {model.__name__: model.objects.filter(studio=studio).count() for model in tenant_models()}
        counts["User"] = User.objects.count()
        counts["Studio"] = Studio.objects.count()
    return counts


# --- form discovery ---------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The forms of a page: action, method and fields (name, kind, value, options)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": [],
                "hx_post": a.get("hx-post"),
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit":
                    self._form["fields"].append(
                        {"name": a["name"], "kind": "submit", "value": a.get("value", "")}
                    )
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].append(
                    {"name": a["name"], "kind": kind, "value": a.get("value", "on"), "unchecked": True}
                )
                return
            self._form["fields"].append(
                {
                    "name": a["name"],
                    "kind": kind,
                    "value": a.get("value", ""),
                    "maxlength": a.get("maxlength"),
                }
            )
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "kind": "select", "value": "", "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a or not self._select["value"]:
                self._select["value"] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = {
                "name": a["name"],
                "kind": "textarea",
                "value": "",
                "maxlength": a.get("maxlength"),
            }
            self._form["fields"].append(self._textarea)
        elif tag == "button" and a.get("name"):
            self._form["fields"].append({"name": a["name"], "kind": "submit", "value": a.get("value", "")})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


HOSTILE_BY_KIND = {
    "date": ["9999-12-31", "0001-01-01", "²", "2026-02-30", "abc"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00", "²", "2026-02-30T10:00", "abc"],
    "time": ["23:59", "²", "25:99", "abc", "-1"],
    "number": ["²", "-1", "99999999999999999999", "1e308", "abc"],
    "email": [EMAIL_300, "²@example.com", LONG, "abc", "a@b.c"],
    "select": [None, "²", "-1", "99999999999999999999", "abc"],
    "text": [LONG, "²", "9999-12-31", "-1", " "],
}
VARIANTS = 5


def _hostile_value(field: dict, variant: int) -> str | None:
    kind = field["kind"]
    if field["name"] == "csrfmiddlewaretoken" or kind == "submit":
        return field["value"]
    if kind in ("checkbox", "radio"):
        return None if field.get("unchecked") and variant % 2 else field["value"]
    if kind == "hidden":
        return field["value"] if variant != 3 else "²"
    values = HOSTILE_BY_KIND.get(kind, HOSTILE_BY_KIND["text"])
    value = values[variant % len(values)]
    if value is None:  # the first real option, so the form reaches its other checks
        options = [o for o in field.get("options", []) if o]
        return options[0] if options else ""
    return value


def _form_data(form: dict, variant: int, *, nul: bool = False) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for field in form["fields"]:
        value = _hostile_value(field, variant)
        if value is None:
            continue
        if nul and field["name"] != "csrfmiddlewaretoken" and field["kind"] != "submit":
            value = "abc\x00def"
        data.setdefault(field["name"], []).append(value)
    return data


def _is_refusal(response) -> bool:
    if response.status_code >= 400:
        return True
    body = response.content
    return response.status_code == 200 and (b"errorlist" in body or b'class="field-error' in body)


# --- the walks --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "owner", "client"])
def test_every_url_with_hostile_query_strings_answers_without_a_server_error(demo, role, server_errors):
    users = _users(demo)
    failures = []
    for name, path in _paths(demo):
        if "logout" in name:
            continue
        client = _client(users[role])
        for query in QUERY_VARIANTS:
            response = client.get(f"{path}?{query}")
            if response.status_code >= 500:
                failures.append((name, f"{path}?{query[:80]}", response.status_code))
            for headers in ({"HTTP_HX_REQUEST": "true"},) if query is QUERY_VARIANTS[0] else ():
                response = client.get(f"{path}?{query}", **headers)
                if response.status_code >= 500:
                    failures.append((name, f"htmx {path}?{query[:80]}", response.status_code))
    assert not failures, "\n".join(map(str, failures)) + "\n" + "\n".join(dict.fromkeys(server_errors))


@pytest.mark.parametrize("role", ["anonymous", "owner", "client"])
def test_every_form_with_hostile_values_refuses_cleanly_and_saves_nothing_on_refusal(
    demo, role, server_errors
):
    users = _users(demo)
    failures = []
    seen_forms: set[tuple[str, tuple]] = set()
    for name, path in _paths(demo):
        if "logout" in name:
            continue
        page = _client(users[role]).get(path)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        parser = _FormParser()
        parser.feed(page.content.decode(errors="replace"))
        for form in parser.forms:
            action = urljoin(path, form["hx_post"] or form["action"] or path)
            if urlsplit(action).netloc or "logout" in action:
                continue
            key = (urlsplit(action).path, tuple(sorted(f["name"] for f in form["fields"])))
            if key in seen_forms:
                continue
            seen_forms.add(key)
            method = "post" if form["method"] == "post" or form["hx_post"] else "get"
            for variant in range(VARIANTS + 1):
                client = _client(users[role])  # a fresh session: a kiosk or a log-out never leaks on
                data = _form_data(form, variant, nul=variant == VARIANTS)
                before = _row_counts(demo) if method == "post" else None
                response = getattr(client, method)(action, data)
                where = (name, method, action, variant)
                if response.status_code >= 500:
                    failures.append((*where, response.status_code))
                elif (
                    variant == VARIANTS
                    and response.status_code != 400
                    and any("\x00" in v for values in data.values() for v in values)
                ):
                    failures.append((*where, "NUL was not refused", response.status_code))
                elif before is not None and _is_refusal(response) and _row_counts(demo) != before:
                    changed = {k for k, v in _row_counts(demo).items() if before.get(k) != v}
                    failures.append((*where, "refused but saved", sorted(changed)))
    print(f"\nhostile form walk as {role}: {len(seen_forms)} forms")
    assert len(seen_forms) >= {"anonymous": 5, "owner": 40, "client": 10}[role], sorted(seen_forms)
    assert not failures, "\n".join(map(str, failures)) + "\n" + "\n".join(dict.fromkeys(server_errors))


def test_every_text_field_on_every_page_has_a_maximum_length(demo):
    """DESIGN.md, Input: every text field has a maximum length, which the browser enforces too."""
    users = _users(demo)
    unbounded = set()
    for name, path in _paths(demo):
        for role in ("owner", "anonymous"):
            page = _client(users[role]).get(path)
            if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
                continue
            parser = _FormParser()
            parser.feed(page.content.decode(errors="replace"))
            for form in parser.forms:
                for field in form["fields"]:
                    if field["kind"] in (
                        "text",
                        "textarea",
                        "email",
                        "search",
                        "tel",
                        "url",
                        "password",
                    ) and not field.get("maxlength"):
                        unbounded.add((name, field["name"]))
    assert not unbounded, "\n".join(map(str, sorted(unbounded)))


def test_hostile_path_tokens_answer_without_a_server_error(demo, server_errors):
    users = _users(demo)
    failures = []
    tokens = ["abc%00def", "%C2%B2", "x" * 3000, "..%2F..%2Fetc", "%FF%FE"]
    for url in tenant_urls():
        str_params = [p for p in url.params if p not in ("pk", "kind") and not p.endswith("_pk")]
        if not str_params:
            continue
        for token in tokens:
            path = "/" + url.route.replace("<slug:studio_slug>", demo.slug)
            path = re.sub(r"<(?:str|slug|uuid|path):\w+>", token, path)
            path = re.sub(r"<int:\w+>", "1", path)
            for role in ("anonymous", "owner"):
                response = _client(users[role]).get(path)
                if response.status_code >= 500:
                    failures.append((url.name, path[:120], role, response.status_code))
    assert not failures, "\n".join(map(str, failures)) + "\n" + "\n".join(dict.fromkeys(server_errors))


# --- the mechanisms, one by one ---------------------------------------------------------------


@pytest.mark.parametrize("language,words", [("en", "cannot be read"), ("fr", "ne peut pas être lue")])
def test_nul_in_path_query_or_form_is_a_clean_bilingual_400(studio, owner_client, language, words):
    owner_client.cookies["django_language"] = language
    for response in (
        owner_client.get(f"/{studio.slug}/manage/clients/?q=abc%00def"),
        owner_client.get(f"/{studio.slug}/invite/abc%00def/"),
        owner_client.post(f"/{studio.slug}/manage/settings/", {"name": "a\x00b"}),
    ):
        assert response.status_code == 400
        assert "no-store" in response["Cache-Control"]
        body = response.content.decode()
        assert "Traceback" not in body and "<h1>" in body
        if language == "en":
            assert words in body


def test_a_300_character_email_is_refused_on_every_sign_in_and_sign_up_form(
    studio, owner_client, server_errors
):
    anonymous = _client()
    users_before = User.objects.count()
    slug = studio.slug
    responses = {
        "staff sign-in": anonymous.post("/login/", {"username": EMAIL_300, "password": "whatever-123"}),
        "client sign-in": anonymous.post(f"/{slug}/account/login/", {"username": EMAIL_300, "password": "x"}),
        "client sign-up": anonymous.post(
            f"/{slug}/account/signup/",
            {
                "first_name": "A",
                "last_name": "B",
                "email": EMAIL_300,
                "password": "a-long-password-1",
                "language": "en",
            },
        ),
        "owner sign-up": anonymous.post(
            "/signup/",
            {
                "full_name": "A",
                "email": EMAIL_300,
                "password": "a-long-password-1",
                "studio_name": "S",
                "currency": "CAD",
                "time_zone": "America/Toronto",
                "language": "en",
            },
        ),
        "staff invitation": owner_client.post(
            f"/{slug}/manage/staff/invite/", {"email": EMAIL_300, "role": "1"}
        ),
    }
    for what, response in responses.items():
        assert response.status_code == 200, (what, response.status_code, server_errors)
        assert b"errorlist" in response.content or b"error" in response.content, what
    assert User.objects.count() == users_before
    from axes.models import AccessAttempt

    assert all(len(a.username or "") <= inputs.EMAIL_MAX_LENGTH for a in AccessAttempt.objects.all())


def test_axes_never_receives_an_unbounded_username():
    from django.test import RequestFactory

    from studio.access import signin_username

    request = RequestFactory().post("/login/", {"username": "A" * 400 + "\x01"})
    assert signin_username(request, None) == "a" * inputs.EMAIL_MAX_LENGTH
    assert signin_username(request, {"username": "Victim@Example.com"}) == "victim@example.com"


def test_input_helpers():
    import datetime as dt

    assert inputs.parse_int_param("²", 7) == 7
    assert inputs.parse_int_param("٣") is None
    assert inputs.parse_int_param(" 42 ") == 42
    assert inputs.parse_int_param("-1", 0) == 0
    assert inputs.parse_int_param("9" * 19) is None
    assert inputs.parse_int_param(None, 3) == 3
    assert inputs.parse_date_param("9999-12-31") is None
    assert inputs.parse_date_param("0001-01-01", dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert inputs.parse_date_param("2026-02-30") is None
    assert inputs.parse_date_param("2026-12-01") == dt.date(2026, 12, 1)
    assert inputs.parse_date_param("２０２６-12-01") is None
    assert inputs.clean_text("a\x00b\x07c\td\ne") == "abc\td\ne"
    assert (
        inputs.BoundedDateField(widget=forms.DateInput(attrs={"type": "date"})).widget.attrs["max"]
        == "2100-12-31"
    )
    field = inputs.BoundedDateField()
    for bad in ("9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"):
        with pytest.raises(ValidationError):
            field.clean(bad)
    assert field.clean("2100-12-31") == inputs.MAX_DATE
    with pytest.raises(ValidationError):
        inputs.BoundedDateTimeField().clean("9999-12-31 23:59")
    with pytest.raises(ValidationError):
        inputs.SafeCharField().clean("a\x00b")
    with pytest.raises(ValidationError):
        inputs.SafeCharField().clean("x" * 300)
    assert inputs.SafeCharField().clean("a\x07b") == "ab"


def test_any_sign_in_form_hands_axes_a_bounded_username(db):
    """The kiosk's exit form, or any form to come, calls authenticate(): axes must never 500."""
    from axes.models import AccessAttempt
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/demo/kiosk/exit/", {"email": EMAIL_300, "password": "x"})
    assert authenticate(request, username="B" * 400 + "@example.com", password="x") is None
    assert [len(name) for name in AccessAttempt.objects.values_list("username", flat=True)] == [
        inputs.EMAIL_MAX_LENGTH
    ]


# --- in a real browser, in French and in English -----------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_person_in_a_browser_meets_no_server_error_with_hostile_input(
    page, live_server, log_in_as, studio, owner, password, location, language, settings
):
    from tests.factories import ClientFactory, UserFactory

    ClientFactory(studio=studio, first_name="Zélie", last_name="Martin", home_location=location)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    server_errors: list[str] = []
    page.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    def shows_no_debug_page():
        body = page.content()
        assert "Traceback" not in body and "Server Error" not in body and "Erreur du serveur" not in body

    # A 300-character email typed past the field's limit (a script can do what a keyboard cannot).
    page.goto("/login/")
    assert page.get_attribute("input[name=username]", "maxlength") == str(inputs.EMAIL_MAX_LENGTH)
    page.evaluate(
        """email => { const f = document.querySelector('input[name=username]');
                              f.removeAttribute('maxlength'); f.type = 'text'; f.value = email; }""",
        EMAIL_300,
    )
    page.fill("input[name=password]", "whatever-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    shows_no_debug_page()
    assert page.locator(".errorlist, .error, .has-error").count() >= 1

    # Throttled: the page says how long to wait, in the visitor's language.
    victim = UserFactory(email="victim@example.test")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto("/login/")
        page.fill("input[name=username]", victim.email)
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    wait = page.locator("[data-wait-seconds]")
    assert wait.count() == 1 and int(wait.get_attribute("data-wait-seconds")) > 14 * 60
    assert page.locator("html").get_attribute("lang") == language

    log_in_as(owner.user.email, password)
    slug = studio.slug
    for path in (
        f"/{slug}/schedule/?week=9999-12-31",
        f"/{slug}/schedule/?location=%C2%B2",
        f"/{slug}/manage/schedule/?date=0001-01-01&view=day",
        f"/{slug}/manage/schedule/?date=9999-12-31",
        f"/{slug}/manage/clients/?page=-1&location=abc",
        f"/{slug}/manage/audit/?date_from=9999-12-31",
    ):
        response = page.goto(path)
        assert response.status < 500, path
        shows_no_debug_page()
    assert "2100" in page.inner_text(".form-errors")  # the audit filter says which dates it accepts

    response = page.goto(f"/{slug}/manage/clients/?q=abc%00def")
    assert response.status == 400
    assert "no-store" in response.headers["cache-control"]
    assert page.locator("html").get_attribute("lang") == language
    shows_no_debug_page()

    # The live search, fed a NUL and 10,000 characters, keeps the page alive.
    page.goto(f"/{slug}/manage/clients/")
    manage = page.goto(f"/{slug}/manage/clients/")
    assert "no-store" in manage.headers["cache-control"]
    page.fill("input[name=q]", "abc\x00def")
    page.wait_for_timeout(600)
    page.fill("input[name=q]", "z" * 10_000)
    page.wait_for_timeout(600)
    page.fill("input[name=q]", "Zélie")
    page.wait_for_function("document.querySelector('#client-table').innerText.includes('Martin')")
    assert not server_errors, server_errors


def test_with_debug_on_only_platform_staff_see_the_debug_page(studio, settings, user_factory):
    from unittest import mock

    settings.DEBUG = True
    path = f"/{studio.slug}/"
    with mock.patch("checkout.selectors.public.public_home", side_effect=RuntimeError("boom")):
        anonymous = _client().get(path)
        platform = user_factory(is_staff=True)
        staff_view = _client(platform).get(path)
    assert anonymous.status_code == 500
    assert "Traceback" not in anonymous.content.decode() and "boom" not in anonymous.content.decode()
    assert staff_view.status_code == 500 and "RuntimeError" in staff_view.content.decode()


def test_studio_forms_have_sane_upper_bounds(studio, location):
    from django_scopes import scope

    with scope(studio=studio):
        _check_upper_bounds(studio, location)


def _check_upper_bounds(studio, location):
    from studio.forms import (
        LATE_CANCEL_WINDOW_MAX_MINUTES,
        ROOM_MAX_CAPACITY,
        ClientForm,
        RoomForm,
        StudioSettingsForm,
    )

    room = RoomForm({"name": "Big", "capacity": ROOM_MAX_CAPACITY + 1}, location=location)
    assert not room.is_valid() and "capacity" in room.errors
    assert RoomForm({"name": "Big", "capacity": ROOM_MAX_CAPACITY}, location=location).is_valid()
    settings_form = StudioSettingsForm(
        {
            "name": "S",
            "currency": "CAD",
            "country": "CA",
            "time_zone": "America/Toronto",
            "language": "fr",
            "late_cancel_window_minutes": 9_999_999_999,
        },
        instance=studio,
    )
    assert "late_cancel_window_minutes" in settings_form.errors
    assert LATE_CANCEL_WINDOW_MAX_MINUTES == 10080
    client_form = ClientForm(
        {"first_name": "A", "last_name": "B", "language": "fr", "notes": LONG, "birthday": "1850-01-01"},
        studio=studio,
    )
    assert {"notes", "birthday"} <= set(client_form.errors)


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u202a"])
def test_a_text_direction_override_in_a_name_is_refused_and_nothing_is_saved(
    studio, owner_client, location, char
):
    """A name carrying U+202E reads backwards in every message that quotes it (a spoofing aid)."""
    from studio.models import Client as StudioClient

    slug = studio.slug
    with scopes_disabled():
        clients_before = StudioClient.objects.filter(studio=studio).count()
        users_before = User.objects.count()
    staff_form = owner_client.post(
        f"/{slug}/manage/clients/new/",
        {
            "first_name": f"Zoé{char}gnp.exe",
            "last_name": "Tremblay",
            "language": "fr",
            "home_location": location.pk,
        },
    )
    sign_up = _client().post(
        f"/{slug}/account/signup/",
        {
            "first_name": "Zoé",
            "last_name": f"T{char}x",
            "email": "zoe.bidi@example.test",
            "password": "a-long-password-1",
            "language": "en",
        },
    )
    for response in (staff_form, sign_up):
        assert response.status_code == 200
        assert "invisible text-direction character" in response.content.decode()
    with scopes_disabled():
        assert StudioClient.objects.filter(studio=studio).count() == clients_before
        assert User.objects.count() == users_before
    # Right-to-left names themselves are fine.
    ok = owner_client.post(
        f"/{slug}/manage/clients/new/",
        {"first_name": "سارة", "last_name": "כהן", "language": "fr", "home_location": location.pk},
    )
    assert ok.status_code == 302
