"""Resolve `/<studio_slug>/…` to a Studio once, and run the view *and its template rendering*
inside that studio's scope (DESIGN.md, Tenancy)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django_scopes import scope

from studio import selectors


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
        with scope(studio=studio):
            if request.user.is_authenticated:
                request.staff = selectors.staff_member_for(studio=studio, user=request.user)
                request.client_profile = selectors.client_profile_for(studio=studio, user=request.user)
            self._activate_user_language(request)
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The studio is on the request; views never see the slug.
        view_kwargs.pop("studio_slug", None)
        return None

    @staticmethod
    def _activate_user_language(request: HttpRequest) -> None:
        """An explicit choice (cookie) wins; then the person's saved language; then the browser's."""
        from django.conf import settings

        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            return
        user = getattr(request, "user", None)
        preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if not preferred and request.client_profile is not None:
            preferred = request.client_profile.language
        if preferred:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
