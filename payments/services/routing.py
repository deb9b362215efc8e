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
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from payments.models import ConnectedAccount, ConnectedAccountLocation
from payments.models.settings import Channel, ItemKind
from studio.models import Location, Studio


class Rule:
    POS_LOCATION = "pos_location"
    ITEM_LOCATION = "item_location"
    CLIENT_HOME = "client_home_location"
    DEFAULT = "default"
    ESCROW = "escrow"


LOCATION_BOUND_KINDS = frozenset({ItemKind.CLASS_BOOKING, ItemKind.PAYMENT_PLAN, ItemKind.APPOINTMENT,
                                  ItemKind.PRODUCT})


@dataclass(frozen=True)
class Route:
    account: ConnectedAccount | None
    rule: str
    reason: str
    passed_over: tuple[str, ...] = ()  # sentences about accounts skipped because they cannot charge

    @property
    def is_escrow(self) -> bool:
        return self.account is None


@dataclass(frozen=True)
class Purchase:
    channel: str
    item_kind: str
    item_location: Location | None = None
    client_home_location: Location | None = None
    pos_location: Location | None = None


def _accounts_by_location(studio: Studio) -> tuple[dict[int, ConnectedAccount], ConnectedAccount | None]:
    links = ConnectedAccountLocation.objects.filter(studio=studio).select_related("account")
    by_location = {link.location_id: link.account for link in links}
    default = ConnectedAccount.objects.filter(studio=studio, is_default=True).first()
    return by_location, default


def route_payment(*, studio: Studio, purchase: Purchase) -> Route:
    """Choose the account for `purchase`, following PAY-3 in order, with a sentence of reason."""
    by_location, default = _accounts_by_location(studio)
    return route_with(purchase=purchase, by_location=by_location, default=default)


def route_with(*, purchase: Purchase, by_location: dict[int, ConnectedAccount],
               default: ConnectedAccount | None) -> Route:
    """The pure rule engine (no queries): table and property tests drive this directly."""
    candidates: list[tuple[str, Location | None, str]] = []
    if purchase.channel == Channel.POS:
        if purchase.pos_location is not None:
            candidates.append((Rule.POS_LOCATION, purchase.pos_location, _("location chosen at the start of the sale")))
    else:
        item_location = purchase.item_location
        if (purchase.item_kind in LOCATION_BOUND_KINDS and item_location is not None
                and item_location.is_home_location):
            candidates.append((Rule.ITEM_LOCATION, item_location, _("where the purchase takes place")))
        else:
            candidates.append((Rule.CLIENT_HOME, purchase.client_home_location, _("client's home location")))

    passed_over: list[str] = []
    for rule, location, why in candidates:
        if location is None:
            continue
        account = by_location.get(location.pk)
        if account is None:
            continue
        if account.can_charge:
            reason = _("%(location)s — %(why)s (account “%(account)s”)") % {
                "location": location.name, "why": why, "account": account.display_name}
            return Route(account=account, rule=rule, reason=reason, passed_over=tuple(passed_over))
        passed_over.append(_("%(location)s's account “%(account)s” cannot take payments yet") % {
            "location": location.name, "account": account.display_name})

    if default is not None and default.can_charge:
        reason = _("Studio's default account “%(account)s”") % {"account": default.display_name}
        if passed_over:
            reason = f"{reason} — {'; '.join(passed_over)}"
        return Route(account=default, rule=Rule.DEFAULT, reason=reason, passed_over=tuple(passed_over))
    reason = _("No account can take payments yet: held in escrow by the platform until one can")
    return Route(account=None, rule=Rule.ESCROW, reason=reason, passed_over=tuple(passed_over))
