"""Selling a plan (MEM-2): a client's new membership, paid on their saved card or in cash.

Two tenders, two shapes, one outcome:
- **saved method**: the PENDING membership is committed first (its id names the payment's key
  `membership_sale:<membership_id>`), then the client's default method on the account PAY-3
  chooses (rule 3, the client's home location; rule 2 for a payment plan held at a home
  location) is charged outside any transaction through payments' one automatic-charge service,
  and the answer is recorded: succeeded → the first period opens; declined → the membership is
  cancelled, never active, and the staff reads the bank's reason; answer lost → the membership
  stays "Awaiting payment" until the webhook or the reconcile task settles the payment and the
  source kind's outcome hook (`membership_sale_outcome`) opens the period or cancels it.
- **cash**: the membership, the settled payment and the first period are one transaction.

A refused sale (no default method on the routed account, an archived plan…) raises
`ValidationError` and leaves nothing behind. A double click on "Sell" carries the same form
token (`sale_token`): the second request finds the first membership and answers with its state,
and charges nothing again (the payment key would stop a second charge in any case).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memberships.models import Membership, MembershipPeriod, MembershipStatus, PassStart, Plan, PlanKind
from memberships.periods import studio_today
from memberships.services.periods import first_period_bounds, period_open, plan_credits_per_period
from payments.models import Payment
from payments.services.automatic import payment_charge_default
from payments.services.tenders import payment_record_tender
from studio.models import Client, Location, Studio
from studio.services import Actor, audit_record
from waivers.selectors.blocking import purchase_refusal

logger = logging.getLogger(__name__)

SOURCE_KIND = "membership_sale"

# payments' codes (payments.models.settings ItemKind and Channel, outside its public surface).
ITEM_MEMBERSHIP = "membership"
ITEM_PAYMENT_PLAN = "payment_plan"
CHANNEL_ONLINE = "online"
CHANNEL_POS = "pos"


class Tender:
    SAVED_METHOD = "saved_method"
    CASH = "cash"


TENDERS = (Tender.SAVED_METHOD, Tender.CASH)


@dataclass(frozen=True)
class SaleResult:
    """How a sale went.

    `status`: "active" (paid, the membership is usable), "pending" (Stripe's answer is not known
    yet: "Awaiting payment", settled automatically) or "declined" (the membership was cancelled,
    never active; `reason` is the bank's answer in the active language). `duplicate` is True when
    this request repeated an earlier one (same form token) and sold nothing new.
    """

    status: str
    membership: Membership
    payment: Payment | None
    reason: str = ""
    duplicate: bool = False

    @property
    def sold(self) -> bool:
        return self.status in ("active", "pending")


def sale_key(membership_id: int) -> str:
    """The payment's idempotency key for a membership's sale (CONTRACT.md)."""
    return f"{SOURCE_KIND}:{membership_id}"


def sale_subtotal(plan: Plan) -> int:
    """What the first charge is for, before taxes: the price, and a subscription's sign-up fee."""
    fee = plan.signup_fee_amount if plan.kind == PlanKind.SUBSCRIPTION else 0
    return plan.price_amount + fee


def sale_purchase_kind(plan: Plan) -> tuple[str, Location | None]:
    """(item kind, item location) the payment is priced and routed by (PAY-3, PAY-9).

    A payment plan is a course held at its location: rule 2 sends it to that location's
    account. Anything else is taxed as the plan's tax kind and, with no item location, goes to
    the client's home location (rule 3)."""
    if plan.kind == PlanKind.PAYMENT_PLAN:
        return ITEM_PAYMENT_PLAN, plan.location
    return plan.tax_kind or ITEM_MEMBERSHIP, None


def _starts_at_first_use(plan: Plan) -> bool:
    fixed = plan.pass_starts_on is not None and plan.pass_ends_on is not None
    return plan.kind == PlanKind.PASS and not fixed and plan.pass_start == PassStart.FIRST_USE


def sale_validate(
    *, studio: Studio, client: Client, plan: Plan, tender: str, location: Location | None
) -> None:
    """Refuse what cannot be sold, with a sentence for the staff member (ValidationError)."""
    if tender not in TENDERS:
        raise ValidationError(_("Choose how the client pays."), code="tender")
    if client.studio_id != studio.pk or plan.studio_id != studio.pk:
        raise ValidationError(_("This client or plan belongs to another studio."), code="studio")
    if location is not None and location.studio_id != studio.pk:
        raise ValidationError(_("This location belongs to another studio."), code="studio")
    if client.archived_at is not None:
        raise ValidationError(_("This client is archived: restore them before selling."), code="client")
    if plan.is_archived:
        raise ValidationError(_("This plan is archived and no longer sold."), code="archived")
    if plan.currency != studio.currency:
        raise ValidationError(
            _("This plan is priced in %(plan)s but the studio sells in %(studio)s.")
            % {"plan": plan.currency, "studio": studio.currency},
            code="currency",
        )
    sold_there = (
        location is None or plan.sold_everywhere or plan.location_links.filter(location=location).exists()
    )
    if not sold_there:
        raise ValidationError(
            _("“%(plan)s” is not sold at %(location)s.") % {"plan": plan.name, "location": location.name},
            code="location",
        )
    if sale_subtotal(plan) <= 0:
        raise ValidationError(_("This plan is free: there is nothing to charge."), code="free")
    # WAI-5: a membership waiver this plan (or every purchase) requires must be signed first.
    waiver_refusal = purchase_refusal(studio=studio, client=client, plan_ids=[plan.pk])
    if waiver_refusal:
        raise ValidationError(waiver_refusal, code="waiver")


def _settle_paid(*, membership_id: int, payment_id: int, on: dt.date) -> Membership | None:
    """The sale's payment succeeded: open the first period (or, for a pass counted from its
    first class, make it usable without one). Idempotent: only a membership still awaiting
    its sale's payment changes. Runs in the caller's transaction, the membership row locked."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("plan", "client")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        return None
    # Cancelled with no period ever paid: the sale's payment was first refused, then succeeded
    # after all (a late webhook); the client paid, so the membership is theirs.
    never_started = membership.status == MembershipStatus.CANCELLED and membership.periods_paid == 0
    if membership.status != MembershipStatus.PENDING and not (
        never_started and membership.started_on is None
    ):
        return membership
    plan = membership.plan
    if never_started:
        membership.cancelled_at = None
    if _starts_at_first_use(plan):
        # No period until the first booking opens it (entitlements); usable meanwhile.
        membership.status = MembershipStatus.ACTIVE
        membership.credits_remaining = plan_credits_per_period(plan)
        membership.save()
    else:
        starts_on, ends_on = first_period_bounds(plan=plan, on=on)
        period_open(
            membership=membership,
            starts_on=starts_on,
            ends_on=ends_on,
            kind=MembershipPeriod.Kind.PURCHASE,
            payment_id=payment_id,
        )
    _send_sale_email(membership, payment_id)
    return membership


def _send_sale_email(membership: Membership, payment_id: int) -> None:
    """The client hears of their new membership once, when it becomes usable. A mail that cannot
    be written (a broken template) is logged and must not undo a sale the client paid for."""
    from memberships.emails.sales import send_sale_email

    amount = Payment.objects.filter(pk=payment_id).values_list("amount", flat=True).first() or 0
    try:
        with transaction.atomic():
            send_sale_email(membership=membership, amount=amount, payment_id=payment_id)
    except Exception:  # the sale stands; the outbox shows no message for it
        logger.exception("membership %s: the sale email could not be written", membership.pk)


def _settle_refused(*, membership_id: int, now: dt.datetime) -> Membership | None:
    """The sale's payment failed or was canceled: a membership still awaiting it is cancelled
    (it was never active). Idempotent."""
    membership = Membership.objects.select_for_update().filter(pk=membership_id).first()
    if membership is None or membership.status != MembershipStatus.PENDING:
        return membership
    membership.status = MembershipStatus.CANCELLED
    membership.cancelled_at = now
    membership.next_renewal_on = None
    membership.save(update_fields=["status", "cancelled_at", "next_renewal_on", "updated_at"])
    return membership


def _audit_sold(studio: Studio, actor: Actor, membership: Membership, payment: Payment | None, tender: str):
    audit_record(
        studio=studio,
        actor=actor,
        action="membership.sold",
        obj=membership,
        changes={
            "plan": membership.plan.name,
            "amount": payment.amount if payment else 0,
            "tender": tender,
            "payment": payment.pk if payment else None,
        },
    )


def _new_membership(
    *, studio: Studio, actor: Actor, client: Client, plan: Plan, sale_token: str
) -> Membership:
    return Membership.objects.create(
        studio=studio,
        client=client,
        plan=plan,
        status=MembershipStatus.PENDING,
        price_amount=plan.price_amount,
        currency=plan.currency,
        sold_by=actor.user,
        sale_token=sale_token,
    )


def _existing_sale(studio: Studio, sale_token: str | None) -> Membership | None:
    if not sale_token:
        return None
    return Membership.objects.filter(studio=studio, sale_token=sale_token).select_related("plan").first()


def _result_of(membership: Membership, *, duplicate: bool) -> SaleResult:
    """The state of an existing sale, for a repeated request: nothing is charged again."""
    payment = Payment.objects.filter(
        studio_id=membership.studio_id, idempotency_key=sale_key(membership.pk)
    ).first()
    if membership.status == MembershipStatus.PENDING:
        status = "pending"
    elif membership.status == MembershipStatus.CANCELLED and membership.periods_paid == 0:
        status = "declined"
    else:
        status = "active"
    reason = payment.failure_message if payment is not None and status == "declined" else ""
    return SaleResult(status, membership, payment, reason=reason, duplicate=duplicate)


def _repeated(earlier: Membership, client: Client) -> SaleResult:
    """A token already used: the same client's request again, or a form sent for someone else."""
    if earlier.client_id != client.pk:
        raise ValidationError(_("This form has expired: open it again."), code="token")
    return _result_of(earlier, duplicate=True)


def membership_sell(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    plan: Plan,
    tender: str,
    location: Location | None = None,
    sale_token: str | None = None,
    now: dt.datetime | None = None,
) -> SaleResult:
    """Sell `plan` to `client`, paid by `tender` ("saved_method" or "cash").

    `location` is where the sale is made (the POS's selling location): the plan must be sold
    there, and a cash sale is routed to it (PAY-3 rule 1); without it the sale is the client's
    online purchase (rule 3). `sale_token` is the sale form's one-time token: the same token
    again returns the first sale. Call outside any transaction (the card is charged here).
    Raises ValidationError when the sale is refused, having written nothing.
    """
    now = now or timezone.now()
    sale_token = (sale_token or "")[:64]
    # A repeated request answers with the first sale, even if the plan was archived in between.
    earlier = _existing_sale(studio, sale_token)
    if earlier is not None:
        return _repeated(earlier, client)
    sale_validate(studio=studio, client=client, plan=plan, tender=tender, location=location)
    if tender == Tender.CASH:
        return _sell_cash(
            studio=studio,
            actor=actor,
            client=client,
            plan=plan,
            location=location,
            sale_token=sale_token,
            now=now,
        )
    return _sell_saved_method(
        studio=studio, actor=actor, client=client, plan=plan, sale_token=sale_token, now=now
    )


def _sell_cash(*, studio, actor, client, plan, location, sale_token, now) -> SaleResult:
    item_kind, item_location = sale_purchase_kind(plan)
    try:
        with transaction.atomic():
            membership = _new_membership(
                studio=studio, actor=actor, client=client, plan=plan, sale_token=sale_token
            )
            payment = payment_record_tender(
                studio=studio,
                actor=actor,
                tender=Payment.Method.CASH,
                client=client,
                subtotal=sale_subtotal(plan),
                item_kind=item_kind,
                channel=CHANNEL_POS if location is not None else CHANNEL_ONLINE,
                description=plan.name,
                item_location=item_location,
                pos_location=location,
                idempotency_key=sale_key(membership.pk),
                source_type=SOURCE_KIND,
                source_id=str(membership.pk),
            )
            membership = _settle_paid(
                membership_id=membership.pk, payment_id=payment.pk, on=studio_today(studio, now)
            )
            _audit_sold(studio, actor, membership, payment, Tender.CASH)
    except IntegrityError:
        earlier = _existing_sale(studio, sale_token)  # the same token, committed by a concurrent click
        if earlier is None:
            raise
        return _repeated(earlier, client)
    return SaleResult("active", membership, payment)


def _sell_saved_method(*, studio, actor, client, plan, sale_token, now) -> SaleResult:
    item_kind, item_location = sale_purchase_kind(plan)
    # Ask first, write nothing: without a usable default method there is no sale to record.
    _require_default_method(studio=studio, client=client, item_kind=item_kind, item_location=item_location)
    try:
        with transaction.atomic():
            membership = _new_membership(
                studio=studio, actor=actor, client=client, plan=plan, sale_token=sale_token
            )
    except IntegrityError:
        earlier = _existing_sale(studio, sale_token)
        if earlier is None:
            raise
        return _repeated(earlier, client)
    # The PENDING membership is committed: its id keys the charge, made outside any transaction.
    charge = payment_charge_default(
        studio=studio,
        client=client,
        subtotal=sale_subtotal(plan),
        item_kind=item_kind,
        item_location=item_location,
        description=plan.name,
        idempotency_key=sale_key(membership.pk),
        source_type=SOURCE_KIND,
        source_id=str(membership.pk),
        actor=actor,
        today=studio_today(studio, now),
    )
    if charge.status == "no_method":
        # The default went away between the question and the charge: nothing was charged and
        # no payment names this membership, so the row that was only a reservation goes.
        with transaction.atomic():
            Membership.objects.filter(pk=membership.pk, status=MembershipStatus.PENDING).delete()
        raise ValidationError(charge.reason, code="no_method")
    with transaction.atomic():
        if charge.status == "succeeded":
            membership = _settle_paid(
                membership_id=membership.pk, payment_id=charge.payment.pk, on=studio_today(studio, now)
            )
            _audit_sold(studio, actor, membership, charge.payment, Tender.SAVED_METHOD)
            return SaleResult("active", membership, charge.payment)
        if charge.status == "failed":
            membership = _settle_refused(membership_id=membership.pk, now=now)
            audit_record(
                studio=studio,
                actor=actor,
                action="membership.sale_declined",
                obj=membership,
                changes={"plan": plan.name, "payment": charge.payment.pk, "code": charge.code},
            )
            return SaleResult("declined", membership, charge.payment, reason=charge.reason)
        _audit_sold(studio, actor, membership, charge.payment, Tender.SAVED_METHOD)
    membership.refresh_from_db()
    return SaleResult("pending", membership, charge.payment, reason=charge.reason)


def _require_default_method(*, studio: Studio, client: Client, item_kind: str, item_location) -> None:
    from payments.services.saved_methods import default_method_for

    route = sale_route(studio=studio, client=client, item_kind=item_kind, item_location=item_location)
    default = default_method_for(client=client, account=route.account)
    if default.method is None:
        raise ValidationError(str(default.reason), code="no_method")


def sale_route(*, studio: Studio, client: Client, item_kind: str, item_location: Location | None):
    """The route a saved-card sale takes (PAY-3), the same question the charge asks."""
    from payments.services.routing import Purchase, route_payment

    return route_payment(
        studio=studio,
        purchase=Purchase(
            channel=CHANNEL_ONLINE,
            item_kind=item_kind,
            item_location=item_location,
            client_home_location=client.home_location,
        ),
    )


# --- the source kind's outcome hook (registered in memberships.registrations) -----------------


def membership_sale_outcome(outcome) -> None:
    """How a sale's payment ended, told by payments in the worker (inside a transaction, the
    studio's scope active). Succeeded → the first period opens if the membership still awaits
    it; failed or canceled → a membership still awaiting it is cancelled; a refund changes
    nothing here (the ledger holds it; cancelling is a staff decision, MEM-4). Never calls Stripe."""
    payment = outcome.payment
    try:
        membership_id = int(payment.source_id)
    except (TypeError, ValueError):
        return
    if outcome.state == "succeeded":
        studio = Studio.objects.get(pk=payment.studio_id)
        # The period starts the day the payment succeeded (the outcome's own date), not the
        # day the worker got to it.
        _settle_paid(
            membership_id=membership_id, payment_id=payment.pk, on=studio_today(studio, outcome.created_at)
        )
    elif outcome.state in ("failed", "canceled"):
        _settle_refused(membership_id=membership_id, now=timezone.now())


# A card sale commits its PENDING membership, then creates the keyed payment: a worker or web
# process that dies in between leaves a membership no payment names. Nothing was charged (the
# payment row is always written before Stripe is called), so after a grace period the sweep
# removes it; one with a payment is left to payments' reconcile task and the outcome hook.
ORPHAN_SALE_GRACE = dt.timedelta(minutes=15)


def sales_sweep_orphans(*, studio: Studio, now: dt.datetime | None = None) -> int:
    """Remove PENDING sale memberships older than the grace period that no payment names; how many."""
    now = now or timezone.now()
    removed = 0
    candidates = Membership.objects.filter(
        studio=studio, status=MembershipStatus.PENDING, created_at__lt=now - ORPHAN_SALE_GRACE
    ).values_list("pk", flat=True)
    for membership_id in list(candidates):
        with transaction.atomic():
            membership = (
                Membership.objects.select_for_update()
                .filter(pk=membership_id, status=MembershipStatus.PENDING)
                .first()
            )
            if membership is None:
                continue
            if Payment.objects.filter(studio=studio, idempotency_key=sale_key(membership.pk)).exists():
                continue
            if MembershipPeriod.objects.filter(membership=membership).exists():
                continue
            logger.info("memberships: removing sale %s that was never charged", membership.pk)
            membership.delete()
            removed += 1
    return removed
