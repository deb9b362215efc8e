"""The finish page of a sale (POS-1): its receipt, to print (a receipt-sized page), to download as
a PDF, to email, and "New sale"; and the location's sales of the day with links to each."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pos import device
from pos.forms.tills import ReceiptEmailForm
from pos.models import Sale, SaleStatus
from pos.selectors.sales import location_today, sales_of_day
from pos.services import receipts as svc
from pos.services.tills import till_current
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


def _url(request: HttpRequest, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"studio_slug": request.studio.slug, **kwargs})


def _optional_url(request: HttpRequest, name: str, **kwargs) -> str:
    """A page of another part of the POS, or "" while it does not exist."""
    try:
        return _url(request, name, **kwargs)
    except NoReverseMatch:
        return ""


def _sale(request: HttpRequest, pk: int) -> Sale:
    try:
        sale = svc.sale_for_receipt(studio=request.studio, pk=pk)
    except Sale.DoesNotExist:
        raise Http404 from None
    sale.studio = request.studio
    return sale


@staff_required(Perm.SELL_POS)
def sale_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    sale = _sale(request, pk)
    completed = sale.status == SaleStatus.COMPLETED
    context = {
        "sale": sale,
        "completed": completed,
        "receipt": svc.sale_receipt_context(sale=sale) if completed else None,
        "email_form": ReceiptEmailForm(initial={"email": sale.client.email if sale.client_id else ""}),
        "new_sale_url": _optional_url(request, "pos-home") or _url(request, "pos-sales"),
        "sale_url": _optional_url(request, "pos-sale", pk=sale.pk),
        "can_return": completed and request.staff.has_perm(Perm.REFUND),
        # The card that just paid, said once more where the clerk lands ("Approved — Visa •••• 4242").
        "approved": _last_card_approval(sale) if completed else None,
    }
    return render(request, "pos/till/receipt.html", context)


def _last_card_approval(sale) -> str | None:
    from payments.services.terminal import reader_payment_describe
    from pos.models import TenderKind, TenderStatus

    card = (
        sale.tenders.filter(status=TenderStatus.SUCCEEDED, payment__isnull=False)
        .exclude(kind__in=(TenderKind.CASH, TenderKind.CREDIT))
        .select_related("payment", "payment__reader")
        .order_by("-created_at", "-id")
        .first()
    )
    return reader_payment_describe(payment=card.payment).message if card is not None else None


@staff_required(Perm.SELL_POS)
def sale_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sale = _sale(request, pk)
    if sale.status != SaleStatus.COMPLETED:
        raise Http404
    pdf = svc.sale_receipt_pdf(sale=sale, language=get_language() or request.studio.language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{svc.sale_receipt_filename(sale)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(Perm.SELL_POS)
@require_POST
def sale_receipt_email(request: HttpRequest, pk: int) -> HttpResponse:
    sale = _sale(request, pk)
    form = ReceiptEmailForm(request.POST)
    back = _url(request, "pos-sale-receipt", pk=sale.pk)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        sent = svc.sale_receipt_email(
            studio=request.studio,
            actor=Actor.from_request(request),
            sale=sale,
            email=form.cleaned_data.get("email") or None,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sent:
            messages.success(request, _("The receipt is on its way."))
        else:
            messages.error(request, _("This sale has no email address to send to: type one."))
    return redirect(back)


@staff_required(Perm.SELL_POS)
def sale_list(request: HttpRequest) -> HttpResponse:
    studio = request.studio
    location = device.selling_location(request)
    sales = sales_of_day(studio=studio, location=location) if location is not None else []
    receipt_url = _row_url(request, "pos-sale-receipt")
    return_url = _row_url(request, "pos-sale-return") if request.staff.has_perm(Perm.REFUND) else None
    rows = [
        {
            "sale": row,
            "receipt_url": receipt_url(row.id) if receipt_url and row.is_completed else "",
            "return_url": return_url(row.id) if return_url and row.is_completed else "",
        }
        for row in sales
    ]
    context = {
        "location": location,
        "rows": rows,
        "today": location_today(location=location) if location is not None else None,
        "till": till_current(studio=studio, location=location) if location is not None else None,
        "location_url": _optional_url(request, "pos-location"),
    }
    return render(request, "pos/till/sales.html", context)


def _row_url(request: HttpRequest, name: str):
    from studio.registries.profile_panels import row_url

    try:
        return row_url(name, studio_slug=request.studio.slug)
    except NoReverseMatch:
        return None
