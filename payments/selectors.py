"""Reads for the payments ledger, studio credit, escrow and the routing question. No side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_scopes import scope

from payments.models import (
    ConnectedAccount,
    ConnectedAccountLocation,
    CreditEntry,
    EscrowPayoutRequest,
    Payment,
    PaymentStatusChange,
    Refund,
    SavedPaymentMethod,
    TaxRate,
)
from payments.models.settings import Channel, ItemKind
from payments.services.credit import credit_balance
from payments.services.escrow import escrow_balance
from payments.services.routing import LOCATION_BOUND_KINDS, Purchase, Route, Rule, route_with
from studio.compiled_sql import compiled_instance, compiled_models, compiled_rows, model_columns
from studio.models import Client, Location, Studio

ESCROW_FILTER = "escrow"


# --- the ledger -------------------------------------------------------------------------------


def payment_list(
    *,
    studio: Studio,
    status: str = "",
    account: str = "",
    search: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Payment]:
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
        qs = qs.filter(
            Q(client__first_name__icontains=term)
            | Q(client__last_name__icontains=term)
            | Q(client__email__icontains=term)
            | Q(description__icontains=term)
        )
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
    refunds = list(
        Refund.objects.filter(studio=studio, payment=payment)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )
    credit = list(CreditEntry.objects.filter(studio=studio, payment=payment).order_by("-created_at", "-id"))
    return PaymentDetail(payment=payment, history=history, refunds=refunds, credit_entries=credit)


# --- a client's money (the client profile panel) --------------------------------------------


def client_money_context(*, client: Client, limit: int = 10) -> dict:
    """What `payments/_client_money.html` shows on a client's profile: payments, refunds, credit.

    The profile includes the partial with `ctx=` this dict. Five queries, whatever the history.
    """
    payments_qs = Payment.objects.filter(studio_id=client.studio_id, client=client)
    payments = list(payments_qs.select_related("account").order_by("-created_at", "-id")[:limit])
    totals = payments_qs.filter(status=Payment.Status.SUCCEEDED).aggregate(
        paid=Sum("amount"), refunded=Sum("amount_refunded")
    )
    refunds = list(
        Refund.objects.filter(studio_id=client.studio_id, payment__client=client)
        .select_related("payment")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = list(
        CreditEntry.objects.filter(studio_id=client.studio_id, client=client).order_by("-created_at", "-id")[
            :limit
        ]
    )
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
    return (
        CreditEntry.objects.filter(studio_id=client.studio_id, client=client)
        .select_related("created_by", "payment")
        .order_by("-created_at", "-id")
    )


# --- escrow ----------------------------------------------------------------------------------


def escrow_overview(*, studio: Studio) -> dict:
    taken = Payment.objects.filter(studio=studio, is_escrow=True, status=Payment.Status.SUCCEEDED).aggregate(
        amount=Sum("amount"), refunded=Sum("amount_refunded")
    )
    requests = list(
        EscrowPayoutRequest.objects.filter(studio=studio)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")
    )
    return {
        "balance": escrow_balance(studio=studio),
        "taken": int(taken["amount"] or 0),
        "refunded": int(taken["refunded"] or 0),
        "requested": sum(r.amount for r in requests if r.status == EscrowPayoutRequest.Status.REQUESTED),
        "paid": sum(r.amount for r in requests if r.status == EscrowPayoutRequest.Status.PAID),
        "requests": requests,
        "payments": list(
            Payment.objects.filter(studio=studio, is_escrow=True)
            .select_related("client")
            .order_by("-created_at", "-id")[:20]
        ),
    }


# --- taxes -----------------------------------------------------------------------------------


def _tax_rates(*, studio_id: int):
    return TaxRate.objects.order_by("archived_at", "position", "id")


def tax_rate_list(*, studio: Studio) -> list[TaxRate]:
    """Every tax rate of `studio`, archived last (compiled once: every price shown reads them)."""
    with scope(studio=studio):
        return compiled_models("tax-rates", _tax_rates, model=TaxRate)


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
            "location": location.name,
            "account": account.display_name,
        }
    return True, _("%(location)s's account “%(account)s” can take payments.") % {
        "location": location.name,
        "account": account.display_name,
    }


def routing_explain(*, studio: Studio, purchase: Purchase) -> RoutingAnswer:
    """The routing service's answer, plus each PAY-3 rule in order: did it apply, and why (not)."""
    by_location, default = _location_accounts(studio)
    route = route_with(purchase=purchase, by_location=by_location, default=default)
    kind_label = (
        ItemKind(purchase.item_kind).label if purchase.item_kind in ItemKind.values else purchase.item_kind
    )
    steps: list[RoutingStep] = []
    decided = False

    def add(number: int, title: str, applies: bool, detail: str, location: Location | None = None) -> None:
        nonlocal decided
        if decided:
            steps.append(
                RoutingStep(number, title, "not_reached", _("Not reached: an earlier rule decided."))
            )
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
        add(
            1,
            title1,
            True,
            _("Sold at %(location)s.") % {"location": purchase.pos_location.name},
            purchase.pos_location,
        )

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
        add(
            2,
            title2,
            True,
            _("The %(kind)s takes place at %(location)s.")
            % {"kind": kind_label.lower(), "location": item.name},
            item,
        )
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
        steps.append(
            RoutingStep(
                4,
                title4,
                "passed_over",
                _("The default account “%(account)s” cannot take payments yet.")
                % {"account": default.display_name},
            )
        )
    else:
        steps.append(
            RoutingStep(
                4,
                title4,
                "chosen",
                _("The default account is “%(account)s”.") % {"account": default.display_name},
            )
        )
    if route.rule == Rule.ESCROW:
        steps.append(
            RoutingStep(
                5,
                _("No account can take payments → escrow"),
                "chosen",
                _("The platform holds the money until the studio can be paid (PAY-6)."),
            )
        )
    return RoutingAnswer(route=route, steps=steps, purchase=purchase)


