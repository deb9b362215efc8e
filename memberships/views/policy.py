"""The cancellation policy page and the penalty rules' pages (POL-1 … POL-3, POL-5).

The rule form reads itself back as a sentence on every change (`penalty_rule_sentence`, one
htmx round trip) and previews the last 90 days (`penalty_rule_preview`); both take the form's
fields as GET parameters and save nothing. Without htmx they answer a small page of their own.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memberships.forms.policy import PenaltyRuleForm, PolicySettingsForm
from memberships.models import Plan
from memberships.policy_engine import RuleTerms
from memberships.policy_wording import rule_sentence
from memberships.selectors.policy import PREVIEW_DAYS, penalty_rule_get, penalty_rule_list, rule_preview
from memberships.services import policy as policy_services
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.inputs import parse_int_param
from studio.permissions import Perm
from studio.services import Actor

PREVIEW_ROWS_SHOWN = 100


def _add_errors(form, exc: ValidationError) -> None:
    codes = {e.code for e in exc.error_list} if hasattr(exc, "error_list") else set()
    field = next((c for c in codes if c in form.fields), None)
    form.add_error(field, exc)


def _sentences(studio, rules) -> None:
    """Sets `sentence` on each rule: one query for every rule's plan names."""
    wanted = {pk for rule in rules for pk in rule.plan_ids}
    names = (
        dict(Plan.objects.filter(studio=studio, pk__in=wanted).values_list("pk", "name")) if wanted else {}
    )
    for rule in rules:
        rule.sentence = rule_sentence(
            terms=RuleTerms.of(rule, rule.plan_ids),
            plan_names=[names[p] for p in rule.plan_ids if p in names],
        )


@staff_required(Perm.MANAGE_SETTINGS)
def cancellation_policy(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    policy = policy_services.policy_settings_for(studio=studio)
    form = PolicySettingsForm(request.POST or None, policy=policy, studio=studio)
    if request.method == "POST" and form.is_valid():
        try:
            policy_services.policy_settings_save(
                studio=studio, actor=Actor.from_request(request), cleaned=form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Cancellation policy saved."))
            return redirect("cancellation-policy", studio_slug=studio.slug)
    rules = penalty_rule_list(studio=studio)
    _sentences(studio, rules)
    return render(
        request,
        "memberships/policy/page.html",
        {"form": form, "policy": policy, "rules": rules, "tab": "cancellation-policy"},
    )


def _rule_page(request: HttpRequest, rule) -> HttpResponse:
    studio = request.studio
    form = PenaltyRuleForm(request.POST or None, studio=studio, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            policy_services.penalty_rule_save(
                studio=studio,
                actor=Actor.from_request(request),
                rule=form.rule(rule),
                plan_ids=form.plan_ids(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Penalty rule saved."))
            return redirect("cancellation-policy", studio_slug=studio.slug)
    return render(
        request,
        "memberships/policy/rule_form.html",
        {"form": form, "rule": rule, "sentence": _form_sentence(form, rule), "tab": "cancellation-policy"},
    )


def _form_sentence(form: PenaltyRuleForm, rule=None) -> str:
    """The sentence of the fields as typed, or of the saved rule before any typing; empty while
    the form cannot say it yet (a new rule without its fee, a field refused)."""
    if not form.is_bound:
        if rule is None:
            return ""
        names = list(
            Plan.objects.filter(studio=form.studio, pk__in=rule.plan_ids).values_list("name", flat=True)
        )
        return rule_sentence(terms=RuleTerms.of(rule, rule.plan_ids), plan_names=names)
    terms = form.terms()
    if terms is None:
        return ""
    plans = None if terms.all_plans else [plan.name for plan in form.cleaned_data.get("plans") or []]
    return rule_sentence(terms=terms, plan_names=plans)


@staff_required(Perm.MANAGE_SETTINGS)
def penalty_rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@staff_required(Perm.MANAGE_SETTINGS)
def penalty_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = penalty_rule_get(studio=request.studio, pk=pk)
    if rule is None or rule.archived_at is not None:
        raise Http404
    return _rule_page(request, rule)


def _form_from_query(request: HttpRequest) -> PenaltyRuleForm:
    # The fields as typed so far; an unknown plan id is the form's to refuse.
    return PenaltyRuleForm(request.GET, studio=request.studio)


@staff_required(Perm.MANAGE_SETTINGS)
def penalty_rule_sentence(request: HttpRequest) -> HttpResponse:
    """The rule's sentence for the fields in the query (htmx: the fragment alone)."""
    form = _form_from_query(request)
    context = {"form": form, "sentence": _form_sentence(form), "tab": "cancellation-policy"}
    template = (
        "memberships/policy/_sentence.html" if request.htmx else "memberships/policy/sentence_page.html"
    )
    return render(request, template, context)


@staff_required(Perm.MANAGE_SETTINGS)
def penalty_rule_preview(request: HttpRequest) -> HttpResponse:
    """What the rule in the query would have charged over the last 90 days (htmx: the panel)."""
    form = _form_from_query(request)
    terms = form.terms()
    preview = rule_preview(studio=request.studio, terms=terms, now=timezone.now()) if terms else None
    context = {
        "form": form,
        "preview": preview,
        "rows": preview.rows[:PREVIEW_ROWS_SHOWN] if preview else [],
        "more": max(0, preview.count - PREVIEW_ROWS_SHOWN) if preview else 0,
        "days": PREVIEW_DAYS,
        "tab": "cancellation-policy",
    }
    template = "memberships/policy/_preview.html" if request.htmx else "memberships/policy/preview_page.html"
    return render(request, template, context)


@staff_required(Perm.MANAGE_SETTINGS)
def penalty_rule_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """GET or a first POST: the confirmation page; the confirmed POST archives the rule."""
    rule = penalty_rule_get(studio=request.studio, pk=pk)
    if rule is None or rule.archived_at is not None:
        raise Http404
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "GET" or not is_confirmed(request):
        _sentences(request.studio, [rule])
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Archive this penalty rule?"),
            lines=[
                rule.sentence,
                _(
                    "It stops charging from now on. Fees it already charged or that are pending stay as they are."
                ),
            ],
            confirm_label=_("Archive the rule"),
            back_url=reverse("cancellation-policy", kwargs={"studio_slug": request.studio.slug}),
            back_label=_("Go back"),
            danger=True,
        )
    policy_services.penalty_rule_archive(studio=request.studio, actor=Actor.from_request(request), rule=rule)
    messages.success(request, _("Penalty rule archived."))
    return redirect("cancellation-policy", studio_slug=request.studio.slug)


@staff_required(Perm.MANAGE_SETTINGS)
@require_POST
def penalty_rules_reorder(request: HttpRequest) -> HttpResponse:
    """Move one rule up or down (`rule`, `direction` = up|down); the order decides which rule
    charges first."""
    rules = penalty_rule_list(studio=request.studio)
    ids = [rule.pk for rule in rules]
    moved = parse_int_param(request.POST.get("rule"))
    direction = request.POST.get("direction")
    if moved not in ids or direction not in ("up", "down"):
        raise Http404
    index = ids.index(moved)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        try:
            policy_services.penalty_rules_reorder(
                studio=request.studio, actor=Actor.from_request(request), ordered_ids=ids
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("cancellation-policy", studio_slug=request.studio.slug)
