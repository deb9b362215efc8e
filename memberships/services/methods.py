"""Is a renewing membership ready to be charged? (SPM-4, SPM-7, issue 12 "home-location change")

A renewal is charged off-session on the default saved method of the client **on the account
PAY-3 chooses at renewal time** (rule 3, the client's home location; rule 2, the course's
location, for a payment plan held at a home location). A method saved on another account is
never used. So a client whose home location moved, or who deleted their default, has a
membership that will fail at its next renewal unless they add a method there: the membership
says so ("Needs a payment method on Laval's account") until it is fixed.

The status is computed, never stored: it is right the moment the client adds a card, without
anything to keep in step. Reads are batched per (client, account), so a client with many
memberships costs the same few queries as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.emails.methods import send_card_expiring, send_method_needed
from memberships.models import Membership, MembershipReminder, MembershipStatus, PlanKind
from payments.services.routing import Channel, ItemKind, Purchase, Route, Rule, route_payment
from payments.services.saved_methods import default_method_for, saved_methods_for_client
from studio.formats import date_format
from studio.notifications.services import absolute_url

# Memberships that will be charged again, so need a usable method (a pause only delays it).
_RENEWING_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED)


class MethodState:
    OK = "ok"  # a usable default method exists on the account the next renewal goes to
    MISSING = "missing"  # none there (none saved, none default, expired, or the feature is off)
    NO_ACCOUNT = "no_account"  # no account can charge: the renewal would be held or fail
    NOT_RENEWING = "not_renewing"  # nothing more will be charged: no method is needed


@dataclass(frozen=True)
class MethodStatus:
    """Whether `membership`'s next renewal has a method to charge, and where.

    `account_name` names the place the renewal goes to as people know it: the home location
    ("Laval") when a location's account takes it, else the account's own name. `detail` is
    payments' own sentence (SPM-7), in the active language. `method_label` is "Visa •••• 4242"
    when a method is ready.
    """

    state: str
    account_name: str = ""
    account_id: int | None = None
    detail: str = ""
    method_label: str = ""

    @property
    def ok(self) -> bool:
        return self.state in (MethodState.OK, MethodState.NOT_RENEWING)

    @property
    def needs_method(self) -> bool:
        return self.state in (MethodState.MISSING, MethodState.NO_ACCOUNT)

    @property
    def message(self) -> str:
        """The line the membership shows, in the active language ("" when nothing is wrong)."""
        if self.state == MethodState.MISSING:
            return _("Needs a payment method on %(name)s's account") % {"name": self.account_name}
        if self.state == MethodState.NO_ACCOUNT:
            return _("No payment account can take this membership's renewals yet")
        return ""

    def __str__(self) -> str:
        return self.message


# "The client's current home location" (None is a real value: a client with no home location).
CURRENT_HOME = object()


def renewal_purchase(*, membership: Membership, home_location=CURRENT_HOME) -> Purchase:
    """The purchase a renewal of `membership` is routed as (PAY-3), optionally with another home
    location (what a home change would do). H4's renewal charge uses the same item kinds."""
    plan = membership.plan
    client_home = membership.client.home_location if home_location is CURRENT_HOME else home_location
    if plan.kind == PlanKind.PAYMENT_PLAN:
        return Purchase(
            channel=Channel.ONLINE,
            item_kind=ItemKind.PAYMENT_PLAN,
            item_location=plan.location,
            client_home_location=client_home,
        )
    return Purchase(channel=Channel.ONLINE, item_kind=ItemKind.RENEWAL, client_home_location=client_home)


def place_name(route: Route) -> str:
    """Where a route lands, named as staff and clients know it: the location, else the account."""
    params = route.params or {}
    if route.rule in (Rule.CLIENT_HOME, Rule.ITEM_LOCATION, Rule.POS_LOCATION) and params.get(
        "location_name"
    ):
        return params["location_name"]
    return params.get("account_name", "")


def is_renewing(membership: Membership) -> bool:
    """True when `membership` will be charged again (a renewing plan with a next renewal date)."""
    return (
        membership.plan.renews
        and membership.next_renewal_on is not None
        and membership.status in _RENEWING_STATUSES
        and not membership.cancel_at_period_end
    )


