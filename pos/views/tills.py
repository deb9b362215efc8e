"""The till (POS-7): open it with the float, close it with the cash counted (confirming against what
was expected), and the end-of-day report per location, as a printable page and a PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pos import device
from pos.forms.tills import TillCloseForm, TillOpenForm
from pos.models import CashSession
from pos.services import tills as svc
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.documents.services import document_render_pdf
from studio.money import format_money
from studio.permissions import Perm
from studio.services import Actor

REPORT_PDF_TEMPLATE = "pos/till/report_pdf.html"


def _url(request: HttpRequest, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"studio_slug": request.studio.slug, **kwargs})


def _screen_url(request: HttpRequest) -> str:
    """The POS screen (screen's page), else this location's sales of the day."""
    try:
        return _url(request, "pos-home")
    except NoReverseMatch:
        return _url(request, "pos-sales")


def _location_url(request: HttpRequest) -> str:
    try:
        return _url(request, "pos-location")
    except NoReverseMatch:
        return ""


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=get_language() or "en")


def _session(request: HttpRequest, pk: int) -> CashSession:
    session = get_object_or_404(
        CashSession.objects.select_related("location", "opened_by", "closed_by"), pk=pk, studio=request.studio
    )
    session.studio = request.studio
    return session


@staff_required(Perm.SELL_POS)
def till_open(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    location = device.selling_location(request)
    current = svc.till_current(studio=studio, location=location) if location is not None else None
    form = TillOpenForm(
        request.POST or None,
        studio=studio,
        locations=device.sellable_locations(studio=studio),
        ask_location=location is None,
    )
    if current is None and request.method == "POST" and form.is_valid():
        where = location or form.cleaned_data["location"]
        try:
            svc.till_open(
                studio=studio,
                actor=Actor.from_request(request),
                location=where,
                opening_float=form.cleaned_data["opening_float"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The till at %(location)s is open with %(amount)s.")
                % {
                    "location": where.name,
                    "amount": _money(form.cleaned_data["opening_float"], studio.currency),
                },
            )
            response = redirect(_screen_url(request))
            if location is None:
                device.remember_location(response, where, studio=studio)
            return response
    return render(
        request,
        "pos/till/open.html",
        {
            "form": form,
            "location": location,
            "current": current,
            "already_open": svc.till_opened_sentence(session=current) if current is not None else "",
            "location_url": _location_url(request),
        },
    )


def _close_lines(report: svc.TillReport, counted: int) -> list[str]:
    currency = report.currency
    over_short = counted - report.expected_cash
    lines = [
        _("Float %(float)s + cash taken %(taken)s − cash refunded %(refunded)s = expected %(expected)s.")
        % {
            "float": _money(report.opening_float, currency),
            "taken": _money(report.cash_taken, currency),
            "refunded": _money(report.cash_refunded, currency),
            "expected": _money(report.expected_cash, currency),
        },
        _("Counted: %(counted)s.") % {"counted": _money(counted, currency)},
    ]
    if over_short > 0:
        lines.append(_("The drawer is over by %(amount)s.") % {"amount": _money(over_short, currency)})
    elif over_short < 0:
        lines.append(_("The drawer is short by %(amount)s.") % {"amount": _money(-over_short, currency)})
    else:
        lines.append(_("The drawer matches exactly."))
    for kind in report.kinds:
        if kind.kind != "cash" and kind.count:
            lines.append(
                _("%(kind)s: %(amount)s (%(count)s).")
                % {"kind": kind.label, "amount": _money(kind.collected, currency), "count": kind.count}
            )
    if report.tips:
        lines.append(_("Tips: %(amount)s.") % {"amount": _money(report.tips, currency)})
    lines.append(
        _("Sales: %(sales)s; returns: %(returns)s.")
        % {"sales": report.sales_count, "returns": report.returns_count}
    )
    return lines


@staff_required(Perm.SELL_POS)
def till_close(request: HttpRequest, pk: int) -> HttpResponse:
    studio = request.studio
    session = _session(request, pk)
    report_url = _url(request, "pos-till-report", pk=session.pk)
    if not session.is_open:
        messages.info(request, _("This till is already closed."))
        return redirect(report_url)
    form = TillCloseForm(request.POST or None, studio=studio)
    if request.method == "POST" and form.is_valid():
        counted = form.cleaned_data["counted_cash"]
        if not is_confirmed(request):
            report = svc.till_report(session=session)
            return confirm_page(
                request,
                base="pos/till/base.html",
                title=_("Close the till at %(location)s?") % {"location": session.location.name},
                lines=_close_lines(report, counted),
                confirm_label=_("Close the till"),
                back_url=_url(request, "pos-till-close", pk=session.pk),
                back_label=_("Count again"),
            )
        try:
            svc.till_close(
                studio=studio,
                actor=Actor.from_request(request),
                session=session,
                counted_cash=counted,
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The till is closed."))
        return redirect(report_url)
    return render(
        request, "pos/till/close.html", {"form": form, "session": session, "report_url": report_url}
    )


@staff_required(Perm.SELL_POS)
def till_report(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    report = svc.till_report(session=session)
    return render(
        request,
        "pos/till/report.html",
        {
            "report": report,
            "session": session,
            "time_zone": svc.location_zone(location=session.location).key,
            "printed_at": timezone.now(),
        },
    )


@staff_required(Perm.SELL_POS)
def till_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    report = svc.till_report(session=session)
    language = get_language() or request.studio.language
    pdf = document_render_pdf(
        template=REPORT_PDF_TEMPLATE,
        context={
            "report": report,
            "session": session,
            "time_zone": svc.location_zone(location=session.location).key,
            "printed_at": timezone.now(),
        },
        language=language,
        studio=request.studio,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    day = (
        timezone.localtime(session.opened_at, svc.location_zone(location=session.location)).date().isoformat()
    )
    response["Content-Disposition"] = f'inline; filename="till-{session.location_id}-{day}-{session.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
