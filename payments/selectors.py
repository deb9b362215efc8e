"""Reads for the payments ledger, studio credit, escrow and the routing question. No side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from payments.models import (
    ConnectedAccount,
    CreditEntry,
    EscrowPayoutRequest,
    Payment,
    PaymentStatusChange,
    Refund,
    TaxRate,
)
from payments.models.settings import Channel, ItemKind
from payments.services.credit import credit_balance
from payments.services.escrow import escrow_balance
from payments.services.routing import LOCATION_BOUND_KINDS, Purchase, Route, Rule, route_with
from studio.models import Client, Location, Studio

ESCROW_FILTER = "escrow"


# --- the ledger -------------------------------------------------------------------------------


def payment_list(*, studio: Studio, status: str = "", account: str = "", search: str = "",
                 date_from: date | None = None, date_to: date | None = None) -> QuerySet[Payment]:
    """Every payment attempt, newest first, with what the list shows joined in (constant query count).

    `account` is a ConnectedAccount id or "escrow"; `search` matches the client's name or email,
    or the payment's description; dates are the studio's local days (the active time zone).
    """
    qs = Payment.objects.filter(studio=studio).select_related("client", "account", "location")
    if status in Payment.Status.values:
        qs = qs.filter(status=status)
    if account == ESCROW_FILTER:
        qs = qs.filter(is_escrow=True)
    elif account.isdigit():
        qs = qs.filter(account_id=int(account))
    for term in search.split():
        qs = qs.filter(Q(client__first_name__icontains=term) | Q(client__last_name__icontains=term)
                       | Q(client__email__icontains=term) | Q(description__icontains=term))
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def payment_accounts(*, studio: Studio) -> list[ConnectedAccount]:
    return list(ConnectedAccount.objects.filter(studio=studio).order_by("-is_default", "display_name", "id"))


@dataclass(frozen=True)
class PaymentDetail:
    payment: Payment
    history: list[PaymentStatusChange]
    refunds: list[Refund]
    credit_entries: list[CreditEntry]

    @property
    def refunded_settled(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == Refund.Status.SUCCEEDED)

    @property
    def refunded_pending(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == Refund.Status.PENDING)


def payment_detail(*, studio: Studio, payment: Payment) -> PaymentDetail:
    history = list(PaymentStatusChange.objects.filter(studio=studio, payment=payment).order_by("at", "id"))
    refunds = list(Refund.objects.filter(studio=studio, payment=payment).select_related("created_by")
                   .order_by("-created_at", "-id"))
    credit = list(CreditEntry.objects.filter(studio=studio, payment=payment).order_by("-created_at", "-id"))
    return PaymentDetail(payment=payment, history=history, refunds=refunds, credit_entries=credit)


# --- a client's money (the client profile panel) --------------------------------------------


def client_money_context(*, client: Client, limit: int = 10) -> dict:
    """What `payments/_client_money.html` shows on a client's profile: payments, refunds, credit.

    The profile includes the partial with `ctx=` this dict. Five queries, whatever the history.
    """
    payments_qs = Payment.objects.filter(studio_id=client.studio_id, client=client)
    payments = list(payments_qs.select_related("account").order_by("-created_at", "-id")[:limit])
    totals = payments_qs.filter(status=Payment.Status.SUCCEEDED).aggregate(paid=Sum("amount"),
                                                                           refunded=Sum("amount_refunded"))
    refunds = list(Refund.objects.filter(studio_id=client.studio_id, payment__client=client)
                   .select_related("payment").order_by("-created_at", "-id")[:limit])
    entries = list(CreditEntry.objects.filter(studio_id=client.studio_id, client=client)
                   .order_by("-created_at", "-id")[:limit])
    currency = Studio.objects.only("currency").get(pk=client.studio_id).currency
    return {
        "client": client,
        "currency": currency,
        "payments": payments,
        "refunds": refunds,
        "credit_entries": entries,
        "credit_balance": credit_balance(client=client),
        "total_paid": int(totals["paid"] or 0),
        "total_refunded": int(totals["refunded"] or 0),
    }


def client_credit_entries(*, client: Client) -> QuerySet[CreditEntry]:
    return (CreditEntry.objects.filter(studio_id=client.studio_id, client=client)
            .select_related("created_by", "payment").order_by("-created_at", "-id"))


# --- escrow ----------------------------------------------------------------------------------


def escrow_overview(*, studio: Studio) -> dict:
    taken = Payment.objects.filter(studio=studio, is_escrow=True, status=Payment.Status.SUCCEEDED).aggregate(
        amount=Sum("amount"), refunded=Sum("amount_refunded"))
    requests = list(EscrowPayoutRequest.objects.filter(studio=studio).select_related("requested_by")
                    .order_by("-requested_at", "-id"))
    return {
        "balance": escrow_balance(studio=studio),
        "taken": int(taken["amount"] or 0),
        "refunded": int(taken["refunded"] or 0),
        "requested": sum(r.amount for r in requests if r.status == EscrowPayoutRequest.Status.REQUESTED),
        "paid": sum(r.amount for r in requests if r.status == EscrowPayoutRequest.Status.PAID),
        "requests": requests,
        "payments": list(Payment.objects.filter(studio=studio, is_escrow=True).select_related("client")
                         .order_by("-created_at", "-id")[:20]),
    }


# --- taxes -----------------------------------------------------------------------------------


def tax_rate_list(*, studio: Studio) -> list[TaxRate]:
    return list(TaxRate.objects.filter(studio=studio).order_by("archived_at", "position", "id"))


# --- "where would this payment go?" (PAY-3) --------------------------------------------------


@dataclass(frozen=True)
class RoutingStep:
    number: int
    title: str
    outcome: str  # "chosen" | "skipped" | "passed_over" | "not_reached"
    detail: str


@dataclass(frozen=True)
class RoutingAnswer:
    route: Route
    steps: list[RoutingStep]
    purchase: Purchase


def _location_accounts(studio: Studio) -> tuple[dict[int, ConnectedAccount], ConnectedAccount | None]:
    from payments.models import ConnectedAccountLocation

    links = ConnectedAccountLocation.objects.filter(studio=studio).select_related("account")
    by_location = {link.location_id: link.account for link in links}
    default = ConnectedAccount.objects.filter(studio=studio, is_default=True).first()
    return by_location, default


def _account_words(location: Location, by_location: dict[int, ConnectedAccount]) -> tuple[bool, str]:
    account = by_location.get(location.pk)
    if account is None:
        return False, _("%(location)s has no payment account of its own.") % {"location": location.name}
    if not account.can_charge:
        return False, _("%(location)s's account “%(account)s” cannot take payments yet.") % {
            "location": location.name, "account": account.display_name}
    return True, _("%(location)s's account “%(account)s” can take payments.") % {
        "location": location.name, "account": account.display_name}


def routing_explain(*, studio: Studio, purchase: Purchase) -> RoutingAnswer:
    """The routing service's answer, plus each PAY-3 rule in order: did it apply, and why (not)."""
    by_location, default = _location_accounts(studio)
    route = route_with(purchase=purchase, by_location=by_location, default=default)
    kind_label = ItemKind(purchase.item_kind).label if purchase.item_kind in ItemKind.values else purchase.item_kind
    steps: list[RoutingStep] = []
    decided = False

    def add(number: int, title: str, applies: bool, detail: str, location: Location | None = None) -> None:
        nonlocal decided
        if decided:
            steps.append(RoutingStep(number, title, "not_reached", _("Not reached: an earlier rule decided.")))
            return
        if not applies:
            steps.append(RoutingStep(number, title, "skipped", detail))
            return
        if location is not None:
            ok, words = _account_words(location, by_location)
            if ok:
                decided = True
                steps.append(RoutingStep(number, title, "chosen", f"{detail} {words}"))
            else:
                steps.append(RoutingStep(number, title, "passed_over", f"{detail} {words}"))
            return
        steps.append(RoutingStep(number, title, "skipped", detail))

    pos = purchase.channel == Channel.POS
    title1 = _("Point-of-sale sale → the location chosen at the start of the sale")
    if not pos:
        add(1, title1, False, _("Not a point-of-sale sale."))
    elif purchase.pos_location is None:
        add(1, title1, True, _("No location was chosen for the sale."))
    else:
        add(1, title1, True, _("Sold at %(location)s.") % {"location": purchase.pos_location.name},
            purchase.pos_location)

    title2 = _("Online class, instalment, appointment or product at a home location → that location")
    item = purchase.item_location
    bound = purchase.item_kind in LOCATION_BOUND_KINDS
    if pos:
        add(2, title2, False, _("Not an online purchase."))
    elif not bound:
        add(2, title2, False, _("A %(kind)s is not tied to one location.") % {"kind": kind_label.lower()})
    elif item is None:
        add(2, title2, False, _("The item has no location."))
    elif not item.is_home_location:
        add(2, title2, False, _("%(location)s is not a home location.") % {"location": item.name})
    else:
        add(2, title2, True, _("The %(kind)s takes place at %(location)s.")
            % {"kind": kind_label.lower(), "location": item.name}, item)
    rule2_applied = not pos and bound and item is not None and item.is_home_location

    title3 = _("Any other online purchase (memberships, renewals…) → the client's home location")
    home = purchase.client_home_location
    if pos:
        add(3, title3, False, _("Not an online purchase."))
    elif rule2_applied:
        add(3, title3, False, _("Rule 2 covers this purchase."))
    elif home is None:
        add(3, title3, False, _("The client has no home location."))
    else:
        add(3, title3, True, _("The client's home location is %(location)s.") % {"location": home.name}, home)

    title4 = _("Otherwise → the studio's default account")
    if decided:
        steps.append(RoutingStep(4, title4, "not_reached", _("Not reached: an earlier rule decided.")))
    elif default is None:
        steps.append(RoutingStep(4, title4, "passed_over", _("The studio has no default account.")))
    elif not default.can_charge:
        steps.append(RoutingStep(4, title4, "passed_over", _("The default account “%(account)s” cannot take "
                                                             "payments yet.") % {"account": default.display_name}))
    else:
        steps.append(RoutingStep(4, title4, "chosen", _("The default account is “%(account)s”.")
                                 % {"account": default.display_name}))
    if route.rule == Rule.ESCROW:
        steps.append(RoutingStep(5, _("No account can take payments → escrow"), "chosen",
                                 _("The platform holds the money until the studio can be paid (PAY-6).")))
    return RoutingAnswer(route=route, steps=steps, purchase=purchase)
