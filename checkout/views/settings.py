"""Settings › Online checkout: how the studio's clients enter a new card (Elements or Stripe Checkout)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from checkout.forms.pay import CheckoutSettingsForm
from checkout.services.settings import checkout_settings_for, checkout_settings_update
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.MANAGE_SETTINGS)
def checkout_settings(request: HttpRequest) -> HttpResponse:
    settings = checkout_settings_for(studio=request.studio)
    form = CheckoutSettingsForm(request.POST or None, initial={"card_form": settings.card_form})
    if request.method == "POST" and form.is_valid():
        try:
            checkout_settings_update(
                studio=request.studio,
                actor=Actor.from_request(request),
                card_form=form.cleaned_data["card_form"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Checkout settings saved."))
            return redirect("checkout-settings", studio_slug=request.studio.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "checkout/pay/settings.html", {"form": form, "tab": "checkout-settings"}, status=status
    )