# --- what Stripe still needs from a connected account, in words -------------------------------

_REQUIREMENT_LABELS = {
    "business_profile.mcc": _lazy("Your business category"),
    "business_profile.url": _lazy("Your business website (or a description of what you sell)"),
    "business_profile.product_description": _lazy("A description of what you sell"),
    "business_profile.name": _lazy("Your business name"),
    "business_profile.support_phone": _lazy("A customer support phone number"),
    "business_profile.support_email": _lazy("A customer support email"),
    "business_type": _lazy("The type of business (individual, company, non-profit…)"),
    "external_account": _lazy("The bank account your payouts go to"),
    "tos_acceptance.date": _lazy("Acceptance of Stripe's terms of service"),
    "tos_acceptance.ip": _lazy("Acceptance of Stripe's terms of service"),
    "settings.payments.statement_descriptor": _lazy("The name clients see on their bank statement"),
    "company.name": _lazy("The company's legal name"),
    "company.tax_id": _lazy("The company's tax or business number"),
    "company.phone": _lazy("The company's phone number"),
    "company.owners_provided": _lazy("The company's owners"),
    "company.directors_provided": _lazy("The company's directors"),
    "company.executives_provided": _lazy("The company's executives"),
}
_PERSON_ROLES = {
    "individual": _lazy("Account holder"),
    "representative": _lazy("Representative"),
    "owners": _lazy("Owners"),
    "directors": _lazy("Directors"),
    "executives": _lazy("Executives"),
}
_PERSON_FIELDS = (  # (prefix of the field after the person, label), first match wins
    ("first_name", _lazy("legal name")),
    ("last_name", _lazy("legal name")),
    ("dob", _lazy("date of birth")),
    ("address", _lazy("home address")),
    ("email", _lazy("email")),
    ("phone", _lazy("phone number")),
    ("id_number", _lazy("identity number (SIN or SSN)")),
    ("ssn_last_4", _lazy("identity number (SIN or SSN)")),
    ("verification.document", _lazy("identity document")),
    ("verification.additional_document", _lazy("proof of address")),
    ("relationship", _lazy("role in the business")),
)


def requirement_label(code: str) -> str:
    """Stripe's requirement code (`business_profile.mcc`, `individual.dob.day`…) in plain words."""
    if code in _REQUIREMENT_LABELS:
        return str(_REQUIREMENT_LABELS[code])
    if code.startswith("company.address"):
        return _("The company's address")
    head, _dot, rest = code.partition(".")
    role = _PERSON_ROLES.get(head) or (_("A person on the account") if head.startswith("person_") else None)
    if role is not None:
        for prefix, what in _PERSON_FIELDS:
            if rest == prefix or rest.startswith(prefix + "."):
                return _("%(who)s: %(what)s") % {"who": role, "what": what}
    return _("Other information Stripe asks for (%(code)s)") % {"code": code}


@dataclass(frozen=True)
class Requirement:
    label: str
    overdue: bool  # a deadline passed, or Stripe still lists it after the owner went through onboarding
    blocking: bool  # Stripe needs it before the account can take payments


def account_requirements(*, account: ConnectedAccount, now=None) -> list[Requirement]:
    """What Stripe still needs, once each, worded for a studio owner.

    Stripe lists a new account's every field as `past_due` right after creation (nothing can be
    charged until it is provided): that is "needed before you can take payments", not "overdue".
    An item is overdue only when Stripe's deadline has passed, or when Stripe still lists it as
    past due after the owner finished onboarding once.
    """
    now = now or timezone.now()
    deadline_passed = account.requirements_deadline is not None and account.requirements_deadline <= now
    past_due = set(account.requirements_past_due or ())
    by_label: dict[str, Requirement] = {}
    for code in [*(account.requirements_past_due or ()), *(account.requirements_due or ())]:
        label = requirement_label(code)
        blocking = code in past_due
        overdue = deadline_passed or (blocking and account.details_submitted)
        seen = by_label.get(label)
        if seen is not None:
            overdue, blocking = overdue or seen.overdue, blocking or seen.blocking
        by_label[label] = Requirement(label=label, overdue=overdue, blocking=blocking)
    return sorted(by_label.values(), key=lambda r: (not r.overdue, not r.blocking))


