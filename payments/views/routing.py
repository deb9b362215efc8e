"""“Where would this payment go?” (PAY-3): the routing service's answer for any combination."""

from __future__ import annotations

from django.shortcuts import render

from payments import selectors
from payments.forms import RoutingForm
from payments.models.settings import Channel, ItemKind
from payments.services.routing import Purchase
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.permissions import Perm

CLIENT_MATCHES = 8


@staff_required(Perm.CONNECT_PAYMENTS)
def routing_page(request):
    # Always bound: the page answers for an online membership before anything is touched.
    form = RoutingForm(
        request.GET or {"channel": Channel.ONLINE, "item_kind": ItemKind.MEMBERSHIP}, studio=request.studio
    )
    answer = None
    client = None
    matches = []
    if form.is_valid():
        data = form.cleaned_data
        client = data.get("client")
        search = (data.get("client_q") or "").strip()
        if client is not None and search != client.full_name:
            client = None  # the search was edited after a client was picked: search again
        if client is None and search:
            matches = list(
                studio_selectors.client_list(studio=request.studio, search=search)[: CLIENT_MATCHES + 1]
            )
            if len(matches) == 1:
                client = matches[0]
        home = client.home_location if client is not None else data.get("client_home_location")
        purchase = Purchase(
            channel=data["channel"],
            item_kind=data["item_kind"],
            item_location=data.get("item_location"),
            client_home_location=home,
            pos_location=data.get("pos_location"),
        )
        answer = selectors.routing_explain(studio=request.studio, purchase=purchase)
    query = request.GET.copy()
    query.pop("client", None)
    context = {
        "form": form,
        "answer": answer,
        "client": client,
        "matches": matches[:CLIENT_MATCHES] if client is None else [],
        "more_matches": len(matches) > CLIENT_MATCHES,
        "query": query.urlencode(),
    }
    template = "payments/_routing_answer.html" if request.htmx else "payments/routing.html"
    return render(request, template, context)
