"""A client's studio credit: balance, history, and staff adjustments with a reason (PAY-7).

Perm.REFUND, not MANAGE_CLIENTS: adding credit is giving money (see payments/services/credit.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from payments import selectors
from payments.forms import CreditAdjustForm
from payments.services.credit import credit_adjust, credit_balance
from studio.access import staff_required
from studio.models import Client
from studio.permissions import Perm
from studio.services import Actor


@staff_required(Perm.REFUND)
def client_credit(request, pk):
    client = get_object_or_404(Client.objects.select_related("home_location"), pk=pk)
    balance = credit_balance(client=client)
    form = CreditAdjustForm(
        request.POST or None, currency=request.studio.currency, initial={"seen_balance": balance}
    )
    if request.method == "POST" and form.is_valid():
        try:
            credit_adjust(
                studio=request.studio,
                actor=Actor.from_request(request),
                client=client,
                amount=form.signed_amount,
                note=form.cleaned_data["note"],
                expected_balance=form.cleaned_data["seen_balance"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Credit updated."))
            return redirect("payments-client-credit", studio_slug=request.studio.slug, pk=client.pk)
    entries = Paginator(selectors.client_credit_entries(client=client), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/client_credit.html",
        {
            "client": client,
            "form": form,
            "page": entries,
            "balance": balance,
        },
    )
