"""Payment routing (PAY-3): which connected account takes a payment, by which rule, and why.

Rules, in order:
1. POS sale → the account of the location chosen at the start of the sale.
2. Online class booking, payment-plan instalment, appointment or retail product that belongs to
   a home location → that location's account.
3. Any other online purchase (memberships above all, and their renewals) → the account of the
   client's home location.
4. Otherwise → the studio's default account.
An account that cannot take payments yet is passed over (the reason says so); when no account
can, the payment is held in escrow on the platform (PAY-6).

A route is stored as its rule and parameters (`Route.params`), never as a sentence: the reason
is worded at display time, in the reader's language (`route_reason`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django_scopes import scope

from payments.models import ConnectedAccount, ConnectedAccountLocation
from payments.models.settings import Channel, ItemKind
from studio.compiled_sql import compiled_instance, compiled_models, compiled_rows, model_columns
from studio.models import Location, Studio


class Rule:
    POS_LOCATION = "pos_location"
    ITEM_LOCATION = "item_location"
    CLIENT_HOME = "client_home_location"
    DEFAULT = "default"
    ESCROW = "escrow"


LOCATION_BOUND_KINDS = frozenset(
    {ItemKind.CLASS_BOOKING, ItemKind.PAYMENT_PLAN, ItemKind.APPOINTMENT, ItemKind.PRODUCT}
)


def _why(rule: str) -> str:
    return {
        Rule.POS_LOCATION: _("location chosen at the start of the sale"),
        Rule.ITEM_LOCATION: _("where the purchase takes place"),
        Rule.CLIENT_HOME: _("client's home location"),
    }.get(rule, "")


def passed_over_sentence(skipped: dict) -> str:
    """One account passed over because it cannot charge, in the reader's language."""
    return _("%(location)s's account “%(account)s” cannot take payments yet") % {
        "location": skipped.get("location_name", ""),
        "account": skipped.get("account_name", ""),
    }


def route_reason(*, rule: str, params: dict) -> str:
    """The sentence explaining a stored route (rule + parameters), worded in the active language."""
    passed = [passed_over_sentence(p) for p in params.get("passed_over") or ()]
    if rule in (Rule.POS_LOCATION, Rule.ITEM_LOCATION, Rule.CLIENT_HOME):
        return _("%(location)s — %(why)s (account “%(account)s”)") % {
            "location": params.get("location_name", ""),
            "why": _why(rule),
            "account": params.get("account_name", ""),
        }
    if rule == Rule.DEFAULT:
        reason = _("Studio's default account “%(account)s”") % {"account": params.get("account_name", "")}
        return " — ".join([reason, "; ".join(passed)]) if passed else reason
    if rule == Rule.ESCROW:
        return _("No account can take payments yet: held in escrow by the platform until one can")
    return ""


@dataclass(frozen=True)
class Route:
    account: ConnectedAccount | None
    rule: str
    # Codes and names only (location/account ids and names, accounts passed over): JSON-storable.
    params: dict = field(default_factory=dict)

    @property
    def is_escrow(self) -> bool:
        return self.account is None

    @property
    def reason(self) -> str:
        return route_reason(rule=self.rule, params=self.params)

    @property
    def passed_over(self) -> tuple[str, ...]:
        """Sentences about accounts skipped because they cannot charge (reader's language)."""
        return tuple(passed_over_sentence(p) for p in self.params.get("passed_over") or ())


@dataclass(frozen=True)
class Purchase:
    channel: str
    item_kind: str
    item_location: Location | None = None
    client_home_location: Location | None = None
    pos_location: Location | None = None


def _links(*, studio_id: int):
    return ConnectedAccountLocation.objects.values_list(
        "location_id", *(f"account__{column}" for column in model_columns(ConnectedAccount))
    )


def _default_account(*, studio_id: int):
    return ConnectedAccount.objects.filter(is_default=True)


def _accounts_by_location(studio: Studio) -> tuple[dict[int, ConnectedAccount], ConnectedAccount | None]:
    # Through SQL compiled once: every payment, cart and pay page routes.
    with scope(studio=studio):
        by_location = {
            row[0]: compiled_instance(ConnectedAccount, row, 1)[0]
            for row in compiled_rows("routing-links", _links)
        }
        # One default per studio (a unique constraint): when it serves a location it was just read.
        default = next((account for account in by_location.values() if account.is_default), None)
        if default is None:
            found = compiled_models("routing-default", _default_account, model=ConnectedAccount)
            default = found[0] if found else None
    return by_location, default


def route_payment(*, studio: Studio, purchase: Purchase) -> Route:
    """Choose the account for `purchase`, following PAY-3 in order, with the rule's parameters."""
    by_location, default = _accounts_by_location(studio)
    return route_with(purchase=purchase, by_location=by_location, default=default)


def route_with(
    *, purchase: Purchase, by_location: dict[int, ConnectedAccount], default: ConnectedAccount | None
) -> Route:
    """The pure rule engine (no queries): table and property tests drive this directly."""
    candidates: list[tuple[str, Location | None]] = []
    if purchase.channel == Channel.POS:
        if purchase.pos_location is not None:
            candidates.append((Rule.POS_LOCATION, purchase.pos_location))
    else:
        item_location = purchase.item_location
        if (
            purchase.item_kind in LOCATION_BOUND_KINDS
            and item_location is not None
            and item_location.is_home_location
        ):
            candidates.append((Rule.ITEM_LOCATION, item_location))
        else:
            candidates.append((Rule.CLIENT_HOME, purchase.client_home_location))

    passed_over: list[dict] = []
    for rule, location in candidates:
        if location is None:
            continue
        account = by_location.get(location.pk)
        if account is None:
            continue
        if account.can_charge:
            return Route(
                account=account,
                rule=rule,
                params={
                    "location": location.pk,
                    "location_name": location.name,
                    "account": account.pk,
                    "account_name": account.display_name,
                },
            )
        passed_over.append(
            {
                "location": location.pk,
                "location_name": location.name,
                "account": account.pk,
                "account_name": account.display_name,
            }
        )

    if default is not None and default.can_charge:
        params = {"account": default.pk, "account_name": default.display_name}
        if passed_over:
            params["passed_over"] = passed_over
        return Route(account=default, rule=Rule.DEFAULT, params=params)
    return Route(account=None, rule=Rule.ESCROW, params={"passed_over": passed_over} if passed_over else {})
