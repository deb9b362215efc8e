"""Who is signed in (studio/signed_in.py) and the tenant middleware's single resolve
(studio/middleware.py): the compiled session and user reads answer what Django's own classes
answer, fresh on every request — an expired or deleted session, a deactivated or deleted user
and a changed password count at once — and a path is resolved once per request."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db as django_db_sessions
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client as Browser
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.urls.resolvers import URLResolver
from django.utils import timezone
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from studio import compiled_sql, signed_in
from studio.models import User
from studio.permissions import RoleKind
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    compiled_sql.cache_clear()
    yield
    compiled_sql.cache_clear()


def _dashboard(studio) -> str:
    return reverse("dashboard", kwargs={"studio_slug": studio.slug})


def _session_key(http: Browser) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_settings_use_the_compiled_session_store_and_middleware():
    assert settings.SESSION_ENGINE == "studio.signed_in"
    assert "studio.signed_in.AuthenticationMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" not in settings.MIDDLEWARE
    # Every session this product makes names ModelBackend: that is the path made fast.
    assert signed_in.MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS


def test_the_session_read_is_djangos_own(studio, other_studio, owner, login):
    http = login(owner.user)
    key = _session_key(http)
    expired = import_module(settings.SESSION_ENGINE).SessionStore()
    expired["x"] = 1
    expired.set_expiry(-10)
    expired.save()
    for session_key in (key, expired.session_key, "no-such-session-key-at-all", key):
        ours = signed_in.SessionStore(session_key)
        theirs = django_db_sessions.SessionStore(session_key)
        assert ours.load() == theirs.load()
        assert ours.session_key == theirs.session_key  # an unknown or expired key is dropped by both
    loaded = signed_in.SessionStore(key).load()
    assert (
        loaded[SESSION_KEY] == str(owner.user.pk) and loaded[BACKEND_SESSION_KEY] == signed_in.MODEL_BACKEND
    )
    now = timezone.now()
    orm = list(signed_in._session_rows(session_key=key, now=now))
    assert (
        orm
        and compiled_sql.compiled_platform_rows("session", signed_in._session_rows, session_key=key, now=now)
        == orm
    )
    later = now + dt.timedelta(days=365)
    assert (
        compiled_sql.compiled_platform_rows("session", signed_in._session_rows, session_key=key, now=later)
        == list(signed_in._session_rows(session_key=key, now=later))
        == []
    )


def test_the_user_read_is_model_backends_own(studio, other_studio, owner):
    inactive = UserFactory(is_active=False)
    backend = ModelBackend()
    for user_id in (owner.user.pk, inactive.pk, 10**12, owner.user.pk):
        ours, theirs = signed_in.user_by_id(user_id=user_id), backend.get_user(user_id)
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            fields = [f.attname for f in User._meta.concrete_fields]
            assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
            assert ours._state.adding is False and ours._state.db == "default"
    assert signed_in.user_by_id(user_id=inactive.pk) is None


def _request_with_session(session_key: str):
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return request


def test_session_user_answers_what_djangos_get_user_answers(studio, other_studio, owner, login):
    """Each state a session can be in, asked of ours and of Django's on two copies of the row."""
    user = owner.user

    def state(name):
        http = Browser()
        http.force_login(user, backend=signed_in.MODEL_BACKEND)
        key = _session_key(http)
        store = import_module(settings.SESSION_ENGINE).SessionStore(key)
        if name == "no hash":
            del store[HASH_SESSION_KEY]
        elif name == "wrong hash":
            store[HASH_SESSION_KEY] = "0" * 64
        elif name == "unknown backend":
            store[BACKEND_SESSION_KEY] = "no.such.Backend"
        elif name == "no user id":
            del store[SESSION_KEY]
        elif name == "missing user":
            store[SESSION_KEY] = "999999999999"
        store.save()
        return key

    for name in ("good", "no hash", "wrong hash", "unknown backend", "no user id", "missing user"):
        ours, theirs = _request_with_session(state(name)), _request_with_session(state(name))
        mine, django = signed_in.session_user(ours), auth.get_user(theirs)
        assert (mine.is_authenticated, mine.pk) == (django.is_authenticated, django.pk), name
        # A refused hash flushes the session in both (its row is gone, the key dropped).
        assert (ours.session.session_key is None) == (theirs.session.session_key is None), name
    assert signed_in.session_user(_request_with_session(state("good"))).pk == user.pk