class _Cache:
    """Routes per (studio, purchase locations) and default methods per (client, account), read once."""

    def __init__(self, today: dt.date | None) -> None:
        self.today = today
        self.routes: dict[tuple, Route] = {}
        self.defaults: dict[tuple, object] = {}

    def route(self, membership: Membership, home_location) -> Route:
        purchase = renewal_purchase(membership=membership, home_location=home_location)
        key = (
            membership.studio_id,
            purchase.item_kind,
            getattr(purchase.item_location, "pk", None),
            getattr(purchase.client_home_location, "pk", None),
        )
        if key not in self.routes:
            self.routes[key] = route_payment(studio=membership.studio, purchase=purchase)
        return self.routes[key]

    def default(self, client, account):
        key = (client.pk, account.pk if account is not None else None)
        if key not in self.defaults:
            self.defaults[key] = default_method_for(client=client, account=account, today=self.today)
        return self.defaults[key]


def _status(membership: Membership, cache: _Cache, home_location=CURRENT_HOME) -> MethodStatus:
    if not is_renewing(membership):
        return MethodStatus(MethodState.NOT_RENEWING)
    route = cache.route(membership, home_location)
    if route.account is None:
        return MethodStatus(MethodState.NO_ACCOUNT)
    default = cache.default(membership.client, route.account)
    name = place_name(route)
    if default.method is None:
        return MethodStatus(
            MethodState.MISSING, account_name=name, account_id=route.account.pk, detail=str(default.reason)
        )
    method = default.method
    return MethodStatus(
        MethodState.OK,
        account_name=name,
        account_id=route.account.pk,
        detail=str(default.reason),
        method_label=f"{method.label} •••• {method.last4}",
    )


def membership_method_status(*, membership: Membership, today: dt.date | None = None) -> MethodStatus:
    """Whether `membership`'s next renewal can be charged, on which account, and the line to show.

    `status.needs_method` → show `status.message` ("Needs a payment method on Laval's account").
    """
    return _status(membership, _Cache(today or timezone.localdate()))


def memberships_method_status(
    *, memberships: Iterable[Membership], today: dt.date | None = None
) -> dict[int, MethodStatus]:
    """`membership_method_status` for many memberships at once, by membership id.

    Give memberships with `plan`, `client` and `client__home_location` selected; the reads are
    one route per distinct location and one default-method lookup per (client, account), so a
    list of 200 memberships costs what a list of one does.
    """
    cache = _Cache(today or timezone.localdate())
    return {m.pk: _status(m, cache) for m in memberships}


def membership_method_status_after_home_change(
    *, membership: Membership, new_location, today: dt.date | None = None
) -> MethodStatus:
    """What `membership_method_status` would say if the client's home location were `new_location`."""
    return _status(membership, _Cache(today or timezone.localdate()), home_location=new_location)


# --- a client's home location changes (SPM-4 + PAY-3 rule 3) ------------------------------------


def _renewing_memberships(client) -> list[Membership]:
    rows = (
        Membership.objects.filter(client=client, status__in=_RENEWING_STATUSES, next_renewal_on__isnull=False)
        .select_related("plan", "plan__location", "client", "client__home_location", "studio")
        .order_by("next_renewal_on", "id")
    )
    return [m for m in rows if is_renewing(m)]


@dataclass(frozen=True)
class HomeChangeImpact:
    """A renewing membership whose renewals move to another account with the new home location."""

    membership: Membership
    before: MethodStatus
    after: MethodStatus


def home_change_impact(*, client, new_location, today: dt.date | None = None) -> list[HomeChangeImpact]:
    """The client's renewing memberships whose renewals the change moves to another account, with
    whether a usable default method waits for them there."""
    if client.pk is None:
        return []
    cache = _Cache(today or timezone.localdate())
    out = []
    for membership in _renewing_memberships(client):
        before = _status(membership, cache)
        after = _status(membership, cache, home_location=new_location)
        if before.account_id != after.account_id:
            out.append(HomeChangeImpact(membership, before, after))
    return out


def home_change_warnings(client, new_location) -> list[str]:
    """The lines staff confirm before saving a new home location (studio.registries.home_change)."""
    lines = []
    for impact in home_change_impact(client=client, new_location=new_location):
        names = {
            "plan": impact.membership.plan.name,
            "date": date_format(impact.membership.next_renewal_on, "DATE_FORMAT"),
            "name": impact.after.account_name,
        }
        if impact.after.state == MethodState.OK:
            lines.append(
                _(
                    "“%(plan)s” renews on %(date)s on %(name)s's account, with the client's default "
                    "method there (%(method)s)."
                )
                % {**names, "method": impact.after.method_label}
            )
        elif impact.after.state == MethodState.NO_ACCOUNT:
            lines.append(
                _("“%(plan)s” renews on %(date)s, but no payment account can take its renewals.") % names
            )
        else:
            lines.append(
                _(
                    "“%(plan)s” renews on %(date)s on %(name)s's account, where the client has no usable "
                    "payment method: the renewal will fail unless one is added. The client will be "
                    "emailed a link to add one."
                )
                % names
            )
    return lines


