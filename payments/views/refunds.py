"""Refunding a payment (PAY-7): full or partial, to the original method or as studio credit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from payments.forms import RefundForm
from payments.models import Payment, Refund
from payments.services.refunds import refund_create
from payments.views.ledger import refund_panel_context
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor
from studio.templatetags.money import money


@staff_required(Perm.REFUND)
def payment_refund(request, pk):
    """GET: the refund panel (htmx); POST: refund, then the panel again (htmx) or the payment page."""
    payment = get_object_or_404(Payment.objects.select_related("client", "account"), pk=pk)
    detail_url = reverse(
        "payments-payment-detail", kwargs={"studio_slug": request.studio.slug, "pk": payment.pk}
    )
    if request.method != "POST" and not request.htmx:
        return redirect(detail_url)
    form = None
    confirming = False
    if request.method == "POST":
        form = RefundForm(request.POST, payment=payment)
        if form.is_valid() and request.POST.get("confirm") != "1":
            # First step: say what will happen (amount, destination, what is left) and ask again.
            confirming = request.POST.get("edit") != "1"
        elif form.is_valid():
            try:
                refund = refund_create(
                    studio=request.studio,
                    actor=Actor.from_request(request),
                    payment=payment,
                    amount=form.cleaned_data["amount"],
                    destination=form.cleaned_data["destination"],
                    reason=form.cleaned_data["reason"],
                    expected_refunded=form.cleaned_data["seen_refunded"],
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "stale":
                    # Someone (or a second click) refunded meanwhile: show the fresh state, not a stale form.
                    messages.warning(request, " ".join(exc.messages))
                    payment.refresh_from_db()
                    form = None
                else:
                    form.add_error(None, exc)
            else:
                _announce(request, refund)
                # The whole page changes (refunded total, status badge): reload it, message included.
                return HttpResponseClientRedirect(detail_url) if request.htmx else redirect(detail_url)
    context = refund_panel_context(request, payment, form)
    context["confirming"] = confirming and context["refund_form"] is not None
    if request.htmx:
        return render(request, "payments/_refund_panel.html", context)
    return render(request, "payments/payment_detail.html", context)


def _announce(request, refund: Refund) -> None:
    amount = money(refund.amount, refund.payment.currency)
    if refund.status == Refund.Status.SUCCEEDED:
        if refund.destination == Refund.Destination.CREDIT:
            messages.success(
                request, _("%(amount)s added to the client's studio credit.") % {"amount": amount}
            )
        else:
            messages.success(request, _("%(amount)s refunded.") % {"amount": amount})
    elif refund.status == Refund.Status.PENDING:
        messages.warning(
            request,
            _(
                "The refund of %(amount)s is being confirmed with Stripe; this page will show "
                "the result. Do not refund again."
            )
            % {"amount": amount},
        )
    else:
        messages.error(
            request, _("Stripe refused the refund: %(message)s") % {"message": refund.failure_message}
        )
