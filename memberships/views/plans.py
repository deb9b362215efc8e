"""Plans pages (MEM-1): the list (on sale / archived), one form for every kind, archive and restore."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memberships.forms.plans import FORM_NAMES, PlanForm
from memberships.models import Plan, PlanKind
from memberships.selectors.plans import MEMBER_STATUSES, plan_counts
from memberships.selectors.plans import plan_list as select_plans
from memberships.services.plans import plan_archive as archive_plan
from memberships.services.plans import plan_save
from memberships.wording import credits_phrase, plan_terms
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def plan_list(request):
    archived = request.GET.get("archived") == "1"
    plans = list(select_plans(studio=request.studio, archived=archived))
    for plan in plans:
        plan.terms = plan_terms(plan)
        plan.credits = credits_phrase(
            plan.pack_credits if plan.kind == PlanKind.PACK else plan.credits_per_period
        )
    return render(
        request,
        "memberships/plans/list.html",
        {
            "plans": plans,
            "archived": archived,
            "counts": plan_counts(studio=request.studio),
            "kinds": PlanKind.choices,
        },
    )


def _add_errors(form: PlanForm, exc: ValidationError) -> None:
    """The service's refusals beside their fields when the form has them, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = FORM_NAMES.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _plan_form(request, plan: Plan | None):
    instance = plan or Plan(studio=request.studio)
    initial = {}
    if plan is None:
        # The seed's first plan is a monthly subscription; ?kind= comes from the list's links.
        wanted = request.GET.get("kind")
        initial["kind"] = wanted if wanted in PlanKind.values else PlanKind.SUBSCRIPTION
    form = PlanForm(request.POST or None, instance=instance, initial=initial, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        try:
            saved = plan_save(
                studio=request.studio,
                actor=Actor.from_request(request),
                plan=form.save(commit=False),
                **form.link_ids(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Plan “%(name)s” saved.") % {"name": saved.name})
            return redirect("plan-list", studio_slug=request.studio.slug)
    return render(
        request, "memberships/plans/form.html", {"form": form, "plan": plan, "kinds": PlanKind.choices}
    )


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def plan_create(request):
    return _plan_form(request, None)


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def plan_edit(request, pk):
    return _plan_form(request, get_object_or_404(Plan, pk=pk))


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def plan_archive(request, pk):
    """POST: archive (or, with restore=1, restore) after a confirmation page."""
    plan = get_object_or_404(Plan, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archive = request.POST.get("restore") != "1"
    back = reverse("plan-edit", kwargs={"studio_slug": request.studio.slug, "pk": plan.pk})
    if not is_confirmed(request):
        members = plan.memberships.filter(status__in=MEMBER_STATUSES).count()
        if archive:
            lines = [
                _("“%(name)s” is no longer offered for sale, at the desk or online.") % {"name": plan.name}
            ]
            if members:
                lines.append(
                    ngettext(
                        "%(count)s client holds it: their membership keeps running and renewing.",
                        "%(count)s clients hold it: their memberships keep running and renewing.",
                        members,
                    )
                    % {"count": members}
                )
            title, label = _("Archive this plan?"), _("Archive the plan")
        else:
            lines = [_("“%(name)s” is offered for sale again.") % {"name": plan.name}]
            title, label = _("Restore this plan?"), _("Restore the plan")
        return confirm_page(
            request,
            base="manage_base.html",
            title=title,
            lines=lines,
            confirm_label=label,
            back_url=back,
            back_label=_("Go back"),
            danger=archive,
        )
    archive_plan(studio=request.studio, actor=Actor.from_request(request), plan=plan, archived=archive)
    messages.success(request, _("Plan archived.") if archive else _("Plan restored."))
    list_url = reverse("plan-list", kwargs={"studio_slug": request.studio.slug})
    return redirect(list_url if not archive else f"{list_url}?archived=1")
