"""Membership settings page (MEM-3, MEM-4): the retry schedule and the studio's choices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from memberships.forms.settings import MembershipSettingsForm
from memberships.services.settings import membership_settings_for, membership_settings_update
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_settings(request: HttpRequest) -> HttpResponse:
    settings = membership_settings_for(studio=request.studio)
    form = MembershipSettingsForm(request.POST or None, settings=settings)
    if request.method == "POST" and form.is_valid():
        try:
            membership_settings_update(
                studio=request.studio, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Membership settings saved."))
            return redirect("membership-settings", studio_slug=request.studio.slug)
    return render(
        request,
        "memberships/settings.html",
        {"form": form, "settings": settings, "memberships_tab": "settings"},
    )
