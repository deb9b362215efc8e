from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from studio import services
from studio.access import staff_required
from studio.forms import BrandingForm, StudioSettingsForm
from studio.permissions import Perm


@staff_required(Perm.MANAGE_SETTINGS)
def studio_settings(request):
    studio = request.studio
    form = StudioSettingsForm(request.POST or None, instance=studio)
    if request.method == "POST":
        if form.is_valid():
            services.studio_update(
                studio=studio,
                actor=services.Actor.from_request(request),
                data=form.cleaned_data,
                fields=services.STUDIO_SETTINGS_FIELDS,
            )
            messages.success(request, _("Settings saved."))
            return redirect("settings", studio_slug=studio.slug)
        studio.refresh_from_db()  # the form mutated the instance; the page header must not show unsaved values
    return render(request, "studio/settings.html", {"form": form, "tab": "details"})


@staff_required(Perm.MANAGE_SETTINGS)
def branding(request):
    studio = request.studio
    form = BrandingForm(request.POST or None, request.FILES or None, instance=studio)
    if request.method == "POST":
        if form.is_valid():
            services.studio_update(
                studio=studio,
                actor=services.Actor.from_request(request),
                data=form.cleaned_data,
                fields=services.BRANDING_FIELDS,
            )
            messages.success(request, _("Branding saved."))
            return redirect("settings-branding", studio_slug=studio.slug)
        studio.refresh_from_db()
    return render(request, "studio/branding.html", {"form": form, "tab": "branding"})
