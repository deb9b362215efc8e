"""View guards for staff pages and client pages.

Denials for a signed-in person are 403 with a friendly page; anonymous visitors are sent to
log in. Objects of another studio are never found (the scope sees to it): 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse


def staff_required(perm: str | None = None, *, owner_or_admin: bool = False):
    """Require an active staff membership in the current studio, and `perm` when given.

    `owner_or_admin`: also require the Owner or Admin role (decisions the seeds reserve to them,
    such as accepting the saved-payment-methods terms).
    """

    def decorator(view):
        view.required_permission = perm

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            staff = request.staff
            if staff is None:
                raise PermissionDenied("not_staff")
            if perm is not None and not staff.has_perm(perm):
                raise PermissionDenied(perm)
            if owner_or_admin and not staff.role.is_all_powerful:
                raise PermissionDenied("owner_or_admin")
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm
        wrapped.owner_or_admin = owner_or_admin
        wrapped.staff_view = True
        return wrapped

    return decorator


def client_required(view):
    """A signed-in client of the current studio (hosted pages)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.client_profile is None:
            login_url = reverse("account-login", kwargs={"studio_slug": request.studio.slug})
            return redirect(f"{login_url}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    wrapped.client_view = True
    return wrapped
