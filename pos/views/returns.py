"""Return a sale or some of its lines (PAY-7 at the counter): the form, a confirm step stating the
amounts and where they go, then the return (`pos.services.returns.sale_return`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pos.forms.returns import ReturnForm
from pos.models import Sale, SaleLine, SaleStatus
from pos.services import returns as svc
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.money import format_money
from studio.permissions import Perm
from studio.services import Actor


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=get_language() or "en")


def _cancel_url(request: HttpRequest, error: ValidationError) -> str:
    membership = getattr(error, "membership", None)
    if membership is None:
        return ""
    try:
        return reverse("membership-cancel", kwargs={"studio_slug": request.studio.slug, "pk": membership.pk})
    except NoReverseMatch:
        return ""


def _plan_lines(plan: svc.ReturnPlan, *, restock: bool) -> list[str]:
    currency = plan.sale.currency
    lines = [
        _("Return %(count)s × %(item)s: %(amount)s.")
        % {"count": item.quantity, "item": item.line.description, "amount": _money(item.amount, currency)}
        for item in plan.lines
    ]
    if plan.destination == svc.DESTINATION_CREDIT:
        lines.append(
            _("%(amount)s is added to the client's studio credit.")
            % {"amount": _money(plan.amount, currency)}
        )
    for refund in plan.refunds:
        payment = refund.tender.payment
        card = f" {payment.card_brand.capitalize()} •••• {payment.card_last4}" if payment.card_last4 else ""
        if plan.destination != svc.DESTINATION_CREDIT:
            lines.append(
                _("Refund %(amount)s to: %(tender)s%(card)s.")
                % {
                    "amount": _money(refund.amount, currency),
                    "tender": refund.tender.get_kind_display(),
                    "card": card,
                }
            )
    if any(item.line.kind == "product" for item in plan.lines):
        lines.append(
            _("The products go back in stock.") if restock else _("The products do not go back in stock.")
        )
    if any(item.line.kind == "plan" for item in plan.lines):
        lines.append(_("The membership is cancelled now."))
    if any(item.line.kind == "drop_in" for item in plan.lines):
        lines.append(_("The class booking is cancelled."))
    return lines


@staff_required(Perm.REFUND)
def sale_return(request: HttpRequest, pk: int) -> HttpResponse:
    studio = request.studio
    sale = Sale.objects.select_related("location", "client").filter(studio=studio, pk=pk).first()
    if sale is None:
        raise Http404
    sale.studio = studio
    receipt_url = reverse("pos-sale-receipt", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    lines = list(SaleLine.objects.filter(studio=studio, sale=sale).order_by("position", "id"))
    form = ReturnForm(request.POST or None, sale=sale, lines=lines)
    refusal = ""
    cancel_url = ""
    if sale.status != SaleStatus.COMPLETED:
        refusal = _("Only a completed sale can be returned.")
    elif not form.lines:
        refusal = _("Everything in this sale has already been returned.")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        restock = bool(data.get("restock"))
        try:
            if not is_confirmed(request):
                plan = svc.sale_return_plan(
                    sale=sale, quantities=form.quantities(), destination=data["destination"]
                )
                return confirm_page(
                    request,
                    base="pos/till/base.html",
                    title=_("Return %(amount)s from sale no. %(number)s?")
                    % {"amount": _money(plan.amount, sale.currency), "number": sale.number or sale.pk},
                    lines=_plan_lines(plan, restock=restock),
                    confirm_label=_("Make the return"),
                    back_url=request.path,
                    back_label=_("Back"),
                    danger=True,
                )
            result = svc.sale_return(
                studio=studio,
                actor=Actor.from_request(request),
                sale=sale,
                quantities=form.quantities(),
                destination=data["destination"],
                restock=restock,
                reason=data.get("reason") or "",
            )
        except ValidationError as error:
            form.add_error(None, error)
            cancel_url = _cancel_url(request, error)
        else:
            messages.success(
                request,
                _("Returned: %(amount)s.") % {"amount": _money(result.plan.amount, sale.currency)},
            )
            for problem in result.errors:
                messages.error(request, problem)
            return redirect(receipt_url)
    return render(
        request,
        "pos/till/return.html",
        {
            "sale": sale,
            "form": form,
            "refusal": refusal,
            "cancel_url": cancel_url,
            "receipt_url": receipt_url,
            "kept_lines": [line for line in lines if line not in form.lines],
        },
    )
