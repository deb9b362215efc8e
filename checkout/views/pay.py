"""The review-and-pay pages (CHK-2): review, the new card's page (Stripe's fields), the return
from 3-D Secure or Stripe Checkout, the JSON status poll. Card details never reach Atelier: Stripe.js
(or Stripe's hosted page) collects them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checkout.forms.pay import PayForm
from checkout.models import OrderStatus
from checkout.selectors.payment import (
    order_by_pay_token,
    order_of_client,
    order_paying_for_client,
    order_review,
)
from checkout.services import payment as pay
from payments.models import Payment
from payments.services.charges import payment_client_secret
from studio.access import client_ip_address, client_required


def _review_url(request: HttpRequest) -> str:
    return reverse("checkout-review", kwargs={"studio_slug": request.studio.slug})


def _cart_url(request: HttpRequest) -> str:
    return reverse("checkout-cart", kwargs={"studio_slug": request.studio.slug})


def _new_pay_token() -> str:
    return secrets.token_urlsafe(24)


def _truthy(value) -> bool:
    return str(value or "") in ("1", "on", "true")


def _form(review, data=None) -> PayForm:
    return PayForm(
        data,
        saved_cards=review.saved_cards,
        new_card_label=_("A new card, on Stripe's secure page") if review.hosted else None,
        waivers=review.waivers,
        card_needed=review.card_needed,
        initial={"pay_token": _new_pay_token(), "use_credit": review.use_credit},
    )


def _render_review(request, review, form, *, status: int = 200, error: str = "") -> HttpResponse:
    context = {
        "review": review,
        "order": review.order,
        "form": form,
        "error": error,
        "failure": pay.failure_message(review.order.failure_code) if review.order.failure_code else "",
        "route_reason": review.route.reason,
        "summary_url": _review_url(request),
        "cart_url": _cart_url(request),
    }
    if request.htmx and request.method == "GET":
        return render(request, "checkout/pay/_summary.html", context, status=status)
    return render(request, "checkout/pay/review.html", context, status=status)


@client_required
def checkout_review(request: HttpRequest) -> HttpResponse:
    """GET: the order as it will be paid; under htmx (the credit box toggled) only the summary.
    POST: pay (`order_pay`), then wherever the payment goes next."""
    from checkout.services.cart import order_for_request

    client = request.client_profile
    order = order_for_request(request, for_page=True)
    if request.method == "POST" and (order is None or order.status != OrderStatus.OPEN):
        earlier = order_by_pay_token(
            studio=request.studio, client=client, pay_token=request.POST.get("pay_token")
        )
        if earlier is not None:  # the same form again (a double click): where the first submit went
            step = pay.order_pay_step(studio=request.studio, order=earlier)
            if step.status == pay.PayStatus.FAILED and step.message:
                messages.error(request, step.message)
            return redirect(step.redirect_url)
    if order is None or order.status != OrderStatus.OPEN:
        paying = order_paying_for_client(studio=request.studio, client=client)
        if paying is not None:
            return render(request, "checkout/pay/in_progress.html", {"order": paying})
        messages.info(request, _("Your cart is empty."))
        return redirect(_cart_url(request))
    source = request.POST if request.method == "POST" else request.GET
    review = order_review(
        studio=request.studio, client=client, order=order, use_credit=_truthy(source.get("use_credit"))
    )
    if request.method != "POST":
        return _render_review(request, review, _form(review))
    form = _form(review, request.POST)
    if not form.is_valid():
        return _render_review(request, review, form, status=400)
    data = form.cleaned_data
    if data.get("expected_amount") and data["expected_amount"] != str(review.amount_to_pay):
        error = _("The total changed since this page was shown: check it, then press Pay again.")
        return _render_review(request, review, _form(review), status=400, error=error)
    try:
        step = pay.order_pay(
            studio=request.studio,
            client=client,
            order=order,
            pay_token=data["pay_token"],
            card=data["card"],
            saved_method=data.get("saved_method"),
            save_card=bool(data.get("save_card")),
            use_credit=review.use_credit,
            waivers_accepted=list(data.get("waivers") or []),
            ip=client_ip_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except ValidationError as exc:
        order.refresh_from_db()
        review = order_review(studio=request.studio, client=client, order=order, use_credit=review.use_credit)
        return _render_review(request, review, _form(review), status=400, error=" ".join(exc.messages))
    if step.status == pay.PayStatus.FAILED:
        messages.error(request, step.message or _("The payment was refused."))
        return redirect(_review_url(request))
    return redirect(step.redirect_url)


@client_required
@require_GET
def checkout_card(request: HttpRequest, token: str) -> HttpResponse:
    """Stripe's card fields for a new card; Stripe.js confirms the order's payment, then the page
    goes to the return page, which reads the payment back."""
    order = order_of_client(studio=request.studio, client=request.client_profile, token=token)
    step = pay.order_pay_step(studio=request.studio, order=order)
    if step.status != pay.PayStatus.CARD:
        return redirect(step.redirect_url)
    payment = Payment.objects.get(pk=order.payment_id)
    context = {
        "order": order,
        "payment": payment,
        "client_secret": payment_client_secret(payment=payment) or "",
        "account": payment.stripe_account_id,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "return_url": reverse("checkout-return", kwargs={"studio_slug": request.studio.slug, "token": token}),
    }
    return render(request, "checkout/pay/card.html", context)


@client_required
@require_GET
def checkout_return(request: HttpRequest, token: str) -> HttpResponse:
    """Back from 3-D Secure, the card page or Stripe Checkout (a reload too): settle, then go on."""
    order = order_of_client(studio=request.studio, client=request.client_profile, token=token)
    if request.GET.get("canceled") == "1":
        order = pay.order_payment_abandon(studio=request.studio, client=request.client_profile, order=order)
    else:
        order = pay.order_payment_settle(studio=request.studio, order=order)
    step = pay.order_pay_step(studio=request.studio, order=order)
    if step.status == pay.PayStatus.PAID:
        if order.status == OrderStatus.PAID and step.redirect_url == request.path:
            return render(request, "checkout/pay/pending.html", {"order": order, "paid": True})
        return redirect(step.redirect_url)
    if step.status == pay.PayStatus.FAILED:
        if step.message:
            messages.error(request, step.message)
        return redirect(step.redirect_url)
    if step.status in (pay.PayStatus.CARD, pay.PayStatus.REDIRECT):
        return redirect(step.redirect_url)
    context = {"order": order, "step": step}
    if step.status == pay.PayStatus.REQUIRES_ACTION:
        context.update(
            {
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "stripe_js_url": settings.STRIPE_JS_URL,
                "return_url": request.path,
            }
        )
        return render(request, "checkout/pay/confirm.html", context)
    return render(request, "checkout/pay/pending.html", context)


@client_required
@require_GET
def checkout_status(request: HttpRequest, token: str) -> JsonResponse:
    """The JSON poll of the pending page: settle if Stripe has answered, say where to go."""
    order = order_of_client(studio=request.studio, client=request.client_profile, token=token)
    order = pay.order_payment_settle(studio=request.studio, order=order)
    step = pay.order_pay_step(studio=request.studio, order=order)
    return JsonResponse({"status": step.status, "redirect": step.redirect_url, "message": step.message})


@client_required
@require_POST
def checkout_abandon(request: HttpRequest, token: str) -> HttpResponse:
    """Give up the payment in progress to choose another card (the intent cancelled first)."""
    order = order_of_client(studio=request.studio, client=request.client_profile, token=token)
    try:
        order = pay.order_payment_abandon(studio=request.studio, client=request.client_profile, order=order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if order.status == OrderStatus.PAID:
        return redirect(pay.order_done_url(studio=request.studio, order=order))
    return redirect(_review_url(request))
