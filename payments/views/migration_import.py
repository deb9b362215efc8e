"""Migration import pages (PAY-10): upload Stripe's mapping file, dry run, apply, report.

Reserved to Owner/Admin with *connect payments*: the import moves clients' payment methods.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRefresh

from payments.forms import MigrationUploadForm
from payments.models import MigrationImport
from payments.services import migration_import as svc
from payments.services.saved_methods import saved_methods_enabled
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor

CLIENTS_PER_PAGE = 50
PROBLEMS_SHOWN = 200


def _light(queryset):
    """Import rows without the file and the report: enough for lists and the progress bar."""
    return queryset.defer("content", "report")


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_list(request):
    form = MigrationUploadForm(request.POST or None, request.FILES or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        try:
            migration = svc.migration_upload(
                studio=request.studio,
                actor=actor,
                target_account=form.cleaned_data["target_account"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            svc.migration_start(migration=migration, actor=actor, mode=svc.DRY_RUN)
            messages.success(
                request, _("File uploaded: the dry run has started. Nothing changes until you apply.")
            )
            return redirect("payments-migration-detail", studio_slug=request.studio.slug, pk=migration.pk)
    imports = _light(
        MigrationImport.objects.filter(studio=request.studio).select_related("target_account", "created_by")
    )[:50]
    return render(
        request,
        "payments/migration_list.html",
        {
            "form": form,
            "imports": imports,
            "has_accounts": form.fields["target_account"].queryset.exists(),
            "columns": svc.COLUMNS,
        },
    )


def _progress_context(migration: MigrationImport) -> dict:
    return {
        "migration": migration,
        "running": svc.migration_is_running(migration),
        "phase": (migration.summary or {}).get("phase", ""),
        "error_text": svc.migration_error_text(migration=migration),
    }


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_detail(request, pk):
    migration = get_object_or_404(
        MigrationImport.objects.select_related("target_account", "created_by").defer("content"), pk=pk
    )
    summary = migration.summary or {}
    finished = migration.status in (MigrationImport.Status.CHECKED, MigrationImport.Status.APPLIED)
    applied = summary.get("phase") == svc.APPLY
    groups, unmatched = svc.migration_report_by_client(migration=migration) if finished else ([], [])
    problems = (
        [e for e in (migration.report or []) if e.get("outcome") in svc.Outcome.PROBLEMS] if finished else []
    )
    counts = summary.get("counts", {}) if finished else {}
    context = {
        **_progress_context(migration),
        "finished": finished,
        "applied": applied,
        "summary": summary,
        "counts": [
            (key, svc.outcome_count_label(key, counts[key], applied=applied), counts[key])
            for key in svc.Outcome.ALL
            if counts.get(key)
        ],
        "page": Paginator(groups, CLIENTS_PER_PAGE).get_page(request.GET.get("page")),
        "problems": [_row(e, applied) for e in problems[:PROBLEMS_SHOWN]],
        "problems_total": len(problems),
        "unmatched_total": len(unmatched),
        "can_apply": svc.migration_can_apply(migration),
        "can_dry_run": svc.migration_can_dry_run(migration),
        "feature_on": saved_methods_enabled(studio=request.studio),
    }
    context["client_rows"] = [_client_row(group, applied) for group in context["page"].object_list]
    return render(request, "payments/migration_detail.html", context)


def _row(entry: dict, applied: bool) -> dict:
    return {
        "line": entry.get("line"),
        "outcome": entry.get("outcome"),
        "label": svc.outcome_label(entry.get("outcome", ""), applied=applied),
        "name": entry.get("name", ""),
        "client": entry.get("client"),
        "customer": entry.get("cus", ""),
        "old": entry.get("old", ""),
        "new": entry.get("new", ""),
        "method": svc.entry_method(entry),
        "message": svc.entry_message(entry),
    }


def _client_row(group: svc.ClientReport, applied: bool) -> dict:
    return {
        "client": group.client_id,
        "name": group.name,
        "done": group.done,
        "elsewhere": group.elsewhere,
        "moved": [_row(e, applied) for e in group.moved],
        "problems": [_row(e, applied) for e in group.problems],
        "default": svc.entry_method(group.default) if group.default else "",
        "default_reason": group.default.get("default") if group.default else "",
    }


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_progress(request, pk):
    """The progress card alone; htmx polls it every second while a run is going."""
    migration = get_object_or_404(_light(MigrationImport.objects.all()), pk=pk)
    context = _progress_context(migration)
    if request.htmx and not context["running"]:
        return HttpResponseClientRefresh()  # finished: reload the page to show the report
    return render(request, "payments/_migration_progress.html", context)


def _start(request, pk, mode: str):
    migration = get_object_or_404(_light(MigrationImport.objects.all()), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        svc.migration_start(migration=migration, actor=Actor.from_request(request), mode=mode)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The dry run has started.")
            if mode == svc.DRY_RUN
            else _("Applying: saved methods move to the new account as the bar fills."),
        )
    return redirect("payments-migration-detail", studio_slug=request.studio.slug, pk=migration.pk)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_dry_run(request, pk):
    return _start(request, pk, svc.DRY_RUN)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_apply(request, pk):
    """Applying moves clients' saved methods for good: a first POST shows what will move, and only
    the confirmation's own POST (`confirm=1`) starts the run."""
    if request.method == "POST" and request.POST.get("confirm") != "1":
        migration = get_object_or_404(
            MigrationImport.objects.select_related("target_account").defer("content"), pk=pk
        )
        if not svc.migration_can_apply(migration):
            return _start(request, pk, svc.APPLY)  # refused there, with the reason
        summary = migration.summary or {}
        counts = summary.get("counts", {})
        return render(
            request,
            "payments/migration_apply_confirm.html",
            {
                "migration": migration,
                "summary": summary,
                "moving": counts.get(svc.Outcome.REPOINT, 0) + counts.get(svc.Outcome.ADD, 0),
                "problems": sum(counts.get(key, 0) for key in svc.Outcome.PROBLEMS),
                "counts": [
                    (key, svc.outcome_count_label(key, counts[key]))
                    for key in svc.Outcome.ALL
                    if counts.get(key)
                ],
                "feature_on": saved_methods_enabled(studio=request.studio),
            },
        )
    return _start(request, pk, svc.APPLY)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def migration_report(request, pk):
    """The report as CSV: one line per row of the uploaded file, with its outcome and why."""
    migration = get_object_or_404(MigrationImport.objects.defer("content"), pk=pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in svc.migration_report_csv_rows(migration=migration):
        writer.writerow(line)
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    stem = migration.file_name.rsplit(".", 1)[0] or "mapping"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80]
    response["Content-Disposition"] = f'attachment; filename="{safe}-report-{migration.pk}.csv"'
    return response