class OtherBackend(ModelBackend):
    """A backend other than ModelBackend: its sessions are Django's `get_user`'s to answer."""


def test_another_backends_session_is_djangos_to_answer(studio, other_studio, owner):
    backends = [*settings.AUTHENTICATION_BACKENDS, "tests.test_signed_in.OtherBackend"]
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        http = Browser()
        http.force_login(owner.user, backend="tests.test_signed_in.OtherBackend")
        request = _request_with_session(_session_key(http))
        with mock.patch.object(auth, "get_user", wraps=auth.get_user) as djangos:
            assert signed_in.session_user(request).pk == owner.user.pk
        assert djangos.call_count == 1
    # The same session once that backend is gone from the settings: signed out, as Django does.
    with mock.patch.object(auth, "get_user", wraps=auth.get_user) as djangos:
        assert not signed_in.session_user(_request_with_session(_session_key(http))).is_authenticated
    assert djangos.call_count == 1


def test_an_expired_session_is_refused_on_the_next_request(studio, other_studio, owner, login):
    http = login(owner.user)
    assert http.get(_dashboard(studio)).status_code == 200
    Session.objects.filter(session_key=_session_key(http)).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = http.get(_dashboard(studio))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_deleted_session_is_refused_on_the_next_request(studio, other_studio, owner, login):
    http = login(owner.user)
    assert http.get(_dashboard(studio)).status_code == 200
    Session.objects.filter(session_key=_session_key(http)).delete()  # signed out elsewhere
    assert http.get(_dashboard(studio)).status_code == 302


def test_a_changed_password_signs_out_the_other_sessions(studio, other_studio, owner, login):
    other_device = Browser(HTTP_ACCEPT_LANGUAGE="en")
    other_device.force_login(owner.user, backend=signed_in.MODEL_BACKEND)
    http = login(owner.user)
    assert other_device.get(_dashboard(studio)).status_code == 200
    old_key = _session_key(other_device)
    user = User.objects.get(pk=owner.user.pk)
    user.set_password("a-brand-new-passphrase")
    user.save()
    response = other_device.get(_dashboard(studio))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()  # flushed, as Django does
    assert http.get(_dashboard(studio)).status_code == 302  # this one too: nobody updated its hash
    http.force_login(user, backend=signed_in.MODEL_BACKEND)
    assert http.get(_dashboard(studio)).status_code == 200


def test_a_deactivated_or_deleted_user_is_refused_on_the_next_request(studio, other_studio, login):
    user = UserFactory()
    ClientFactory(studio=studio, user=user)
    home = reverse("account-home", kwargs={"studio_slug": studio.slug})
    http = login(user)
    assert http.get(home).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert http.get(home).status_code == 302
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert http.get(home).status_code == 200


def test_a_retired_secret_key_keeps_the_person_signed_in_on_a_new_key(studio, other_studio, owner):
    http = Browser(HTTP_ACCEPT_LANGUAGE="en")
    old_secret = "an-old-secret-key-used-before-the-rotation-0123456789"
    with override_settings(SECRET_KEY=old_secret):
        http.force_login(owner.user, backend=signed_in.MODEL_BACKEND)
    old_key = _session_key(http)
    with override_settings(
        SECRET_KEY="the-new-secret-key-after-rotation-9876543210", SECRET_KEY_FALLBACKS=[old_secret]
    ):
        assert http.get(_dashboard(studio)).status_code == 200
        assert _session_key(http) != old_key  # Django cycles the key, and stores the new hash
        assert http.get(_dashboard(studio)).status_code == 200
    with override_settings(SECRET_KEY="yet-another-secret-key-with-no-fallbacks-000000"):
        assert http.get(_dashboard(studio)).status_code == 302


