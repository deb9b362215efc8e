"""Migrating clients' saved methods from an old Stripe account (PAY-10): upload, dry run, apply."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import ConnectedAccount, MigrationImport
from payments.services import stripe_migration as svc
from payments.tasks_migration import stripe_migration_run
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor
from studio.tasking import enqueue

REPORT_ROWS_SHOWN = 500


class UploadForm(forms.Form):
    target_account = forms.ModelChoiceField(label=gettext_lazy("Move the methods to"), queryset=None)
    file = forms.FileField(label=gettext_lazy("Mapping file from Stripe (CSV)"))

    def __init__(self, *args, studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_account"].queryset = ConnectedAccount.objects.filter(
            studio=studio, charges_enabled=True).exclude(stripe_account_id="").order_by("display_name")


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_list(request):
    form = UploadForm(request.POST or None, request.FILES or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            migration = svc.migration_upload(studio=request.studio, actor=Actor.from_request(request),
                                             target_account=form.cleaned_data["target_account"],
                                             file_name=upload.name, data=upload.read())
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            enqueue(stripe_migration_run, request.studio.pk, migration.pk, False, request.user.pk)
            return redirect("payments-import-detail", studio_slug=request.studio.slug, pk=migration.pk)
    imports = MigrationImport.objects.filter(studio=request.studio).select_related("target_account").defer(
        "content", "report")
    return render(request, "payments/stripe_migration_list.html", {"form": form, "imports": imports})


def _detail_context(migration: MigrationImport) -> dict:
    rows = migration.report[:REPORT_ROWS_SHOWN]
    return {"migration": migration, "rows": rows, "more_rows": max(len(migration.report) - len(rows), 0),
            "labels": svc.Outcome.LABELS,
            "working": migration.status in (MigrationImport.Status.CHECKING, MigrationImport.Status.APPLYING,
                                             MigrationImport.Status.UPLOADED)}


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_detail(request, pk):
    migration = get_object_or_404(MigrationImport.objects.select_related("target_account"), pk=pk)
    return render(request, "payments/stripe_migration_detail.html", _detail_context(migration))


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_progress(request, pk):
    migration = get_object_or_404(MigrationImport.objects.select_related("target_account").defer("content"), pk=pk)
    return render(request, "payments/_stripe_migration_progress.html", _detail_context(migration))


def _start(request, pk, *, apply: bool):
    migration = get_object_or_404(MigrationImport, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if apply and migration.status not in (MigrationImport.Status.CHECKED, MigrationImport.Status.APPLIED):
        messages.error(request, _("Run the dry run first, and read it."))
    elif migration.status in (MigrationImport.Status.CHECKING, MigrationImport.Status.APPLYING):
        messages.info(request, _("This import is already running."))
    else:
        MigrationImport.objects.filter(pk=migration.pk).update(
            status=MigrationImport.Status.APPLYING if apply else MigrationImport.Status.CHECKING, progress_done=0)
        enqueue(stripe_migration_run, request.studio.pk, migration.pk, apply, request.user.pk)
    return redirect("payments-import-detail", studio_slug=request.studio.slug, pk=migration.pk)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_dry_run(request, pk):
    return _start(request, pk, apply=False)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_apply(request, pk):
    return _start(request, pk, apply=True)


@staff_required(Perm.CONNECT_PAYMENTS, owner_or_admin=True)
def import_report(request, pk):
    migration = get_object_or_404(MigrationImport, pk=pk)
    response = HttpResponse(svc.migration_report_csv(migration=migration), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="migration-{migration.pk}-report.csv"'
    return response
