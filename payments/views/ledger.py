"""The payments ledger (PAY-4, PAY-7): every attempt, its routing, fees, taxes, history and refunds."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from payments import selectors
from payments.forms import LedgerFilterForm, RefundForm
from payments.models import Payment
from studio.access import staff_required
from studio.permissions import Perm

PAGE_SIZE = 30


@staff_required(Perm.VIEW_REPORTS)
def payment_list(request):
    accounts = selectors.payment_accounts(studio=request.studio)
    form = LedgerFilterForm(request.GET or None, accounts=accounts)
    payments = selectors.payment_list(studio=request.studio, **form.values())
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "accounts": accounts}
    template = "payments/_ledger_table.html" if request.htmx else "payments/ledger_list.html"
    return render(request, template, context)


def refund_panel_context(request, payment: Payment, form: RefundForm | None = None) -> dict:
    detail = selectors.payment_detail(studio=request.studio, payment=payment)
    can_refund = request.staff.has_perm(Perm.REFUND) and payment.refundable > 0
    if form is None and can_refund:
        form = RefundForm(payment=payment)
    return {"payment": payment, "detail": detail, "refund_form": form if can_refund else None}


@staff_required(Perm.VIEW_REPORTS)
def payment_detail(request, pk):
    payment = get_object_or_404(
        Payment.objects.select_related("client", "account", "location", "client_home_location", "created_by"),
        pk=pk,
    )
    return render(request, "payments/payment_detail.html", refund_panel_context(request, payment))
