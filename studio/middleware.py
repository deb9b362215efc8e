"""Request machinery that every page relies on.

* `HostileInputMiddleware` refuses a request whose path, query string or form values carry a
  NUL character before any view, form or query sees it (SPEC Q-2), and keeps Django's debug page
  for platform staff even in development.
* `StudioTenantMiddleware` resolves `/<studio_slug>/…` to a Studio once — with the signed-in
  person's staff membership and client record, in one query for a staff member (`tenant_resolve`)
  — and runs the view *and its template rendering* inside that studio's scope and time zone
  (DESIGN.md, Tenancy, Time); pages with personal data are never stored by a browser or a proxy.
"""

from __future__ import annotations

import logging
import zoneinfo
from contextlib import ExitStack
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db.models import Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django_scopes import scope

from studio.compiled_sql import (
    compiled_instance,
    compiled_platform_rows,
    compiled_rows_by_slug,
    model_columns,
)
from studio.inputs import has_nul
from studio.models import Client, Role, StaffMember, Studio

logger = logging.getLogger("django.request")
_REFUSALS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)

# Route prefixes under /<studio_slug>/ whose pages carry staff or client data.
PRIVATE_PREFIXES = ("manage/", "pos/", "account/", "kiosk/", "invite/")


def _request_has_nul(request: HttpRequest) -> bool:
    if has_nul(request.path_info):
        return True
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if has_nul(key) or any(has_nul(value) for value in values if isinstance(value, str)):
                return True
    return False


