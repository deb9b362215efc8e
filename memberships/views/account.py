"""The client's hosted pages for a renewal (MEM-3): fix the payment method, confirm the payment.

The failure email links here. The page says why the renewal failed (the stored code, worded now),
which account it is charged to and whether a usable default method exists there, with the link
to add one; then "pay now" (the next attempt, in the worker) or — when the bank wants the client
(3-D Secure) — "confirm the payment", finished by Stripe.js in the browser. Card details never
reach our server.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memberships.models import Renewal, RenewalStatus
from memberships.selectors.renewals import renewal_failure_reason
from memberships.services import renewals as engine
from payments.services.routing import Channel, ItemKind, Purchase, route_payment
from payments.services.saved_methods import default_method_for, saved_methods_enabled
from studio.access import client_required
from studio.services import Actor


def _renewal(request, pk: int) -> Renewal:
    return get_object_or_404(
        Renewal.objects.select_related("membership__plan", "membership__client", "payment"),
        pk=pk,
        membership__client=request.client_profile,
    )


def _page_url(request, renewal: Renewal) -> str:
    return reverse(
        "account-membership-renewal", kwargs={"studio_slug": request.studio.slug, "pk": renewal.pk}
    )


def _method_state(request, renewal: Renewal):
    """The account this renewal is charged to now, and whether a usable default method is there."""
    from memberships.models import PlanKind

    membership = renewal.membership
    plan = membership.plan
    instalment = plan.kind == PlanKind.PAYMENT_PLAN
    route = route_payment(
        studio=request.studio,
        purchase=Purchase(
            channel=Channel.ONLINE,
            item_kind=ItemKind.PAYMENT_PLAN if instalment else ItemKind.RENEWAL,
            item_location=plan.location if instalment else None,
            client_home_location=membership.client.home_location,
        ),
    )
    return route.account, default_method_for(client=membership.client, account=route.account)


@client_required
def renewal_page(request, pk):
    renewal = _renewal(request, pk)
    account, default = _method_state(request, renewal)
    needs_confirmation = renewal.failure_code == "authentication_required" or (
        renewal.status == RenewalStatus.PROCESSING
        and renewal.payment is not None
        and renewal.payment.status == "requires_action"
    )
    return render(
        request,
        "memberships/account/renewal.html",
        {
            "renewal": renewal,
            "membership": renewal.membership,
            "reason": renewal_failure_reason(renewal.failure_code),
            "account": account,
            "default": default,
            "may_pay": engine.renewal_client_may_pay(renewal) or needs_confirmation,
            "needs_confirmation": needs_confirmation,
            "can_add_method": saved_methods_enabled(studio=request.studio) and account is not None,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )


@client_required
@require_POST
def renewal_pay(request, pk):
    """Pay now with the default method (the worker's next attempt, at once)."""
    renewal = _renewal(request, pk)
    try:
        engine.renewal_retry_now(studio=request.studio, actor=Actor.from_request(request), renewal=renewal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("We are charging your default payment method now."))
    return redirect(_page_url(request, renewal))


def _answer(request, result: engine.OnSessionPayment) -> JsonResponse:
    renewal = result.renewal
    words = {
        "succeeded": _("Thank you: your membership is renewed."),
        "failed": renewal_failure_reason(renewal.failure_code) or _("The payment was refused."),
        "no_method": renewal_failure_reason("no_method"),
        "pending": _("The payment is being processed; we will write to you when it is settled."),
        "unavailable": _("This renewal is not waiting for a payment."),
    }
    return JsonResponse(
        {
            "status": result.status,
            "client_secret": result.client_secret,
            "account": result.stripe_account_id,
            "message": words.get(result.status, ""),
            "redirect": _page_url(request, renewal),
        }
    )


@client_required
@require_POST
def renewal_confirm(request, pk):
    """Start (or resume) the on-session payment; the browser finishes a 3-D Secure step."""
    renewal = _renewal(request, pk)
    # Stripe being unreachable is not an error here: the payment stays pending and is settled later.
    result = engine.renewal_confirm_start(
        studio=request.studio, client=request.client_profile, renewal=renewal, now=timezone.now()
    )
    return _answer(request, result)


@client_required
@require_POST
def renewal_confirm_done(request, pk):
    """Stripe.js is done: read the payment back from Stripe and record it."""
    renewal = _renewal(request, pk)
    result = engine.renewal_confirm_finish(
        studio=request.studio, client=request.client_profile, renewal=renewal, now=timezone.now()
    )
    if result.status == "succeeded":
        messages.success(request, _("Thank you: your membership is renewed."))
    return _answer(request, result)
