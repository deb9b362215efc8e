"""Where a waiver is required (WAI-5): thin, a form and one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor
from waivers.forms.requirements import KIND_WHERE, WaiverRequirementsForm
from waivers.selectors.requirements import waiver_requirements_of
from waivers.selectors.templates import waiver_for_staff
from waivers.services.requirements import waiver_requirements_set


@staff_required(Perm.MANAGE_WAIVERS)
def waiver_requirements(request, pk):
    waiver = waiver_for_staff(studio=request.studio, pk=pk)
    current = waiver_requirements_of(waiver=waiver)
    initial = {
        "studio_wide": current["studio_wide"],
        "plan_ids": current["plan"],
        "class_template_ids": current["class_template"],
        "service_ids": current["service"],
    }
    form = WaiverRequirementsForm(request.POST or None, studio=request.studio, waiver=waiver, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            waiver_requirements_set(
                studio=request.studio,
                actor=Actor.from_request(request),
                waiver=waiver,
                studio_wide=bool(form.cleaned_data.get("studio_wide")),
                plan_ids=form.ids("plan_ids"),
                class_template_ids=form.ids("class_template_ids"),
                service_ids=form.ids("service_ids"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Saved: “%(name)s” is asked where you chose.") % {"name": waiver.name}
            )
            return redirect("waiver-requirements", studio_slug=request.studio.slug, pk=waiver.pk)
    return render(
        request,
        "waivers/manage/requirements.html",
        {"waiver": waiver, "form": form, "where": KIND_WHERE.get(waiver.kind, "")},
    )
