"""Pause, cancel and change a client's membership (MEM-4): thin views over
`memberships.services.lifecycle`.

Each action is a form (GET), then a page saying what will happen (the first POST, through
`studio.confirm`), then the action (the same POST with `confirmed=1`). A button that posts
straight to an action URL still gets the question.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from memberships.forms.lifecycle import CancelForm, ChangePlanForm, PauseForm
from memberships.models import Membership, Proration
from memberships.services import lifecycle as svc
from payments.models import Refund
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.formats import date_format
from studio.money import format_money
from studio.permissions import Perm
from studio.services import Actor


def _membership(request: HttpRequest, pk: int) -> Membership:
    membership = get_object_or_404(Membership.objects.select_related("plan", "client", "next_plan"), pk=pk)
    membership.studio = request.studio  # the scope's studio (its zone), without a join
    return membership


def _detail_url(request: HttpRequest, membership: Membership) -> str:
    return reverse("membership-detail", kwargs={"studio_slug": request.studio.slug, "pk": membership.pk})


def _day(value) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def _last_day(end: dt.date | None) -> str:
    """An exclusive end date as people read it: the last day included."""
    return _day(end - dt.timedelta(days=1) if end else None)


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=get_language() or "en")


def _page(request, template: str, membership: Membership, **context) -> HttpResponse:
    return render(
        request,
        f"memberships/lifecycle/{template}",
        {"membership": membership, "detail_url": _detail_url(request, membership), **context},
    )


def _refused(request, membership: Membership, error: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(error.messages))
    return redirect(_detail_url(request, membership))


# --- pause ---------------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_pause(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    today = svc.studio_today(request.studio)
    refusal = svc.pause_refusal(membership=membership, today=today)
    form = PauseForm(request.POST or None, membership=membership, today=today)
    if refusal or request.method != "POST" or not form.is_valid():
        return _page(request, "pause.html", membership, form=form, refusal=refusal)
    start, end = form.cleaned_data["paused_from"], form.cleaned_data["paused_until"]
    if not is_confirmed(request):
        plan = svc.pause_plan(membership=membership, paused_from=start, paused_until=end, today=today)
        lines = [
            ngettext(
                "“%(plan)s” of %(client)s is paused from %(start)s and can be used again from %(back)s "
                "(%(days)s day): bookings cannot use it in between.",
                "“%(plan)s” of %(client)s is paused from %(start)s and can be used again from %(back)s "
                "(%(days)s days): bookings cannot use it in between.",
                plan.days,
            )
            % {
                "plan": membership.plan.name,
                "client": membership.client.full_name,
                "start": _day(start),
                "back": _day(end),
                "days": plan.days,
            },
            _("The period paid for now ends on %(end)s instead of %(before)s, so no paid day is lost.")
            % {
                "end": _last_day(plan.period_end),
                "before": _last_day(membership.current_period_end),
            },
        ]
        if plan.next_renewal_on:
            lines.append(
                _("The next renewal moves from %(before)s to %(after)s.")
                % {"before": _day(membership.next_renewal_on), "after": _day(plan.next_renewal_on)}
            )
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Pause this membership?"),
            lines=lines,
            confirm_label=_("Pause it"),
            back_url=_detail_url(request, membership),
            back_label=_("Back"),
        )
    try:
        svc.membership_pause(
            studio=request.studio,
            actor=Actor.from_request(request),
            membership=membership,
            paused_from=start,
            paused_until=end,
        )
    except ValidationError as exc:
        return _refused(request, membership, exc)
    messages.success(
        request, _("Membership paused; it can be used again from %(date)s.") % {"date": _day(end)}
    )
    return redirect(_detail_url(request, membership))


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_resume(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    today = svc.studio_today(request.studio)
    if request.method != "POST" or not is_confirmed(request):
        if membership.paused_until is None or membership.paused_until <= today:
            messages.info(request, _("This membership has no pause to end."))
            return redirect(_detail_url(request, membership))
        _end, renewal = svc.resume_plan(membership=membership, today=today)
        started = membership.paused_from is not None and membership.paused_from <= today
        lines = [
            _("The pause ends today: the membership can be used again at once.")
            if started
            else _("The pause planned from %(date)s is called off.") % {"date": _day(membership.paused_from)},
        ]
        if renewal:
            lines.append(
                _("The next renewal moves from %(before)s to %(after)s.")
                % {"before": _day(membership.next_renewal_on), "after": _day(renewal)}
            )
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("End the pause?") if started else _("Call off the pause?"),
            lines=lines,
            confirm_label=_("End the pause") if started else _("Call it off"),
            back_url=_detail_url(request, membership),
            back_label=_("Back"),
        )
    try:
        svc.membership_resume(studio=request.studio, actor=Actor.from_request(request), membership=membership)
    except ValidationError as exc:
        return _refused(request, membership, exc)
    messages.success(request, _("The pause is over; the membership is active."))
    return redirect(_detail_url(request, membership))


# --- cancel --------------------------------------------------------------------------------------


def _cancel_lines(request, membership: Membership, data: dict, today) -> list[str]:
    client, plan_name = membership.client.full_name, membership.plan.name
    if (
        data["when"] == svc.WHEN_PERIOD_END
        and membership.current_period_end
        and membership.current_period_end > today
    ):
        lines = [
            _("“%(plan)s” of %(client)s is not renewed: it can be used until %(date)s, then ends.")
            % {"plan": plan_name, "client": client, "date": _last_day(membership.current_period_end)},
            _("Nothing is refunded. You can undo this until then."),
        ]
    else:
        lines = [
            _("“%(plan)s” of %(client)s ends today: its remaining credits are gone and it renews no more.")
            % {"plan": plan_name, "client": client}
        ]
        mode = data["proration"] if data["when"] == svc.WHEN_NOW else Proration.NONE
        money = svc.cancel_proration(membership=membership, mode=mode, today=today)
        if money.amount > 0 and money.mode == Proration.REFUND:
            lines.append(
                _(
                    "%(amount)s is refunded to the payment method of the period's payment (%(left)s of %(total)s days unused)."
                )
                % {
                    "amount": _money(money.amount, money.payment.currency),
                    "left": money.days_left,
                    "total": money.days_total,
                }
            )
        elif money.amount > 0:
            lines.append(
                _("%(amount)s is added to the client's studio credit (%(left)s of %(total)s days unused).")
                % {
                    "amount": _money(money.amount, money.payment.currency),
                    "left": money.days_left,
                    "total": money.days_total,
                }
            )
        else:
            lines.append(_("Nothing is refunded."))
        if money.note:
            lines.append(money.note)
    unserved = svc.commitment_unserved(
        membership=membership,
        ends_on=membership.current_period_end if data["when"] == svc.WHEN_PERIOD_END else today,
    )
    if unserved is not None:
        lines.append(_("The minimum commitment, until %(date)s, is waived.") % {"date": _day(unserved)})
    return lines


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    today = svc.studio_today(request.studio)
    refusal = svc.cancel_refusal(membership=membership, when=svc.WHEN_NOW, today=today)
    form = CancelForm(
        request.POST or None,
        renews=membership.plan.renews and not membership.cancel_at_period_end,
        default_proration=svc.cancel_proration_default(studio=request.studio),
        may_refund=request.staff.has_perm(Perm.REFUND),
    )
    commitment = svc.commitment_end(membership=membership)
    context = {"form": form, "refusal": refusal, "commitment_end": commitment}
    if refusal or request.method != "POST" or not form.is_valid():
        return _page(request, "cancel.html", membership, **context)
    data = form.cleaned_data
    ends_on = membership.current_period_end if data["when"] == svc.WHEN_PERIOD_END else today
    unserved = svc.commitment_unserved(membership=membership, ends_on=ends_on)
    if unserved is not None and not data["waive_commitment"]:
        form.add_error(
            "waive_commitment",
            _("The minimum commitment runs until %(date)s: tick this to end it earlier.")
            % {"date": _day(unserved)},
        )
        return _page(request, "cancel.html", membership, **context)
    if not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            danger=True,
            title=_("Cancel this membership?"),
            lines=_cancel_lines(request, membership, data, today),
            confirm_label=_("Cancel the membership"),
            back_url=_detail_url(request, membership),
            back_label=_("Keep it"),
        )
    try:
        result = svc.membership_cancel(
            studio=request.studio,
            actor=Actor.from_request(request),
            membership=membership,
            when=data["when"],
            proration=data["proration"],
            waive_commitment=data["waive_commitment"],
        )
    except ValidationError as exc:
        return _refused(request, membership, exc)
    _announce_cancel(request, result)
    return redirect(_detail_url(request, membership))


def _announce_cancel(request, result: svc.CancelResult) -> None:
    membership = result.membership
    if result.when == svc.WHEN_PERIOD_END:
        messages.success(
            request,
            _("The membership will not renew; it ends on %(date)s.") % {"date": _day(membership.ends_on)},
        )
        return
    messages.success(request, _("Membership cancelled."))
    refund = result.refund
    if result.refund_error:
        messages.error(
            request,
            _("The money could not be given back: %(reason)s Refund it from the payment's page.")
            % {"reason": result.refund_error},
        )
    elif refund is not None:
        amount = _money(refund.amount, refund.payment.currency)
        if refund.status == Refund.Status.SUCCEEDED and refund.destination == Refund.Destination.CREDIT:
            messages.success(
                request, _("%(amount)s added to the client's studio credit.") % {"amount": amount}
            )
        elif refund.status == Refund.Status.SUCCEEDED:
            messages.success(request, _("%(amount)s refunded.") % {"amount": amount})
        elif refund.status == Refund.Status.PENDING:
            messages.warning(
                request,
                _("The refund of %(amount)s is being confirmed with Stripe. Do not refund again.")
                % {"amount": amount},
            )
        else:
            messages.error(
                request, _("Stripe refused the refund: %(message)s") % {"message": refund.failure_message}
            )


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_cancel_undo(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    if not membership.cancel_at_period_end:
        messages.info(request, _("This membership is not set to end at the end of its period."))
        return redirect(_detail_url(request, membership))
    if request.method != "POST" or not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Keep renewing this membership?"),
            lines=[
                _("“%(plan)s” no longer ends on %(date)s: it renews on that day, charged as usual.")
                % {"plan": membership.plan.name, "date": _day(membership.current_period_end)}
            ],
            confirm_label=_("Keep renewing"),
            back_url=_detail_url(request, membership),
            back_label=_("Back"),
        )
    try:
        svc.membership_cancel_undo(
            studio=request.studio, actor=Actor.from_request(request), membership=membership
        )
    except ValidationError as exc:
        return _refused(request, membership, exc)
    messages.success(request, _("The membership renews again."))
    return redirect(_detail_url(request, membership))


# --- change plan ---------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_change_plan(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    refusal = svc.change_refusal(membership=membership)
    form = ChangePlanForm(request.POST or None, membership=membership)
    if refusal or request.method != "POST" or not form.is_valid():
        return _page(request, "change_plan.html", membership, form=form, refusal=refusal)
    plan = form.cleaned_data["plan"]
    if not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Change plan at the next renewal?"),
            lines=[
                _("From %(date)s, %(client)s renews on “%(new)s” at %(price)s instead of “%(old)s”.")
                % {
                    "date": _day(membership.next_renewal_on),
                    "client": membership.client.full_name,
                    "new": plan.name,
                    "price": _money(plan.price_amount, plan.currency),
                    "old": membership.plan.name,
                },
                _("Until then nothing changes; you can call the change off."),
            ],
            confirm_label=_("Change at the renewal"),
            back_url=_detail_url(request, membership),
            back_label=_("Back"),
        )
    try:
        svc.membership_change_plan(
            studio=request.studio, actor=Actor.from_request(request), membership=membership, plan=plan
        )
    except ValidationError as exc:
        return _refused(request, membership, exc)
    messages.success(request, _("“%(plan)s” applies from the next renewal.") % {"plan": plan.name})
    return redirect(_detail_url(request, membership))


@staff_required(Perm.MANAGE_MEMBERSHIPS)
def membership_change_plan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    if membership.next_plan_id is None:
        messages.info(request, _("No plan change is planned for this membership."))
        return redirect(_detail_url(request, membership))
    if request.method != "POST" or not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            title=_("Keep the current plan?"),
            lines=[
                _("The change to “%(new)s” is called off: “%(old)s” renews as before.")
                % {"new": membership.next_plan.name, "old": membership.plan.name}
            ],
            confirm_label=_("Keep the current plan"),
            back_url=_detail_url(request, membership),
            back_label=_("Back"),
        )
    try:
        svc.membership_change_plan_cancel(
            studio=request.studio, actor=Actor.from_request(request), membership=membership
        )
    except ValidationError as exc:
        return _refused(request, membership, exc)
    messages.success(request, _("The plan change is called off."))
    return redirect(_detail_url(request, membership))