# --- saved payment methods ----------------------------------------------------------------------


def saved_methods_in_use(*, studio: Studio) -> dict:
    """How many saved methods, and of how many clients, turning the feature off would idle."""
    totals = SavedPaymentMethod.objects.filter(studio=studio).aggregate(
        methods=Count("id"), clients=Count("client", distinct=True)
    )
    return {"methods": totals["methods"] or 0, "clients": totals["clients"] or 0}


@dataclass(frozen=True)
class StrandedClient:
    """A client whose saved methods stop being usable when a home location changes account."""

    client: Client
    location: Location | None
    methods: list[SavedPaymentMethod]


MOVE_IMPACT_SHOWN = 50


def account_change_impact(
    *, studio: Studio, account: ConnectedAccount, locations: list[Location], is_default: bool
) -> tuple[list[StrandedClient], int]:
    """Before an account's locations (or the default) change: the clients whose renewals and online
    purchases would route to another account, with the methods saved elsewhere that stop being
    usable (SPM-4) — the same rule as a client's own home-location change. Returns the first
    `MOVE_IMPACT_SHOWN` clients and how many there are in all. Three queries plus the clients'."""
    links = {
        link.location_id: link.account
        for link in ConnectedAccountLocation.objects.filter(studio=studio).select_related("account")
    }
    default = ConnectedAccount.objects.filter(studio=studio, is_default=True).first()
    after = {loc_id: acct for loc_id, acct in links.items() if acct.pk != account.pk}
    after.update({loc.pk: account for loc in locations})
    new_default = account if is_default else default  # un-defaulting is refused by the service anyway
    homes = {loc.pk: loc for loc in Location.objects.filter(studio=studio, is_home_location=True)}

    def routed(location_id, by_location, fallback):
        route = route_with(
            purchase=Purchase(
                channel=Channel.ONLINE,
                item_kind=ItemKind.MEMBERSHIP,
                client_home_location=homes.get(location_id),
            ),
            by_location=by_location,
            default=fallback,
        )
        return route.account

    changed: dict[int | None, ConnectedAccount | None] = {}
    for location_id in [*homes, None]:
        old, new = routed(location_id, links, default), routed(location_id, after, new_default)
        if (old.pk if old else None) != (new.pk if new else None):
            changed[location_id] = new
    if not changed:
        return [], 0
    home_filter = Q(client__home_location_id__in=[pk for pk in changed if pk is not None])
    if None in changed:
        home_filter |= Q(client__home_location__isnull=True)
    methods = (
        SavedPaymentMethod.objects.filter(home_filter, studio=studio)
        .select_related("client", "client__home_location", "account")
        .order_by("client__last_name", "client__first_name", "id")
    )
    by_client: dict[int, StrandedClient] = {}
    for method in methods:
        new_account = changed[method.client.home_location_id]
        if new_account is not None and method.account_id == new_account.pk:
            continue  # already on the account the client's payments move to
        entry = by_client.get(method.client_id)
        if entry is None:
            entry = by_client[method.client_id] = StrandedClient(
                client=method.client, location=method.client.home_location, methods=[]
            )
        entry.methods.append(method)
    stranded = list(by_client.values())
    return stranded[:MOVE_IMPACT_SHOWN], len(stranded)


# --- readers (tpay) ----------------------------------------------------------------------------


def _readers_query(*, studio_id: int, location_id: int):
    from payments.models import CardReader, ConnectedAccount

    return (
        CardReader.objects.filter(location_id=location_id, deleted_at__isnull=True)
        .order_by("label", "id")
        .values_list(
            *model_columns(CardReader), *(f"account__{column}" for column in model_columns(ConnectedAccount))
        )
    )


def readers_for_location(*, studio: Studio, location: Location) -> list:
    """The paired (not deleted) card readers of one location, with their account, by name.

    Read through SQL compiled once (the POS tender panel asks on each redraw); held to the ORM's
    `select_related("account")` rows by payments/tests/test_readers_compiled.py."""
    from payments.models import CardReader, ConnectedAccount

    readers = []
    with scope(studio=studio):
        for row in compiled_rows("readers-of-location", _readers_query, location_id=location.pk):
            reader, end = compiled_instance(CardReader, row)
            reader.account = compiled_instance(ConnectedAccount, row, end)[0]
            readers.append(reader)
    return readers


def readers_for_studio(*, studio: Studio) -> list:
    """Every paired card reader of the studio, by location then name, with location and account
    (one query, whatever the number of readers)."""
    from payments.models import CardReader

    return list(
        CardReader.objects.filter(studio=studio, deleted_at__isnull=True)
        .select_related("account", "location")
        .order_by("location__name", "label", "id")
    )


def reader_get(*, studio: Studio, pk: int):
    """One paired reader of the studio, or None (another studio's id, or a deleted reader)."""
    from payments.models import CardReader

    return (
        CardReader.objects.filter(studio=studio, pk=pk, deleted_at__isnull=True)
        .select_related("account", "location", "terminal_location")
        .first()
    )
