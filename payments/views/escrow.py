"""Escrow (PAY-6): the balance the platform holds for the studio, and payout requests (seed 000)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from payments import selectors
from payments.forms import EscrowPayoutForm
from payments.services.escrow import escrow_payout_request
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.CONNECT_PAYMENTS)
def escrow_page(request):
    overview = selectors.escrow_overview(studio=request.studio)
    form = EscrowPayoutForm(request.POST or None, studio=request.studio, balance=overview["balance"])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            escrow_payout_request(
                studio=request.studio,
                actor=Actor.from_request(request),
                amount=data["amount"],
                legal_name=data["legal_name"],
                account_type=data["account_type"],
                routing_number=data["routing_number"],
                account_number=data["account_number"],
                bic=data["bic"],
                bank_code=data["bank_code"],
                address=data["address"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Payout request sent. The platform pays it within a few business days.")
            )
            return redirect("payments-escrow", studio_slug=request.studio.slug)
    return render(request, "payments/escrow.html", {"form": form, **overview})
