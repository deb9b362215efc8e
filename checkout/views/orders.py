"""What a client sees of their paid order, and what staff see of online orders (CHK-2).

Client pages (`@client_required`) read the order by its token *and* the signed-in client, so
another client's token, another studio's, or a wrong one answers 404. The confirmation page,
while the card payment is still being settled (3-D Secure just completed, the webhook not in),
says so and polls itself under htmx every few seconds until the order is paid or refused.
"""

from __future__ import annotations

import logging

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from checkout.models import Order, OrderStatus
from checkout.selectors.orders import (
    client_paid_orders,
    order_for_client,
    order_for_staff,
    order_line_outcomes,
    order_list,
)
from checkout.services.fulfilment import order_needs_attention
from checkout.services.receipts import (
    order_receipt_context,
    order_receipt_filename,
    order_receipt_pdf,
    order_receipt_sent,
)
from studio.access import client_required, staff_required
from studio.forms import SafeTextInputsMixin
from studio.inputs import BoundedDateField
from studio.permissions import Perm

logger = logging.getLogger(__name__)

PAGE_SIZE = 30
POLL_SECONDS = 3


def _client_order(request, token: str) -> Order:
    try:
        order = order_for_client(studio=request.studio, token=token, client=request.client_profile)
    except Order.DoesNotExist:
        raise Http404("no such order") from None
    order.studio = request.studio
    return order


def _settle_if_paying(order: Order) -> Order:
    """Read a payment still in progress back from Stripe (pay's `order_payment_settle`), so the
    page moves on without waiting for the webhook. A failure to read it leaves it in progress:
    the webhook or the sweep settles it."""
    if order.status != OrderStatus.PAYING:
        return order
    try:
        from checkout.services.payment import order_payment_settle
    except ImportError:  # pay's part not installed: the webhook settles it
        return order
    try:
        return order_payment_settle(studio=order.studio, order=order) or order
    except Exception:  # the page must render; the hook and the sweep will settle the payment
        logger.exception("online order %s: could not settle on the confirmation page", order.pk)
        return order


def _receipt_addresses(order: Order) -> list[str]:
    """Where the receipt goes: the client's address, else each guardian's (the notifications rule)."""
    from studio.notifications.services import addressees_for

    if order.client_id is None:
        return []
    return [a.email for a in addressees_for(studio=order.studio, recipient=order.client)]


@never_cache  # the client's own order: never kept by a shared cache (not under account/)
@client_required
def order_done(request, token):
    order = _client_order(request, token)
    before = order.status
    if _settle_if_paying(order).status != before:
        order = _client_order(request, token)  # settled just now: read it again, lines and all
    context = {
        "order": order,
        "paid": order.status == OrderStatus.PAID,
        "paying": order.status == OrderStatus.PAYING,
        "outcomes": order_line_outcomes(order=order),
        "receipt": order_receipt_context(order=order) if order.status == OrderStatus.PAID else None,
        "receipt_url": reverse(
            "account-order-receipt", kwargs={"studio_slug": request.studio.slug, "token": order.token}
        ),
        "emailed_to": _receipt_addresses(order) if order.status == OrderStatus.PAID else [],
        "receipt_sent": order.status == OrderStatus.PAID and order_receipt_sent(order=order),
        "poll_seconds": POLL_SECONDS,
        "retry_url": reverse("checkout-review", kwargs={"studio_slug": request.studio.slug}),
    }
    if request.htmx:
        return render(request, "checkout/orders/_done_status.html", context)
    return render(request, "checkout/orders/done.html", context)


@client_required
def account_orders(request):
    orders = client_paid_orders(client=request.client_profile)
    rows = [{"order": order, "outcomes": order_line_outcomes(order=order)} for order in orders]
    return render(request, "checkout/orders/purchases.html", {"rows": rows})


@client_required
def account_order_receipt(request, token):
    order = _client_order(request, token)
    if order.status != OrderStatus.PAID:
        raise Http404("no receipt yet")
    language = getattr(request, "LANGUAGE_CODE", "") or None
    response = HttpResponse(order_receipt_pdf(order=order, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order_receipt_filename(order)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- staff ------------------------------------------------------------------------------------


class OrderFilterForm(SafeTextInputsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    attention = forms.BooleanField(label=_("Needs attention only"), required=False)
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Every order paid or being paid")), *OrderStatus.choices]

    def values(self) -> dict:
        if not self.is_valid():
            return {"status": "", "date_from": None, "date_to": None, "attention": False}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "attention": bool(data.get("attention")),
        }


@staff_required(Perm.VIEW_REPORTS)
def order_list_view(request):
    form = OrderFilterForm(request.GET or None)
    orders = order_list(studio=request.studio, **form.values())
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "checkout/orders/_list_table.html" if request.htmx else "checkout/orders/list.html"
    return render(request, template, context)


@staff_required(Perm.VIEW_REPORTS)
def order_detail(request, pk):
    try:
        order = order_for_staff(studio=request.studio, pk=pk)
    except Order.DoesNotExist:
        raise Http404("no such order") from None
    order.studio = request.studio
    payments = [p for p in (order.payment, order.credit_payment) if p is not None]
    context = {
        "order": order,
        "outcomes": order_line_outcomes(order=order),
        "needs_attention": order_needs_attention(order),
        "payments": payments,
        "receipt_sent": order.status == OrderStatus.PAID and order_receipt_sent(order=order),
    }
    return render(request, "checkout/orders/detail.html", context)