def test_a_signed_in_request_reads_its_session_then_its_user(studio, other_studio, owner, login):
    http = login(owner.user)
    bare = reverse("set_language")  # outside any studio: session + user only
    http.get(_dashboard(studio))
    with CaptureQueriesContext(connection) as ctx:
        http.get(bare)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert len(sqls) == 2 and "django_session" in sqls[0] and "studio_user" in sqls[1], sqls


def test_platform_reads_refuse_tenant_tables_and_studio_values(studio):
    from studio.models import Client

    with pytest.raises(ScopeError):
        compiled_sql.compiled_platform_rows(
            "tenant-table",
            lambda *, client_id: Client.objects.filter(pk=client_id).values_list("pk"),
            client_id=1,
        )
    # Inside a studio's scope too: that studio must not be folded into a "platform" read's SQL.
    with scope(studio=studio), pytest.raises(ScopeError):
        compiled_sql.compiled_platform_rows(
            "tenant-table-in-scope",
            lambda *, client_id: Client.objects.filter(pk=client_id).values_list("pk"),
            client_id=1,
        )
    with pytest.raises(TypeError):
        compiled_sql.compiled_platform_rows("x", signed_in._user_rows, user_id=1, studio_id=studio.pk)


# --- The tenant middleware resolves the path once -------------------------------------------------


def _root_resolves(http, path, **extra):
    root = []
    real = URLResolver.resolve

    def counting(self, path_info):
        if self.pattern.regex.pattern == "^/":
            root.append(path_info)
        return real(self, path_info)

    with mock.patch.object(URLResolver, "resolve", counting):
        response = http.get(path, **extra)
    return response, root


def test_a_page_is_resolved_once(studio, other_studio, owner, login, a_client):
    http = login(owner.user)
    profile = reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    for path in (profile, _dashboard(studio), reverse("home"), f"/{studio.slug}/"):
        response, root = _root_resolves(http, path)
        assert response.status_code in (200, 302), path
        # Once, by Django's handler (a page may resolve other paths of its own: links it checks).
        assert root.count(path) == 1, (path, root)


def test_the_middleware_answers_as_before_around_the_view(studio, other_studio, owner, login, client):
    # Private pages are never stored.
    http = login(owner.user)
    assert "no-store" in http.get(_dashboard(studio))["Cache-Control"]
    # An unknown studio, and a path that resolves nowhere: 404, outside any studio.
    assert client.get("/no-such-studio/manage/").status_code == 404
    assert client.get(f"/{studio.slug}/no/such/page/").status_code == 404
    # The view never sees the slug, and reads its studio from the request.
    response = http.get(_dashboard(studio))
    assert response.status_code == 200
    assert response.wsgi_request.studio.pk == studio.pk and response.wsgi_request.staff.pk == owner.pk
    assert "studio_slug" not in response.wsgi_request.resolver_match.kwargs


def test_a_refused_csrf_token_is_answered_inside_the_studio_and_language(studio, other_studio, staff_factory):
    member = staff_factory(RoleKind.MANAGER)
    User.objects.filter(pk=member.user.pk).update(language="fr")
    http = Browser(HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=True)
    http.force_login(member.user, backend=signed_in.MODEL_BACKEND)
    response = http.post(reverse("settings", kwargs={"studio_slug": studio.slug}), {})
    assert response.status_code == 403
    assert "Interdit" in response.content.decode()  # the person's saved language, not the browser's
    assert response.wsgi_request.studio.pk == studio.pk
    assert "no-store" in response["Cache-Control"]
