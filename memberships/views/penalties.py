"""Penalty fees for staff (POL-4): the list by state, a fee's page, waive (with a reason, after a
confirmation) and retry; the late-cancel / no-show report (REP-3) and its CSV.

Permissions: the fee pages, waiving a fee not yet charged and retrying need
Perm.MANAGE_MEMBERSHIPS (the staff who run memberships and their dunning); waiving a fee already
charged refunds it, so it needs Perm.REFUND as well. The report needs Perm.VIEW_REPORTS.
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memberships.forms.penalties import PenaltyReportForm, PenaltyWaiveForm
from memberships.models import PenaltyStatus
from memberships.periods import studio_today
from memberships.selectors.penalties import (
    ROWS_MAX,
    TABS,
    penalty_detail,
    penalty_for_staff,
    penalty_report,
    penalty_rows,
    penalty_tab_counts,
    report_totals,
)
from memberships.services.penalties import penalty_retry, penalty_waive
from studio.access import staff_required
from studio.money import to_major
from studio.permissions import Perm
from studio.services import Actor


def _detail_url(request: HttpRequest, pk: int) -> str:
    return reverse("penalty-detail", kwargs={"studio_slug": request.studio.slug, "pk": pk})


def _get(request: HttpRequest, pk: int):
    penalty = penalty_for_staff(studio=request.studio, pk=pk)
    if penalty is None:
        raise Http404
    return penalty


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def penalty_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "pending")
    tab = tab if tab in TABS else "pending"
    context = {
        "tab": tab,
        "tabs": TABS,
        "counts": penalty_tab_counts(studio=request.studio),
        "rows": penalty_rows(studio=request.studio, tab=tab),
        "rows_max": ROWS_MAX,
    }
    template = "memberships/penalties/_list_table.html" if request.htmx else "memberships/penalties/list.html"
    return render(request, template, context)


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def penalty_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    penalty = _get(request, pk)
    detail = penalty_detail(studio=request.studio, penalty=penalty)
    return render(
        request,
        "memberships/penalties/detail.html",
        {"detail": detail, "penalty": penalty, "can_refund": request.staff.has_perm(Perm.REFUND)},
    )


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def penalty_waive_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (what waiving does to this fee) with the reason; POST: waive."""
    penalty = _get(request, pk)
    detail = penalty_detail(studio=request.studio, penalty=penalty)
    refusal = ""
    if penalty.status == PenaltyStatus.CHARGING:
        refusal = _(
            "This fee is being charged right now. Wait a minute and reload the page: once charged it "
            "can be waived and refunded."
        )
    elif not detail.can_waive:
        refusal = _("This fee was already waived or reversed.")
    elif detail.waive_refunds and not request.staff.has_perm(Perm.REFUND):
        refusal = _(
            "This fee was already charged: waiving it refunds the client, which needs the refund permission."
        )
    form = PenaltyWaiveForm(request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            penalty_waive(
                studio=request.studio,
                actor=Actor.from_request(request),
                penalty=penalty,
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied:
            refusal = _("Waiving a charged fee refunds it, which needs the refund permission.")
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("The fee is waived."))
            return redirect(_detail_url(request, penalty.pk))
    return render(
        request,
        "memberships/penalties/waive.html",
        {"detail": detail, "penalty": penalty, "form": form, "refusal": refusal},
        status=200 if not refusal or request.method == "GET" else 409,
    )


@staff_required(Perm.MANAGE_MEMBERSHIPS)
@require_POST
def penalty_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge a failed fee again. A second click finds it being charged and is told so."""
    penalty = _get(request, pk)
    if penalty.status != PenaltyStatus.FAILED:
        messages.info(request, _("This fee is not waiting for a new attempt; here is where it stands."))
        return redirect(_detail_url(request, penalty.pk))
    try:
        penalty_retry(studio=request.studio, actor=Actor.from_request(request), penalty=penalty)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("The fee is being charged again; this page shows the result."))
    return redirect(_detail_url(request, penalty.pk))


# --- the report (REP-3) -------------------------------------------------------------------------


def _report(request: HttpRequest):
    form = PenaltyReportForm(request.GET or None, today=studio_today(request.studio))
    values = form.values()
    rows = penalty_report(
        studio=request.studio,
        since=values["since"],
        until=values["until"],
        status=values["status"],
        trigger=values["trigger"],
        search=values["search"],
    )
    return form, values, rows


@staff_required(Perm.VIEW_REPORTS)
def penalty_report_page(request: HttpRequest) -> HttpResponse:
    form, values, rows = _report(request)
    query = request.GET.urlencode()
    context = {
        "form": form,
        "values": values,
        "rows": rows,
        "totals": report_totals(rows),
        "csv_url": reverse("penalty-report-csv", kwargs={"studio_slug": request.studio.slug})
        + (f"?{query}" if query else ""),
        "can_open": request.staff.has_perm(Perm.MANAGE_MEMBERSHIPS),
    }
    template = (
        "memberships/penalties/_report_table.html" if request.htmx else "memberships/penalties/report.html"
    )
    return render(request, template, context)


def _cell(value) -> str:
    """A text cell that a spreadsheet will not run as a formula (a client named "=1+1")."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required(Perm.VIEW_REPORTS)
def penalty_report_csv(request: HttpRequest) -> HttpResponse:
    """The report as CSV: headers in the reader's language; dates ISO 8601 in the class's zone;
    amounts as decimals with a dot and their currency (what a spreadsheet in any language reads)."""
    _form, values, rows = _report(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Date"),
            _("Time"),
            _("Event"),
            _("Class or appointment"),
            _("Location"),
            _("Client"),
            _("Fee"),
            _("Currency"),
            _("Fee status"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.starts_at.date().isoformat(),
                row.starts_at.strftime("%H:%M"),
                row.trigger_label,
                _cell(row.name),
                _cell(row.location_name),
                _cell(row.client_name),
                "" if row.amount is None else str(to_major(row.amount, row.currency)),
                row.currency if row.amount is not None else "",
                row.fee_state_label,
            ]
        )
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    name = f"late-cancels-no-shows-{values['since'].isoformat()}-{values['until'].isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
