"""Request machinery that every page relies on.

* `HostileInputMiddleware` refuses a request whose path, query string or form values carry a
  NUL character before any view, form or query sees it (SPEC Q-2), and keeps Django's debug page
  for platform staff even in development.
* `StudioTenantMiddleware` resolves `/<studio_slug>/…` to a Studio once, and runs the view *and
  its template rendering* inside that studio's scope and time zone (DESIGN.md, Tenancy, Time);
  pages with personal data are never stored by a browser or a proxy.
"""

from __future__ import annotations

import logging
import zoneinfo

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django_scopes import scope

from studio import selectors
from studio.inputs import has_nul

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


class StudioTenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.studio = None
        request.staff = None
        request.client_profile = None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("studio_slug")
        if slug is None:
            self._activate_user_language(request)
            return self.get_response(request)

        studio = selectors.studio_by_slug(slug=slug)
        if studio is None:
            raise Http404("No such studio")
        request.studio = studio
        with scope(studio=studio), timezone.override(_zone(studio.time_zone)):
            if request.user.is_authenticated:
                request.staff = selectors.staff_member_for(studio=studio, user=request.user)
                request.client_profile = selectors.client_profile_for(studio=studio, user=request.user)
            self._activate_user_language(request)
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        if self._is_private(request, match.route):
            # Staff pages, fragments and client pages carry personal data: a shared computer's
            # back button or a proxy must not show them to the next person.
            add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The studio is on the request; views never see the slug.
        view_kwargs.pop("studio_slug", None)
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
