"""Who is signed in: the session row and the user row, read through compiled SQL.

Every signed-in request reads its session (`django_session`) and its user before any view runs,
and building those two ORM queries cost more Python than PostgreSQL spends on them (issue #14:
~2.8 ms of a POS cart tap's CPU). Both tables are global (no studio), so they run through
`studio.compiled_sql.compiled_platform_rows`: the same SQL the ORM sends (`Session.objects.get`,
`ModelBackend.get_user`'s `User._default_manager.get`), compiled once per process, with the
request's own values. Nothing is cached but SQL text: an expired or deleted session, a
deactivated or deleted user and a changed password count on the very next request, as with
Django's own classes (tests/test_signed_in.py).

* `SessionStore` (SESSION_ENGINE = "studio.signed_in"): Django's database sessions — same table,
  same rows, same cookie — whose read is compiled; writes stay Django's.
* `AuthenticationMiddleware`: Django's, whose `request.user` reads the user row compiled when
  the session names `ModelBackend` (every session this product makes). Django's own
  `get_user` answers for anything else (no session, another backend), so sessions made before
  this module keep working and nobody is signed out by a deploy.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from studio.compiled_sql import compiled_instance, compiled_platform_rows, model_columns

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_MAX_GET_RESULTS = 21  # what QuerySet.get() asks for, so that the SQL is the ORM's own
_model_backend = ModelBackend()


def _session_rows(*, session_key: str, now: dt.datetime):
    model = SessionStore.get_model_class()
    return model.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        *model_columns(model)
    )[:_MAX_GET_RESULTS]


class SessionStore(db.SessionStore):
    """Django's database session store; the session row is read through compiled SQL."""

    def _get_session_from_db(self):
        try:
            rows = compiled_platform_rows(
                "session", _session_rows, session_key=self.session_key, now=timezone.now()
            )
        except SuspiciousOperation as error:  # as Django's store: logged, and the key dropped
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            rows = []
        if not rows:
            self._session_key = None
            return None
        return compiled_instance(self.model, rows[0])[0]


def _user_rows(*, user_id: int):
    model = get_user_model()
    return model._default_manager.filter(pk=user_id).values_list(*model_columns(model))[:_MAX_GET_RESULTS]


def user_by_id(*, user_id: int):
    """The user `ModelBackend.get_user(user_id)` returns (None: no such user, or inactive)."""
    rows = compiled_platform_rows("session-user", _user_rows, user_id=user_id)
    if not rows:
        return None
    user = compiled_instance(get_user_model(), rows[0])[0]
    return user if _model_backend.user_can_authenticate(user) else None


def session_user(request):
    """The signed-in user of `request`'s session, as `django.contrib.auth.get_user` answers.

    A session that names `ModelBackend` reads its user through `user_by_id` and is verified as
    Django verifies it (the password-derived hash, then the fallback secrets, which rotate the
    key); any other session goes to Django's own `get_user`."""
    session = request.session
    if (
        SESSION_KEY not in session
        or session.get(BACKEND_SESSION_KEY) != MODEL_BACKEND
        or MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS
    ):
        return auth.get_user(request)
    user = user_by_id(user_id=get_user_model()._meta.pk.to_python(session[SESSION_KEY]))
    if user is None:
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    if session_hash:
        current_hash = user.get_session_auth_hash()
        if constant_time_compare(session_hash, current_hash):
            return user
        if any(constant_time_compare(session_hash, old) for old in user.get_session_auth_fallback_hash()):
            # Signed with a retired SECRET_KEY: Django keeps the person signed in on a new key.
            session.cycle_key()
            session[HASH_SESSION_KEY] = current_hash
            return user
    # No hash, or the password changed since: this session is over (Django flushes it too).
    session.flush()
    return AnonymousUser()


def _cached_session_user(request):
    if not hasattr(request, "_cached_user"):  # the attribute Django's own middleware caches in
        request._cached_user = session_user(request)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's middleware (`request.user`, `request.auser`), with `session_user` behind
    `request.user`."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_session_user(request))
