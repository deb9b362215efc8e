"""Fees and taxes settings (PAY-8, PAY-9): card-fee pass-through, the platform fee (read-only), tax rates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from payments import selectors
from payments.forms import CardFeeForm, TaxRateForm
from payments.models import TaxRate
from payments.models.settings import ItemKind
from payments.services.fees import payment_settings_for, quote_build, tax_rates_for
from payments.services.fees_setup import payment_settings_update, tax_rate_archive, tax_rate_save
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor

EXAMPLE_SUBTOTAL = 10000  # minor units: the worked example shows a 100.00 purchase


@staff_required(Perm.MANAGE_SETTINGS)
def fees_settings(request):
    settings = payment_settings_for(studio=request.studio)
    form = CardFeeForm(request.POST or None, settings=settings, currency=request.studio.currency)
    if request.method == "POST" and form.is_valid():
        try:
            payment_settings_update(
                studio=request.studio,
                actor=Actor.from_request(request),
                card_fee_mode=form.cleaned_data["card_fee_mode"],
                card_fee_percent=form.cleaned_data["card_fee_percent"],
                card_fee_fixed=form.cleaned_data["card_fee_fixed"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Card fee settings saved."))
            return redirect("payments-fees", studio_slug=request.studio.slug)
    example_kind = ItemKind.MEMBERSHIP
    example = quote_build(
        studio=request.studio,
        subtotal=EXAMPLE_SUBTOTAL,
        item_kind=example_kind,
        settings=settings,
        rates=tax_rates_for(studio=request.studio, item_kind=example_kind),
    )
    kind_labels = dict(ItemKind.choices)
    rates = [
        (rate, [kind_labels.get(k, k) for k in rate.item_kinds])
        for rate in selectors.tax_rate_list(studio=request.studio)
    ]
    return render(
        request,
        "payments/fees.html",
        {
            "form": form,
            "settings": settings,
            "rates": rates,
            "example": example,
            "example_kind": kind_labels[example_kind],
            "tab": "payments-fees",
        },
    )


def _tax_form(request, tax_rate: TaxRate | None):
    form = TaxRateForm(request.POST or None, instance=tax_rate)
    if request.method == "POST" and form.is_valid():
        try:
            saved = tax_rate_save(
                studio=request.studio, actor=Actor.from_request(request), tax_rate=form.save(commit=False)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Tax “%(name)s” saved.") % {"name": saved.name})
            return redirect("payments-fees", studio_slug=request.studio.slug)
    return render(
        request, "payments/tax_form.html", {"form": form, "tax_rate": tax_rate, "tab": "payments-fees"}
    )


@staff_required(Perm.MANAGE_SETTINGS)
def tax_create(request):
    return _tax_form(request, None)


@staff_required(Perm.MANAGE_SETTINGS)
def tax_edit(request, pk):
    return _tax_form(request, get_object_or_404(TaxRate, pk=pk))


@staff_required(Perm.MANAGE_SETTINGS)
def tax_archive(request, pk):
    tax_rate = get_object_or_404(TaxRate, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archived = request.POST.get("restore") != "1"
    tax_rate_archive(
        studio=request.studio, actor=Actor.from_request(request), tax_rate=tax_rate, archived=archived
    )
    if archived:
        messages.success(
            request, _("Tax “%(name)s” archived: it is no longer charged.") % {"name": tax_rate.name}
        )
    else:
        messages.success(request, _("Tax “%(name)s” charged again.") % {"name": tax_rate.name})
    return redirect("payments-fees", studio_slug=request.studio.slug)
