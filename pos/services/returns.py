"""Returns (PAY-7 at the counter): give back a whole sale or chosen lines and quantities.

The money goes back to the tenders that paid (`destination="original"`: cards refunded through
`refund_create`, cash handed back from the drawer, studio credit back to credit) or all of it as
studio credit (`"credit"`). What each returned unit is worth is the line's total (discounts and
taxes included) shared by units, rounded cumulatively so that returning every unit, at once or
one by one, gives back exactly the line's total. Card fees and tips are not given back: the fee
paid the card network and the tip belongs to the staff member.

Nothing is returned twice: the sale's row is locked, then its lines, and what is still returnable
is read under that lock from `SaleLine.returned_quantity` (a CHECK keeps it within the quantity).
Two clerks returning the last unit at the same moment: the second is told it is gone.

Order of work: in one transaction the lines are marked returned, products go back on the shelf
(unless the clerk unticks it: damaged), a plan line's membership is cancelled (only when unused),
and the refunds that never reach Stripe (cash, credit) are recorded; after it commits, card refunds
are sent (no Stripe call inside a transaction), then a drop-in line's booking is cancelled (the
cancellation policy gives nothing more for it: its `payment_ref` names the sale, not a payment).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from memberships.models import Membership, MembershipStatus
from memberships.selectors.memberships import membership_history
from memberships.services.lifecycle import WHEN_NOW, membership_cancel
from payments.models import Refund
from payments.services.refunds import refund_create, refund_goes_to_stripe
from pos.models import LineKind, Sale, SaleLine, SaleStatus, SaleTender, TenderStatus
from pos.services.stock import stock_return
from scheduling.models import Booking, BookingStatus
from scheduling.services import booking_cancel
from studio.models import StaffMember, Studio
from studio.money import format_money
from studio.permissions import Perm
from studio.services import Actor, audit_record

DESTINATION_ORIGINAL = "original"
DESTINATION_CREDIT = "credit"
DESTINATIONS = (DESTINATION_ORIGINAL, DESTINATION_CREDIT)
RETURNABLE_KINDS = frozenset({LineKind.PRODUCT, LineKind.PLAN, LineKind.DROP_IN})


@dataclass(frozen=True)
class LineReturn:
    line: SaleLine
    quantity: int
    amount: int


@dataclass(frozen=True)
class TenderRefund:
    tender: SaleTender
    amount: int


@dataclass
class ReturnPlan:
    """What a return would do, read without writing (the confirm step shows it)."""

    sale: Sale
    destination: str
    lines: list[LineReturn] = field(default_factory=list)
    refunds: list[TenderRefund] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return sum(item.amount for item in self.lines)


@dataclass
class ReturnResult:
    plan: ReturnPlan
    refunds: list[Refund] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what could not be done after the return was recorded


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=get_language() or "en")


def _require_refund_permission(*, studio: Studio, actor: Actor) -> None:
    if actor.user is None:
        return
    member = StaffMember.objects.select_related("role").filter(studio=studio, user=actor.user).first()
    if member is None or not member.has_perm(Perm.REFUND):
        raise PermissionDenied(Perm.REFUND)


def line_value(*, line: SaleLine, returned_before: int, quantity: int) -> int:
    """What `quantity` more units of `line` are worth, `returned_before` units having gone back:
    the cumulative share of the line's total, so all the units together give back its total."""
    if line.quantity <= 0:
        return 0

    def share(units: int) -> int:
        return (line.line_total * units + line.quantity // 2) // line.quantity

    return share(returned_before + quantity) - share(returned_before)


def _membership_of(line: SaleLine) -> Membership | None:
    kind, _sep, ref = line.fulfilment_ref.partition(":")
    if kind != "membership" or not ref.isdigit():
        return None
    return (
        Membership.objects.select_related("plan", "studio")
        .filter(studio_id=line.studio_id, pk=int(ref))
        .first()
    )


def _booking_of(line: SaleLine) -> Booking | None:
    kind, _sep, ref = line.fulfilment_ref.partition(":")
    if kind != "booking" or not ref.isdigit():
        return None
    return Booking.objects.select_related("session").filter(studio_id=line.studio_id, pk=int(ref)).first()


class MembershipInUse(ValidationError):
    """A plan line whose membership has been used: it is cancelled on its own page, not returned."""

    def __init__(self, message: str, *, membership: Membership):
        super().__init__(message, code="membership_used")
        self.membership = membership


def membership_unused(*, membership: Membership) -> bool:
    """No class or appointment has used it (credits given back do not count) and it is not over."""
    if membership.status in (MembershipStatus.CANCELLED, MembershipStatus.EXPIRED):
        return False
    history = membership_history(membership=membership)
    return all(use.returned_at is not None for use in history.credit_uses)


def _check_line(line: SaleLine) -> None:
    if line.kind not in RETURNABLE_KINDS:
        raise ValidationError(
            _("“%(item)s” cannot be returned at the point of sale.") % {"item": line.description},
            code="kind",
        )
    if line.kind == LineKind.PLAN:
        membership = _membership_of(line)
        if membership is not None and not membership_unused(membership=membership):
            raise MembershipInUse(
                _(
                    "“%(item)s” has been used: cancel the membership from its own page, which "
                    "works out what is given back."
                )
                % {"item": line.description},
                membership=membership,
            )
    if line.kind == LineKind.DROP_IN:
        booking = _booking_of(line)
        if booking is not None and booking.status not in (
            BookingStatus.BOOKED,
            BookingStatus.WAITLISTED,
            BookingStatus.CANCELLED,
            BookingStatus.LATE_CANCELLED,
        ):
            raise ValidationError(
                _("“%(item)s” cannot be returned: the class was attended or missed.")
                % {"item": line.description},
                code="booking",
            )


def _quantities(lines: list[SaleLine], quantities: dict[int, int] | None) -> dict[int, int]:
    by_id = {line.pk: line for line in lines}
    if quantities is None:
        wanted = {line.pk: line.quantity - line.returned_quantity for line in lines}
        wanted = {pk: q for pk, q in wanted.items() if q > 0}
        if not wanted:
            raise ValidationError(_("Everything in this sale has already been returned."), code="nothing")
        return wanted
    wanted = {}
    for pk, quantity in quantities.items():
        line = by_id.get(pk)
        if line is None:
            raise ValidationError(_("This line is not part of the sale."), code="line")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ValidationError(_("Enter a quantity of zero or more."), code="quantity")
        left = line.quantity - line.returned_quantity
        if quantity > left:
            raise ValidationError(
                _("At most %(count)s of “%(item)s” can still be returned.")
                % {"count": left, "item": line.description},
                code="too_many",
            )
        if quantity:
            wanted[pk] = quantity
    if not wanted:
        raise ValidationError(_("Choose what is returned."), code="nothing")
    return wanted


def _allocate(sale: Sale, tenders: list[SaleTender], amount: int) -> list[TenderRefund]:
    """Share the refund over the tenders, the last taken first (the card that paid the rest of a
    split sale before the cash that paid its first part), never more than each still holds."""
    refunds = []
    left = amount
    for tender in reversed(tenders):
        if left <= 0:
            break
        payment = tender.payment
        room = max(0, min(tender.amount, payment.amount) - payment.amount_refunded)
        take = min(room, left)
        if take > 0:
            refunds.append(TenderRefund(tender=tender, amount=take))
            left -= take
    if left > 0:
        raise ValidationError(
            _("Only %(amount)s of this sale can still be refunded.")
            % {"amount": _money(amount - left, sale.currency)},
            code="too_much",
        )
    return refunds


def _paid_tenders(sale: Sale) -> list[SaleTender]:
    return list(
        SaleTender.objects.filter(
            studio_id=sale.studio_id, sale=sale, status=TenderStatus.SUCCEEDED, payment__isnull=False
        )
        .select_related("payment")
        .order_by("created_at", "id")
    )


def sale_return_plan(*, sale: Sale, quantities: dict[int, int] | None, destination: str) -> ReturnPlan:
    """What returning `quantities` ({line id: units}; None = all that is left) would give back and
    to which tenders. ValidationError with a sentence when it cannot be done."""
    if sale.status != SaleStatus.COMPLETED:
        raise ValidationError(_("Only a completed sale can be returned."), code="status")
    if destination not in DESTINATIONS:
        raise ValidationError(_("Choose where the money goes."), code="destination")
    if destination == DESTINATION_CREDIT and sale.client_id is None:
        raise ValidationError(
            _("This sale has no client to hold studio credit: refund it to the original payment."),
            code="no_client",
        )
    lines = list(SaleLine.objects.filter(studio_id=sale.studio_id, sale=sale).order_by("position", "id"))
    wanted = _quantities(lines, quantities)
    plan = ReturnPlan(sale=sale, destination=destination)
    for line in lines:
        quantity = wanted.get(line.pk, 0)
        if not quantity:
            continue
        _check_line(line)
        amount = line_value(line=line, returned_before=line.returned_quantity, quantity=quantity)
        plan.lines.append(LineReturn(line=line, quantity=quantity, amount=amount))
    if plan.amount > 0:
        plan.refunds = _allocate(sale, _paid_tenders(sale), plan.amount)
    return plan


def _offline(refund: TenderRefund, destination: str) -> bool:
    """Settled without Stripe: credit, or cash / credit tenders given back to themselves."""
    return destination == Refund.Destination.CREDIT or not refund_goes_to_stripe(
        payment=refund.tender.payment, destination=destination
    )


def sale_return(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    quantities: dict[int, int] | None,
    destination: str,
    restock: bool = True,
    reason: str = "",
) -> ReturnResult:
    """Return `quantities` of `sale` ({line id: units}; None = the whole sale, what is left of it),
    the money to `destination` ("original" or "credit"), products back in stock unless `restock`
    is False. Raises ValidationError (nothing done) or PermissionDenied (no Perm.REFUND); a card
    refund or booking cancellation that fails after the return was recorded is in `errors`."""
    _require_refund_permission(studio=studio, actor=actor)
    if sale.studio_id != studio.pk:
        raise ValidationError(_("This sale belongs to another studio."), code="studio")
    refund_destination = (
        Refund.Destination.CREDIT if destination == DESTINATION_CREDIT else Refund.Destination.ORIGINAL
    )
    reason = reason[:200]
    result_refunds: list[Refund] = []
    with transaction.atomic():
        locked = (
            Sale.objects.select_for_update(of=("self",))
            .select_related("location", "client")
            .get(pk=sale.pk, studio=studio)
        )
        list(SaleLine.objects.select_for_update().filter(studio=studio, sale=locked).order_by("id"))
        plan = sale_return_plan(sale=locked, quantities=quantities, destination=destination)
        for item in plan.lines:
            line = item.line
            line.returned_quantity += item.quantity
            line.refunded_amount += item.amount
            line.save(update_fields=["returned_quantity", "refunded_amount"])
            if line.kind == LineKind.PRODUCT and restock and line.product_id:
                stock_return(
                    studio=studio,
                    actor=actor,
                    sale=locked,
                    product=line.product,
                    location=locked.location,
                    quantity=item.quantity,
                )
            if line.kind == LineKind.PLAN:
                membership = _membership_of(line)
                if membership is not None and membership.status != MembershipStatus.CANCELLED:
                    # Money is given back by this return: the cancellation itself refunds nothing.
                    membership_cancel(
                        studio=studio,
                        actor=actor,
                        membership=membership,
                        when=WHEN_NOW,
                        proration="none",
                        waive_commitment=True,
                    )
        for refund in plan.refunds:
            if _offline(refund, refund_destination):
                result_refunds.append(
                    refund_create(
                        studio=studio,
                        actor=actor,
                        payment=refund.tender.payment,
                        amount=refund.amount,
                        destination=refund_destination,
                        reason=reason or _("Returned at the point of sale"),
                    )
                )
        audit_record(
            studio=studio,
            actor=actor,
            action="pos_sale.returned",
            obj=locked,
            changes={
                "lines": {str(item.line.pk): item.quantity for item in plan.lines},
                "amount": plan.amount,
                "destination": destination,
                "restock": restock,
                "reason": reason,
            },
        )
    result = ReturnResult(plan=plan, refunds=result_refunds)
    # Outside the transaction: the card refunds reserve, commit, then call Stripe (refund_create).
    for refund in plan.refunds:
        if _offline(refund, refund_destination):
            continue
        try:
            result.refunds.append(
                refund_create(
                    studio=studio,
                    actor=actor,
                    payment=refund.tender.payment,
                    amount=refund.amount,
                    destination=refund_destination,
                    reason=reason or _("Returned at the point of sale"),
                )
            )
        except ValidationError as error:
            result.errors.append(
                _("The card refund of %(amount)s was not made: %(why)s Refund it from the payment's page.")
                % {"amount": _money(refund.amount, sale.currency), "why": " ".join(error.messages)}
            )
    for refund in result.refunds:
        if refund.status == Refund.Status.FAILED:
            result.errors.append(
                _("The card refund of %(amount)s failed: %(why)s")
                % {"amount": _money(refund.amount, sale.currency), "why": refund.failure_message}
            )
    for item in plan.lines:
        if item.line.kind != LineKind.DROP_IN:
            continue
        booking = _booking_of(item.line)
        if booking is None or booking.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED):
            continue
        try:
            booking_cancel(studio=studio, actor=actor, booking=booking, by_staff=True, waive_late_cancel=True)
        except ValidationError as error:
            result.errors.append(" ".join(error.messages))
    return result
