"""The hosted payment link of an invoice (PAY-11): `/<studio>/pay/<token>/`.

Anonymous: the token is the key. Another studio's token, or none, answers 404. The client picks
the deposit, the balance or another amount, types the card into Stripe's own fields (the
sandbox's Stripe.js stand-in offline), passes 3-D Secure when the bank asks, and comes back to
the invoice brought up to date.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from payments import selectors_invoices as selectors
from payments.forms.invoices import PayAmountForm
from payments.models import InvoicePayment, Payment, PaymentSettings
from payments.models.invoices import TOKEN_MAX_LENGTH
from payments.models.settings import ItemKind
from payments.services import invoices as services
from payments.services.fees import quote_build
from payments.templatetags.ledger_tags import decline_label
from studio.money import format_money


def _url(request, name: str, invoice) -> str:
    return reverse(name, kwargs={"studio_slug": request.studio.slug, "token": invoice.token})


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=translation.get_language() or "en")


def _part(request, invoice) -> InvoicePayment:
    token = (request.GET.get("p") or request.POST.get("p") or "").strip()
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isascii():
        raise Http404
    part = (
        InvoicePayment.objects.filter(studio=request.studio, invoice=invoice, pay_token=token)
        .select_related("payment")
        .first()
    )
    if part is None or part.payment_id is None:
        raise Http404
    return part


def pay_link(request, token: str):
    """The invoice as the client sees it, and the choice of what to pay."""
    studio = request.studio
    invoice = selectors.invoice_by_token(studio=studio, token=token)
    state = services.invoice_link_state(invoice=invoice)
    resume_url = ""
    if state == "open":
        # A card page left unconfirmed stops holding the balance here too, not only when someone
        # starts paying: when it held all of it, nobody could (the page offers no form then).
        services.invoice_release_abandoned(studio=studio, invoice=invoice)
    in_progress = services.invoice_in_progress(invoice=invoice) if state == "open" else 0
    available = max(0, invoice.balance_due - in_progress)
    if in_progress and not available:
        # The whole balance is being paid: the card page of that payment, to finish it.
        part = services.invoice_part_in_progress(invoice=invoice)
        if part is not None:
            resume_url = f"{_url(request, 'pay-link-card', invoice)}?p={part.pay_token}"
    # Read, never created here: a refused POST of this page must write nothing (the defaults apply).
    fee_settings = PaymentSettings.objects.filter(studio=studio).first() or PaymentSettings(studio=studio)
    passes_fee = fee_settings.card_fee_mode == PaymentSettings.FeeMode.PASS_ON

    def fee_for(amount: int) -> int:
        if not passes_fee or amount <= 0:
            return 0
        return quote_build(
            studio=studio, subtotal=amount, item_kind=ItemKind.OTHER, settings=fee_settings, rates=[]
        ).card_fee

    form = None
    status = 200
    if state == "open" and available > 0:
        form = PayAmountForm(
            request.POST or None,
            invoice=invoice,
            deposit_due=min(invoice.deposit_due, available),
            balance=available,
            money=lambda amount: _money(amount, invoice.currency),
            initial={"pay_token": secrets.token_urlsafe(32)},
        )
        if request.method == "POST":
            if form.is_valid():
                try:
                    part = services.invoice_pay_start(
                        studio=studio,
                        invoice=invoice,
                        amount=form.amount(),
                        pay_token=form.cleaned_data["pay_token"],
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return redirect(f"{_url(request, 'pay-link-card', invoice)}?p={part.pay_token}")
            status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "invoice": invoice,
        "state": state,
        "lines": selectors.invoice_lines(invoice=invoice) if state != "void" else [],
        "form": form,
        "in_progress": in_progress,
        "resume_url": resume_url,
        "available": available,
        "passes_fee": passes_fee,
        "fee_settings": fee_settings,
        "deposit_fee": fee_for(min(invoice.deposit_due, available)),
        "balance_fee": fee_for(available),
        "base_template": "studio/public/base.html",
    }
    return render(request, "payments/invoices/pay.html", context, status=status)


def pay_link_card(request, token: str):
    """Stripe's card fields for one part (nothing typed reaches Atelier)."""
    invoice = selectors.invoice_by_token(studio=request.studio, token=token)
    part = _part(request, invoice)
    payment = Payment.objects.get(pk=part.payment_id)
    if payment.status not in (Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION):
        return redirect(f"{_url(request, 'pay-link-return', invoice)}?p={part.pay_token}")
    from payments.services.charges import payment_client_secret

    context = {
        "invoice": invoice,
        "part": part,
        "payment": payment,
        "client_secret": payment_client_secret(payment=payment) or "",
        "account": payment.stripe_account_id,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "done_url": f"{_url(request, 'pay-link-return', invoice)}?p={part.pay_token}",
        "back_url": _url(request, "pay-link", invoice),
    }
    return render(request, "payments/invoices/pay_card.html", context)


def pay_link_return(request, token: str):
    """Back from Stripe.js or 3-D Secure (GET or POST): read the payment back, bring the invoice
    up to date, and go back to it saying how it went (JSON for the page's script)."""
    invoice = selectors.invoice_by_token(studio=request.studio, token=token)
    part = _part(request, invoice)
    invoice = services.invoice_pay_settle(studio=request.studio, part=part)
    payment = Payment.objects.get(pk=part.payment_id)
    back = _url(request, "pay-link", invoice)
    if payment.status == Payment.Status.SUCCEEDED:
        level, message = (
            messages.SUCCESS,
            _("Thank you: %(amount)s was paid.") % {"amount": _money(payment.amount, payment.currency)},
        )
    elif payment.status == Payment.Status.FAILED:
        level, message = (
            messages.ERROR,
            _("The card was refused (%(reason)s). Try another card.")
            % {
                "reason": decline_label(payment.failure_code)
                if payment.failure_code
                else _("no reason given")
            },
        )
    elif payment.status == Payment.Status.CANCELED:
        level, message = messages.WARNING, _("The payment was cancelled; nothing was charged.")
    else:
        level, message = messages.INFO, _("Your payment is being confirmed; this page will show it shortly.")
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"status": payment.status, "message": message, "redirect": back})
    messages.add_message(request, level, message)
    return redirect(back)
