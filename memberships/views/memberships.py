"""Selling a membership from a client's profile, and one membership's page (MEM-2)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from memberships.forms.sales import MembershipSellForm
from memberships.models import Membership
from memberships.panels import credits_left_phrase, last_day
from memberships.selectors.memberships import membership_history
from memberships.services.sales import ITEM_MEMBERSHIP, Tender, membership_sell, sale_route
from studio.access import staff_required
from studio.models import Client
from studio.permissions import Perm
from studio.services import Actor
from waivers.selectors.status import waivers_missing


def _saved_card_preview(request: HttpRequest, client: Client) -> dict:
    """Where a saved-card sale would go (PAY-3 rule 3) and which card it would charge (SPM-7)."""
    from payments.services.saved_methods import default_method_for

    route = sale_route(studio=request.studio, client=client, item_kind=ITEM_MEMBERSHIP, item_location=None)
    default = default_method_for(client=client, account=route.account)
    return {
        "route_reason": route.reason,
        "account": route.account.display_name if route.account else "",
        "method": default.method,
        "method_reason": str(default.reason),
    }


def _sell_form(request: HttpRequest, client: Client, form: MembershipSellForm, *, status: int = 200):
    can_use_card = request.staff.has_perm(Perm.USE_SAVED_PAYMENT_METHOD)
    if not can_use_card:
        form.fields["tender"].choices = [c for c in form.fields["tender"].choices if c[0] == Tender.CASH]
        form.fields["tender"].initial = Tender.CASH
    preview = _saved_card_preview(request, client) if can_use_card else None
    if preview is not None and preview["method"] is None and not form.is_bound:
        form.initial["tender"] = Tender.CASH  # no card to charge on the routed account
    context = {"client": client, "form": form, "preview": preview}
    # WAI-5: membership waivers still to sign (for the plan sent, else for every purchase),
    # each with its "Sign in person" link on the form.
    sent_plan = getattr(form, "cleaned_data", {}).get("plan")
    context["missing_waivers"] = waivers_missing(
        studio=request.studio, client=client, plan_ids=[sent_plan.pk] if sent_plan else (), purchase=True
    )
    template = "memberships/client/_sell_form.html" if request.htmx else "memberships/client/sell.html"
    return render(request, template, context, status=status)


@staff_required(Perm.SELL_POS)
def client_membership_sell(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the sale form (under htmx, only the form, shown in the profile's memberships panel).
    POST: sell, then back to the profile (or the membership's page when the card was declined)."""
    client = get_object_or_404(
        Client.objects.select_related("home_location"), pk=pk, archived_at__isnull=True
    )
    client.studio = request.studio  # the scope's studio, without a join
    if request.method != "POST":
        return _sell_form(request, client, MembershipSellForm(studio=request.studio))
    form = MembershipSellForm(request.POST, studio=request.studio)
    if not request.staff.has_perm(Perm.USE_SAVED_PAYMENT_METHOD):
        form.fields["tender"].choices = [c for c in form.fields["tender"].choices if c[0] == Tender.CASH]
    if not form.is_valid():
        return _sell_form(request, client, form)
    plan = form.cleaned_data["plan"]
    try:
        result = membership_sell(
            studio=request.studio,
            actor=Actor.from_request(request),
            client=client,
            plan=plan,
            tender=form.cleaned_data["tender"],
            sale_token=form.cleaned_data["sale_token"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _sell_form(request, client, form)
    names = {"plan": plan.name, "client": client.full_name}
    if result.status == "declined":
        messages.error(
            request,
            _("“%(plan)s” was not sold: the payment was refused. %(reason)s")
            % {**names, "reason": result.reason},
        )
        return redirect("membership-detail", studio_slug=request.studio.slug, pk=result.membership.pk)
    if result.status == "pending":
        messages.warning(
            request,
            _(
                "“%(plan)s” is awaiting payment: Stripe's answer has not arrived yet. It becomes "
                "active by itself once the payment is confirmed."
            )
            % names,
        )
    elif not result.duplicate:
        messages.success(request, _("“%(plan)s” sold to %(client)s.") % names)
    return redirect("client-detail", studio_slug=request.studio.slug, pk=client.pk)


@staff_required(Perm.SELL_POS)
def membership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One membership: its dates, credits and status, and its whole history."""
    membership = get_object_or_404(Membership.objects.select_related("plan", "client"), pk=pk)
    membership.studio = request.studio  # the scope's studio: its zone, without a join
    history = membership_history(membership=membership)
    return render(
        request,
        "memberships/membership/detail.html",
        {
            "membership": membership,
            "history": history,
            "period_until": last_day(membership.current_period_end),
            "credits_left": credits_left_phrase(
                membership.credits_remaining,
                status=membership.status,
                started=membership.current_period_start is not None,
            ),
            "can_open_payments": request.staff.has_perm(Perm.VIEW_REPORTS),
        },
    )
