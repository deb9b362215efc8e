"""Reads of the review-and-pay page (CHK-2): what the order costs as the client would pay it,
where it is paid and why, the waivers to accept, the cards that can pay it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from checkout.models import CardForm, Order, OrderStatus
from payments.services.credit import credit_balance
from studio.models import Client, Studio


@dataclass(frozen=True)
class Review:
    order: Order
    lines: list
    route: object  # payments Route
    conflicts: list
    quote: object  # checkout.services.pricing.OrderQuote
    credit_balance: int
    use_credit: bool
    waivers: list
    saved_cards: list
    card_form: str
    can_save: bool  # SPM-3: the studio keeps cards, and the order's account can hold one
    waiver_links: list  # [(waiver, url of its text on the client's account, back here)]

    @property
    def card_needed(self) -> bool:
        return self.quote.amount_due > 0

    @property
    def hosted(self) -> bool:
        return self.card_form == CardForm.HOSTED

    @property
    def amount_to_pay(self) -> int:
        """What the Pay button says: the card's amount, or the credit's when it covers it all."""
        return self.quote.amount_due if self.quote.amount_due > 0 else self.quote.credit_applied


def order_review(*, studio: Studio, client: Client, order: Order, use_credit: bool) -> Review:
    """Everything the review page shows for `order` (the client's, OPEN)."""
    from checkout.services.cart import order_routing
    from checkout.services.payment import order_saved_cards, order_waivers_required
    from checkout.services.pricing import order_quote
    from checkout.services.settings import checkout_settings_for
    from payments.services.saved_methods import saved_methods_enabled
    from waivers.selectors.blocking import account_sign_url

    balance = credit_balance(client=client)
    use_credit = bool(use_credit and balance > 0)
    routing = order_routing(order=order)
    route = routing.route
    quote = order_quote(order=order, use_credit=use_credit, by_card=True, credit_balance=balance)
    waivers = order_waivers_required(studio=studio, client=client, order=order)
    back = reverse("checkout-review", kwargs={"studio_slug": studio.slug})
    return Review(
        order=order,
        lines=list(order.lines.all()),
        route=route,
        conflicts=routing.conflicts,
        quote=quote,
        credit_balance=balance,
        use_credit=use_credit,
        waivers=waivers,
        saved_cards=order_saved_cards(client=client, route=route),
        card_form=checkout_settings_for(studio=studio).card_form,
        can_save=route.account is not None and saved_methods_enabled(studio=studio),
        waiver_links=[
            (w, account_sign_url(studio=studio, waiver=w, for_client=None, next_url=back)) for w in waivers
        ],
    )


def order_paying_for_client(*, studio: Studio, client: Client) -> Order | None:
    """The client's order whose payment is in progress (a 3-D Secure step, the card page), if any."""
    return (
        Order.objects.filter(studio=studio, client=client, status=OrderStatus.PAYING)
        .order_by("-frozen_at", "-id")
        .first()
    )


def order_of_client(*, studio: Studio, client: Client, token: str) -> Order:
    """The order behind `token` when it is `client`'s; Http404 otherwise (a wrong token, another
    studio's, another client's — never a hint that it exists)."""
    from checkout.selectors.cart import order_for_page

    order = order_for_page(studio=studio, token=token)
    if order.client_id != client.pk:
        raise Http404
    return order


def order_by_pay_token(*, studio: Studio, client: Client, pay_token: str) -> Order | None:
    """The client's order a pay form with `pay_token` already paid (or began to): a second submit
    of the same form is answered with where the first one went."""
    token = str(pay_token or "")
    if not token or len(token) > 64 or "\x00" in token:
        return None
    return Order.objects.filter(studio=studio, client=client, pay_token=token).first()