class HostileInputMiddleware:
    """Answer 400 to any request carrying a NUL character (docs/decisions.md, "NUL characters").

    No person types NUL, PostgreSQL text refuses it, and stripping it would silently turn one
    token or search into another; refusing here means no view has to think about it.
    Sits after LocaleMiddleware and AuthenticationMiddleware, so that the refusal speaks the
    visitor's language and the page knows who is signed in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _request_has_nul(request):
            if request.headers.get("HX-Request") == "true":
                # htmx would drop a 4xx silently: the refusal goes to the page's alert region
                # (templates/base.html, which also tells htmx to swap a 400).
                response = render(request, "studio/_bad_request_alert.html", status=400)
                response["HX-Retarget"] = "#live-alerts"
                response["HX-Reswap"] = "innerHTML"
            else:
                response = render(request, "studio/bad_request.html", status=400)
            add_never_cache_headers(response)
            return response
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """With DEBUG on (development), only platform staff see Django's debug page.

        Everyone else — an anonymous visitor, a client, a studio's staff — gets the product's own
        error page, as in production; the exception is still logged. Refusals (404, 403, 400)
        keep their own pages.
        """
        if not settings.DEBUG or isinstance(exception, _REFUSALS):
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return None
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        from studio.views.errors import server_error

        return server_error(request)


class Tenant(NamedTuple):
    """What the tenant middleware puts on the request for `/<studio_slug>/…`."""

    studio: Studio
    staff: StaffMember | None  # the signed-in person's active staff membership, its role read with it
    client_profile: Client | None  # their client record in this studio, unless archived


def _client_id_subquery(*, user_id: int):
    return Client.objects.filter(user_id=user_id, archived_at__isnull=True).order_by("pk").values("pk")[:1]


def _staff_queryset(*, user_id: int):
    """The ORM lookup of the signed-in person's membership (with its studio, role and the id of
    their client record); the compiled read below is held to its rows (tests/test_tenant_resolution.py)."""
    return (
        StaffMember.objects.select_related("studio", "role")
        .filter(user_id=user_id, is_active=True)
        .annotate(client_profile_id=Subquery(_client_id_subquery(user_id=user_id)))
        .order_by("pk")[:1]
    )


def _client_queryset(*, user_id: int):
    return (
        Client.objects.select_related("studio")
        .filter(user_id=user_id, archived_at__isnull=True)
        .order_by("pk")[:1]
    )


def _studio_queryset(*, slug: str):
    return Studio.objects.filter(slug=slug).order_by("pk")[:1]  # what `.first()` sends


def _columns(model, prefix: str = "") -> list[str]:
    return [prefix + name for name in model_columns(model)]


def _staff_rows(*, studio_slug: str, user_id: int):
    return _staff_queryset(user_id=user_id).values_list(
        *_columns(StaffMember), *_columns(Studio, "studio__"), *_columns(Role, "role__"), "client_profile_id"
    )


def _client_rows(*, studio_slug: str, user_id: int):
    return _client_queryset(user_id=user_id).values_list(*_columns(Client), *_columns(Studio, "studio__"))


def _studio_rows(*, slug: str):
    return _studio_queryset(slug=slug).values_list(*_columns(Studio))


def tenant_resolve(*, slug: str, user_id: int | None) -> Tenant | None:
    """The studio named by `slug` and the signed-in person's place in it (None: no such studio).

    One query for a staff member (the membership with its studio and role, and the id of their
    client record as a subquery), two for a client (no membership; the record with its studio),
    one for an anonymous visitor; a signed-in person who is neither pays three, as every page did.
    The same answers as `selectors.studio_by_slug`, `staff_member_for` and `client_profile_for`,
    asked on every request, fresh: a removed member or a changed role counts on the next request.

    Before the studio is known, the scope is the studio this slug names (a subquery): the
    tenancy guard stays on, and the rows read can belong to that studio only. The querysets
    above are the ORM's; they run from SQL compiled once per process (`compiled_rows_by_slug`,
    `compiled_platform_rows`), since building them cost several times what PostgreSQL spends
    (docs/decisions.md, "The signed-in request's fixed cost")."""
    if user_id is not None:
        rows = compiled_rows_by_slug("tenant-staff", _staff_rows, studio_slug=slug, user_id=user_id)
        if rows:
            staff, end = compiled_instance(StaffMember, rows[0])
            studio, end = compiled_instance(Studio, rows[0], end)
            role, end = compiled_instance(Role, rows[0], end)
            staff.studio, staff.role, staff.client_profile_id = studio, role, rows[0][end]
            client = None
            if staff.client_profile_id is not None:  # a staff member who is also a client here: rare
                with scope(studio=studio):
                    client = Client.objects.get(pk=staff.client_profile_id)
                client.studio = studio
            return Tenant(studio, staff, client)
        rows = compiled_rows_by_slug("tenant-client", _client_rows, studio_slug=slug, user_id=user_id)
        if rows:
            client, end = compiled_instance(Client, rows[0])
            client.studio = compiled_instance(Studio, rows[0], end)[0]
            return Tenant(client.studio, None, client)
    rows = compiled_platform_rows("tenant-studio", _studio_rows, slug=slug)
    return Tenant(compiled_instance(Studio, rows[0])[0], None, None) if rows else None


class StudioTenantMiddleware:
    """Runs `/<studio_slug>/…` pages inside their studio's scope, time zone and reader's language.

    The path is resolved once, by Django's handler: the tenant is looked up in `process_view`,
    from the match the handler made (resolving it here too cost a tap 0.5–3 ms, issue #14), and
    the scope it opens there is closed here, once the response — its template rendering
    included — is done. Listed before CsrfViewMiddleware, so that its `process_view` runs first
    and a refused CSRF token is answered inside the studio and language, as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.studio = None
        request.staff = None
        request.client_profile = None
        with ExitStack() as tenant_scope:
            request._tenant_scope = tenant_scope  # what `process_view` enters, closed on leaving
            request._tenant_route = None
            response = self.get_response(request)
            if (
                request.studio is not None
                and hasattr(response, "render")
                and not getattr(response, "is_rendered", True)
            ):
                response.render()
        del request._tenant_scope
        if request._tenant_route is not None and self._is_private(request, request._tenant_route):
            # Staff pages, fragments and client pages carry personal data: a shared computer's
            # back button or a proxy must not show them to the next person.
            add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The studio is on the request; views never see the slug.
        slug = view_kwargs.pop("studio_slug", None)
        if slug is None:
            self._activate_user_language(request)
            return None
        # The studio, the staff membership and the client record in one query (`tenant_resolve`).
        tenant = tenant_resolve(slug=slug, user_id=request.user.pk if request.user.is_authenticated else None)
        if tenant is None:
            raise Http404("No such studio")
        studio = request.studio = tenant.studio
        request.staff, request.client_profile = tenant.staff, tenant.client_profile
        request._tenant_scope.enter_context(scope(studio=studio))
        request._tenant_scope.enter_context(timezone.override(_zone(studio.time_zone)))
        request._tenant_route = request.resolver_match.route
        self._activate_user_language(request)
        return None

    @staticmethod
    def _is_private(request: HttpRequest, route: str) -> bool:
        tenant_route = route.split("/", 1)[1] if "/" in route else ""
        return (
            tenant_route.startswith(PRIVATE_PREFIXES)
            or request.user.is_authenticated
            or request.method != "GET"
        )

    @staticmethod
    def _activate_user_language(request: HttpRequest) -> None:
        """An explicit choice (cookie) wins; then the person's saved language; then the browser's."""
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            return
        user = getattr(request, "user", None)
        preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if not preferred and request.client_profile is not None:
            preferred = request.client_profile.language
        if preferred:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