def client_methods_url(*, studio) -> str:
    """Where the client adds a saved method (on their home location's account), as a mail link."""
    return absolute_url(
        reverse("payments-client-method-add", kwargs={"studio_slug": studio.slug, "kind": "card"})
    )


def _remember(*, membership: Membership, kind: str, key: str, renewal_on: dt.date) -> bool:
    """Record that a reminder is sent; False when it already was (the unique key decides)."""

    try:
        with transaction.atomic():
            MembershipReminder.objects.create(
                studio_id=membership.studio_id,
                membership=membership,
                kind=kind,
                key=key,
                renewal_on=renewal_on,
            )
    except IntegrityError:
        return False
    return True


def method_needed_notify(*, studio, client, today: dt.date | None = None) -> int:
    """After a home-location change: email the client, once per membership, renewal and account,
    a link to add a payment method where their renewals now go. Returns the emails sent."""

    cache = _Cache(today or timezone.localdate())
    sent = 0
    for membership in _renewing_memberships(client):
        status = _status(membership, cache)
        if status.state != MethodState.MISSING:
            continue
        key = f"method_needed:{membership.pk}:{status.account_id}:{membership.next_renewal_on.isoformat()}"
        with transaction.atomic():
            if not _remember(
                membership=membership,
                kind=MembershipReminder.Kind.METHOD_NEEDED,
                key=key,
                renewal_on=membership.next_renewal_on,
            ):
                continue
            sent += send_method_needed(
                membership=membership, status=status, url=client_methods_url(studio=studio)
            )
    return sent


# --- a card that expires before the next renewal -------------------------------------------------

# How far ahead of a renewal the client hears that their card will have expired by then.
EXPIRY_NOTICE_DAYS = 7


def _expires_before(method, day: dt.date) -> bool:
    """A card is valid through the last day of its expiry month."""
    if method.kind != "card" or not method.exp_year or not method.exp_month:
        return False
    return (method.exp_year, method.exp_month) < (day.year, day.month)


def card_expiry_reminders_send(*, studio, today: dt.date | None = None) -> int:
    """Email each client whose default card (on the account the renewal goes to) will have expired
    by a renewal due within `EXPIRY_NOTICE_DAYS`: once per card and renewal date, whatever reruns.
    Returns the emails sent."""

    today = today or timezone.localdate()
    rows = (
        Membership.objects.filter(
            studio=studio,
            status__in=_RENEWING_STATUSES,
            cancel_at_period_end=False,
            next_renewal_on__gte=today,
            next_renewal_on__lte=today + dt.timedelta(days=EXPIRY_NOTICE_DAYS),
        )
        .select_related("plan", "plan__location", "client", "client__home_location", "studio")
        .order_by("next_renewal_on", "id")
    )
    cache = _Cache(today)
    methods_by_client: dict[int, list] = {}
    # (method, renewal date) → the memberships it will fail to renew: one email for them all.
    due: dict[tuple[int, dt.date], tuple[object, list[Membership]]] = {}
    for membership in rows:
        if not is_renewing(membership):
            continue
        route = cache.route(membership, CURRENT_HOME)
        if route.account is None:
            continue
        client = membership.client
        if client.pk not in methods_by_client:
            methods_by_client[client.pk] = saved_methods_for_client(client=client, today=today)
        default = next(
            (m for m in methods_by_client[client.pk] if m.account_id == route.account.pk and m.is_default),
            None,
        )
        if default is None or not _expires_before(default, membership.next_renewal_on):
            continue
        entry = due.setdefault((default.pk, membership.next_renewal_on), (default, []))
        entry[1].append(membership)
    sent = 0
    url = client_methods_url(studio=studio)
    for (method_pk, renewal_on), (method, memberships) in due.items():
        key = f"card_expiring:{method_pk}:{renewal_on.isoformat()}"
        with transaction.atomic():
            if not _remember(
                membership=memberships[0],
                kind=MembershipReminder.Kind.CARD_EXPIRING,
                key=key,
                renewal_on=renewal_on,
            ):
                continue
            sent += send_card_expiring(memberships=memberships, method=method, renewal_on=renewal_on, url=url)
    return sent
