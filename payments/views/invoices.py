"""Staff pages of invoices and payment links (PAY-11): list, create, detail, send, void."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import selectors_invoices as selectors
from payments.forms.invoices import InvoiceFilterForm, InvoiceForm, LineFormSet, VoidForm
from payments.services import invoices as services
from studio.access import staff_required
from studio.inputs import parse_int_param
from studio.models import Client
from studio.permissions import Perm
from studio.services import Actor

PAGE_SIZE = 30


def _detail_url(request, invoice) -> str:
    return reverse("invoice-detail", kwargs={"studio_slug": request.studio.slug, "pk": invoice.pk})


@staff_required(Perm.BILL_CLIENTS)
def invoice_list(request):
    """Every invoice with its status, client, total, paid, balance and due date; filter by status
    or client (under htmx only the table is rendered)."""
    form = InvoiceFilterForm(request.GET or None)
    invoices = selectors.invoice_list(studio=request.studio, **form.values())
    page = Paginator(invoices, PAGE_SIZE).get_page(parse_int_param(request.GET.get("page"), 1))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "payments/invoices/_table.html" if request.htmx else "payments/invoices/list.html"
    return render(request, template, context)


@staff_required(Perm.BILL_CLIENTS)
def invoice_create(request):
    """Lines (or one amount), due date, deposit, note; "email the link now"."""
    studio = request.studio
    initial = {}
    client_pk = parse_int_param(request.GET.get("client"))
    if client_pk and Client.objects.filter(studio=studio, pk=client_pk).exists():
        initial["client"] = client_pk
    form = InvoiceForm(request.POST or None, studio=studio, initial=initial)
    lines = LineFormSet(request.POST or None, prefix="lines", currency=studio.currency)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        kind, value = form.deposit()
        actor = Actor.from_request(request)
        try:
            invoice = services.invoice_create(
                studio=studio,
                actor=actor,
                client=form.cleaned_data["client"],
                lines=lines.lines(),
                due_date=form.cleaned_data["due_date"],
                deposit_kind=kind,
                deposit_value=value,
                memo=form.cleaned_data["memo"],
                location=form.cleaned_data["location"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Invoice #%(number)s created.") % {"number": invoice.number})
            if form.cleaned_data["send_now"]:
                _send(request, invoice)
            return redirect(_detail_url(request, invoice))
    status = 400 if request.method == "POST" else 200
    return render(request, "payments/invoices/create.html", {"form": form, "lines": lines}, status=status)


def _send(request, invoice) -> None:
    try:
        sent = services.invoice_send(
            studio=request.studio, actor=Actor.from_request(request), invoice=invoice
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent:
            messages.success(
                request,
                _("The payment link was emailed to %(client)s.") % {"client": invoice.client.full_name},
            )


@staff_required(Perm.BILL_CLIENTS)
def invoice_detail(request, pk: int):
    """Lines, taxes, total, deposit, balance; each payment with status, card and Stripe ids; the
    link with "Copy", resend, cancel."""
    invoice = selectors.invoice_for_staff(studio=request.studio, pk=pk)
    context = {
        "invoice": invoice,
        "lines": selectors.invoice_lines(invoice=invoice),
        "parts": selectors.invoice_parts(invoice=invoice),
        "pay_url": services.invoice_pay_url(invoice=invoice),
        "link_state": services.invoice_link_state(invoice=invoice),
        "can_see_ledger": request.staff.has_perm(Perm.VIEW_REPORTS),
        "void_form": VoidForm(),
    }
    return render(request, "payments/invoices/detail.html", context)


@staff_required(Perm.BILL_CLIENTS)
@require_POST
def invoice_send(request, pk: int):
    """Email the link (again)."""
    invoice = selectors.invoice_for_staff(studio=request.studio, pk=pk)
    _send(request, invoice)
    return redirect(_detail_url(request, invoice))


@staff_required(Perm.BILL_CLIENTS)
def invoice_void(request, pk: int):
    """GET: what cancelling means (the link stops working; nothing was paid, nothing is refunded)
    and the reason; POST: cancel."""
    invoice = selectors.invoice_for_staff(studio=request.studio, pk=pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invoice_void(
                studio=request.studio,
                actor=Actor.from_request(request),
                invoice=invoice,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Invoice #%(number)s was cancelled.") % {"number": invoice.number})
        return redirect(_detail_url(request, invoice))
    status = 400 if request.method == "POST" else 200
    return render(request, "payments/invoices/void.html", {"invoice": invoice, "form": form}, status=status)
