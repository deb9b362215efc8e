"""The platform operator's admin site.

The admin is one of the few places allowed to read across studios (docs/architecture.md):
every admin view, and its template rendering, runs inside `scopes_disabled()`.
"""

from functools import wraps

from django.contrib.admin import AdminSite
from django_scopes import scopes_disabled


class PlatformAdminSite(AdminSite):
    site_header = "Atelier — platform"
    site_title = "Atelier platform"

    def admin_view(self, view, cacheable=False):
        @wraps(view)
        def unscoped(request, *args, **kwargs):
            with scopes_disabled():
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            return response

        return super().admin_view(unscoped, cacheable)
