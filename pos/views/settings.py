"""POS settings page (POS-3): tips on the card reader, a tab of the studio's settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pos.forms.settings import PosSettingsForm
from pos.services.settings import pos_settings_for, pos_settings_update
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.MANAGE_SETTINGS)
def pos_settings(request: HttpRequest) -> HttpResponse:
    settings = pos_settings_for(studio=request.studio)
    form = PosSettingsForm(request.POST or None, settings=settings)
    if request.method == "POST" and form.is_valid():
        try:
            saved = pos_settings_update(
                studio=request.studio, actor=Actor.from_request(request), **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if saved.tipping_applied:
                messages.success(request, _("Point-of-sale settings saved."))
            else:
                messages.warning(
                    request,
                    _(
                        "Point-of-sale settings saved, but Stripe could not be reached to update the "
                        "readers: it will be retried automatically in the next minutes."
                    ),
                )
            return redirect("pos-settings", studio_slug=request.studio.slug)
    return render(
        request, "pos/rdr/settings.html", {"form": form, "settings": settings, "tab": "pos-settings"}
    )
