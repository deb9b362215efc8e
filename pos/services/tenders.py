"""Freezing a sale and taking its tenders until the balance is zero (POS-1, POS-3, SPM-8, PAY-7).

Exactly once, whatever the network or the clerk does:
- every tender form carries a one-time `token`, unique per sale (a constraint); the sale row is
  locked (`select_for_update`) while the balance is read and the tender row written, so two tabs
  or twenty parallel POSTs of one form make one tender, and two forms never take more than the
  balance;
- at most one tender is in flight (PENDING) per sale (a constraint): the screen follows one card
  at a time, and a new tender waits until it settled;
- a card tender's payment is keyed `pos_tender:<tender id>` and created in the same transaction
  as the tender; Stripe is called after it commits, never inside it;
- the tender is settled by ONE function, `tender_settle`, with the sale and tender rows locked:
  from the screen's poll (reader, manual card), from the service that submitted the payment
  (saved card), or from the `pos_tender` source kind's outcome hook in the worker (the webhook
  or payments' reconcile settled the payment). Whichever comes first settles; the others find the
  tender settled and change nothing. The last tender that brings the balance to zero completes
  the sale in the same transaction (`pos.services.fulfilment.sale_complete`);
- a lost answer from Stripe leaves the payment PENDING with `outcome_unknown`: the tender waits
  ("checking with Stripe"), payments' reconcile settles the payment, the hook settles the tender.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_scopes import scope

from payments.models import Payment
from payments.services.charges import payment_create
from payments.services.credit import credit_balance
from payments.services.fees import payment_settings_for
from payments.services.routing import Channel, ItemKind, Purchase, route_payment
from payments.services.tenders import payment_record_tender
from pos.models import LineKind, Sale, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.pricing import card_fee_for, change_due, tender_quote
from pos.services.fulfilment import LINES, SUCCEEDED, sale_complete, sale_lines
from scheduling.models import BookedBy, PaymentKind
from studio.compiled_sql import compiled_instance, compiled_joined, compiled_models, compiled_rows
from studio.models import StaffMember, Studio
from studio.money import format_money
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

SOURCE_KIND = "pos_tender"
# On a sale locked by `_begin`: what its succeeded tenders had paid when it read them.
_PAID = "_pos_paid_before"
# On a sale: (its location id, the route of its card tenders), see `sale_route`.
_ROUTE = "_pos_route"
REFUND_LATE_TASK = "pos.refund_voided_tender"

_METHOD = {
    TenderKind.CASH: Payment.Method.CASH,
    TenderKind.CREDIT: Payment.Method.CREDIT,
    TenderKind.SAVED_CARD: Payment.Method.SAVED_METHOD,
    TenderKind.MANUAL_CARD: Payment.Method.CARD,
    TenderKind.READER: Payment.Method.CARD_PRESENT,
}
CARD_KINDS = frozenset({TenderKind.SAVED_CARD, TenderKind.MANUAL_CARD, TenderKind.READER})


class WaiverRequired(ValidationError):
    """The client must sign these waivers before the sale can be paid (`.waivers`)."""

    def __init__(self, message: str, *, waivers: list):
        super().__init__(message, code="waiver")
        self.waivers = waivers


def tender_key(tender: SaleTender) -> str:
    """The payment's idempotency key for a tender (CONTRACT.md)."""
    return f"{SOURCE_KIND}:{tender.pk}"


def sale_drop_in_ref(sale: Sale) -> str:
    """What a drop-in booking held by a sale names as its payment (`Booking.payment_ref`)."""
    return f"pos_sale:{sale.pk}"


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=get_language() or "en")


def _member_query(*, studio_id: int, user_id: int) -> QuerySet[StaffMember]:
    return StaffMember.objects.filter(user_id=user_id).select_related("role").order_by("pk")[:1]


def _has_perm(*, studio: Studio, actor: Actor, perm: str) -> bool:
    if actor.user is None:
        return True  # the system (sweeps, the demo) acts for the studio
    # The actor's membership with its role, as `StaffMember.objects.select_related("role")
    # .filter(studio=, user=).first()` reads it, from SQL compiled once (held to it by
    # pos/tests/test_tender_compiled.py).
    with scope(studio=studio):
        rows = compiled_rows("pos-tender-member", _member_query, user_id=actor.user.pk)
    if not rows:
        return False
    member, end = compiled_instance(StaffMember, rows[0])
    compiled_joined(member, "role", rows[0], end)
    return member.has_perm(perm)


# --- the balance --------------------------------------------------------------------------------


def sale_paid(*, sale: Sale) -> int:
    """What succeeded tenders paid of the sale's total (tips and card fees excluded)."""
    total = SaleTender.objects.filter(
        studio_id=sale.studio_id, sale=sale, status=TenderStatus.SUCCEEDED
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def sale_balance(*, sale: Sale) -> int:
    """What is still due on the sale: its total minus what succeeded tenders paid."""
    return max(sale.total - sale_paid(sale=sale), 0)


# --- freezing the cart ---------------------------------------------------------------------------


def _locked_sale_query(*, studio_id: int, sale_id: int) -> QuerySet[Sale]:
    # The client's home location comes in the same read: a tender's payment records it.
    return (
        Sale.objects.filter(pk=sale_id)
        .select_related("location", "client", "client__home_location")
        .select_for_update(of=("self",))
    )


def sale_locked(*, studio: Studio, sale_id: int) -> Sale:
    """The sale `sale_id` of `studio`, its row locked until the caller's transaction ends (`FOR
    UPDATE OF` the sale alone), with its location, client and the client's home location, as
    `_locked_sale_query` reads them; `Sale.DoesNotExist` if the studio has no such sale.

    Every tender, every settle and the freeze lock the sale first: its SQL is compiled once per
    process (`studio.compiled_sql`); `pos/tests/test_tender_compiled.py` holds it to the ORM."""
    with scope(studio=studio):
        rows = compiled_rows("pos-tender-sale-locked", _locked_sale_query, sale_id=sale_id)
    if not rows:
        raise Sale.DoesNotExist("No sale matches the given query.")
    locked, end = compiled_instance(Sale, rows[0])
    _location, end = compiled_joined(locked, "location", rows[0], end)
    client, end = compiled_joined(locked, "client", rows[0], end)
    if client is not None:
        compiled_joined(client, "home_location", rows[0], end)
    locked.studio = studio  # the row is this studio's (filtered above): what pricing and fees read
    return locked


def _lock_sale(studio: Studio, sale: Sale) -> Sale:
    locked = sale_locked(studio=studio, sale_id=sale.pk)
    # The route the caller already chose for this sale's location (the saved card was checked
    # against it) is the one its payment takes: routing a POS sale reads nothing the lock guards.
    route = sale.__dict__.get(_ROUTE)
    if route is not None and route[0] == locked.location_id:
        locked.__dict__[_ROUTE] = route
    return locked


def _sale_tenders_query(*, studio_id: int, sale_id: int) -> QuerySet[SaleTender]:
    return SaleTender.objects.filter(sale_id=sale_id).order_by("id")


def sale_tenders(*, studio: Studio, sale_id: int) -> list[SaleTender]:
    """The tenders of the sale `sale_id` in the order they were taken (their own columns), as
    `SaleTender.objects.filter(sale_id=).order_by("id")` reads them; compiled once."""
    with scope(studio=studio):
        return compiled_models(
            "pos-tender-sale-tenders", _sale_tenders_query, model=SaleTender, sale_id=sale_id
        )


def _locked_tender_query(*, studio_id: int, tender_id: int) -> QuerySet[SaleTender]:
    return SaleTender.objects.filter(pk=tender_id).select_related("payment").select_for_update(of=("self",))


def _tender_query(*, studio_id: int, tender_id: int) -> QuerySet[SaleTender]:
    return SaleTender.objects.filter(pk=tender_id).select_related("payment")


def tender_with_payment(*, studio: Studio, tender_id: int, lock: bool = False) -> SaleTender:
    """The tender `tender_id` of `studio` with its payment (None: not made yet), as
    `SaleTender.objects.select_related("payment").get(pk=)` reads it; `lock`: the tender's row
    locked (`FOR UPDATE OF` it alone, not its payment's). Compiled once per process."""
    key, build = ("pos-tender-locked", _locked_tender_query) if lock else ("pos-tender", _tender_query)
    with scope(studio=studio):
        rows = compiled_rows(key, build, tender_id=tender_id)
    if not rows:
        raise SaleTender.DoesNotExist("No tender matches the given query.")
    tender, end = compiled_instance(SaleTender, rows[0])
    compiled_joined(tender, "payment", rows[0], end)
    return tender


def tender_locked(*, studio: Studio, tender_id: int) -> SaleTender:
    """`tender_with_payment`, the tender's row locked until the caller's transaction ends."""
    return tender_with_payment(studio=studio, tender_id=tender_id, lock=True)


def sale_route(*, sale: Sale):
    """Where every card tender of the sale goes (PAY-3 rule 1: the selling location's account).

    Kept on the instance for its location: the screen's tender panel asks twice per answer (its
    route reason and the saved cards on that account), and a tender's payment once more; the
    account is read once."""
    cached = sale.__dict__.get(_ROUTE)
    if cached is not None and cached[0] == sale.location_id:
        return cached[1]
    route = route_payment(
        studio=sale.studio,
        purchase=Purchase(channel=Channel.POS, item_kind=ItemKind.POS_SALE, pos_location=sale.location),
    )
    sale.__dict__[_ROUTE] = (sale.location_id, route)
    return route


def _freeze(*, studio: Studio, actor: Actor, sale: Sale) -> Sale:
    """OPEN → TENDERING on the locked `sale` (inside the caller's transaction)."""
    from pos.selectors.cart import cart_waivers_missing
    from pos.services.cart import repriced_lines, sale_reprice
    from pos.services.stock import stock_take_for_sale
    from scheduling.services import BookingError, booking_create
    from waivers.selectors.blocking import quoted_names

    # The locked row is repriced in place (its totals set and saved, its lines read under the
    # lock): neither is read again (a drop-in's session is read when it is booked).
    sale_reprice(sale=sale)
    lines = repriced_lines(sale)
    if not lines or sale.total <= 0:
        raise ValidationError(_("The cart is empty: add something to sell first."), code="empty")
    needs_client = {LineKind.PLAN, LineKind.DROP_IN, LineKind.OWED, LineKind.CREDIT_TOPUP}
    if sale.client is None and any(line.kind in needs_client for line in lines):
        raise ValidationError(
            _("Choose the client first: memberships, classes, amounts owed and credit belong to someone."),
            code="no_client",
        )
    # A plan's waivers and a drop-in's class's, before anything is taken (the booking below would
    # refuse a drop-in's too, in the booking's words).
    missing = cart_waivers_missing(studio=studio, sale=sale, lines=lines)
    if missing:
        raise WaiverRequired(
            _("The client must sign %(waivers)s before paying.") % {"waivers": quoted_names(missing)},
            waivers=missing,
        )
    stock_take_for_sale(studio=studio, actor=actor, sale=sale)  # OutOfStock: the transaction rolls back
    for line in lines:
        if line.kind != LineKind.DROP_IN or line.fulfilment_ref:
            continue
        try:
            # The place is held now (a booking paid by this sale): a drop-in sold is a seat kept.
            booking = booking_create(
                studio=studio,
                actor=actor,
                session=line.session,
                client=sale.client,
                booked_by=BookedBy.STAFF,
                join_waitlist=False,
                payment_kind=PaymentKind.DROP_IN,
                payment_ref=sale_drop_in_ref(sale),
            )
        except BookingError as exc:
            raise ValidationError(
                " ".join(getattr(exc, "messages", None) or [str(exc)]), code="booking"
            ) from exc
        line.fulfilment_ref = f"booking:{booking.pk}"
        line.save(update_fields=["fulfilment_ref"])
    sale.status = SaleStatus.TENDERING
    sale.locked_at = timezone.now()
    sale.save(update_fields=["status", "locked_at", "updated_at"])
    audit_record(
        studio=studio, actor=actor, action="pos.sale_locked", obj=sale, changes={"total": sale.total}
    )
    return sale


def sale_lock(*, studio: Studio, actor: Actor, sale: Sale) -> Sale:
    """Freeze the cart: OPEN → TENDERING, in one transaction with the sale row locked.

    Reprices and freezes the totals, refuses a sale whose client still has a waiver to sign
    (`WaiverRequired`, with `.waivers`), takes the stock (`OutOfStock`: nothing taken, nothing
    frozen) and holds each drop-in's place (a booking paid by this sale). A sale already
    TENDERING is returned as it is; a completed or voided one is refused.
    """
    with transaction.atomic():
        locked = _lock_sale(studio, sale)
        if locked.status == SaleStatus.OPEN:
            return _freeze(studio=studio, actor=actor, sale=locked)
        if locked.status != SaleStatus.TENDERING:
            raise ValidationError(_("This sale is closed."), code="closed")
        return locked


# --- taking a tender -----------------------------------------------------------------------------


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="amount")


def _check_token(token: str) -> str:
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise ValidationError(_("This form has expired: open it again."), code="token")
    return token


def _begin(*, studio: Studio, actor: Actor, sale: Sale, token: str, amount: int):
    """Inside the caller's transaction: the sale locked (and frozen if still OPEN), and either
    the tender this token already made, or the balance checked for a new one of `amount`."""
    locked = _lock_sale(studio, sale)
    # The sale's few tenders, read once under its lock: this token's, the one in flight, what is paid.
    tenders = sale_tenders(studio=studio, sale_id=locked.pk)
    existing = next((row for row in tenders if row.token == token), None)
    if existing is not None:
        return locked, existing
    if locked.status == SaleStatus.OPEN:
        locked = _freeze(studio=studio, actor=actor, sale=locked)
    if locked.status != SaleStatus.TENDERING:
        raise ValidationError(_("This sale is closed: it takes no more payments."), code="closed")
    if any(row.status == TenderStatus.PENDING for row in tenders):
        raise ValidationError(
            _("A card payment is in progress on this sale: wait for it, or cancel it first."),
            code="pending",
        )
    succeeded = [row for row in tenders if row.status == TenderStatus.SUCCEEDED]
    paid = sum(row.amount for row in succeeded)
    # For the quote, the settling of this tender and the sale's completion, under the same lock.
    locked.__dict__[_PAID] = paid
    locked.__dict__[SUCCEEDED] = succeeded
    balance = max(locked.total - paid, 0)
    if amount > balance:
        raise ValidationError(
            _("At most %(balance)s is still due on this sale.")
            % {"balance": _money(balance, locked.currency)},
            code="over_balance",
        )
    return locked, None


def _paid_before(sale: Sale) -> int:
    """What succeeded tenders paid, as `_begin` read it under the sale's lock (else read now)."""
    paid = sale.__dict__.get(_PAID)
    return paid if paid is not None else sale_paid(sale=sale)


def _quote(sale: Sale, *, amount: int, by_card: bool):
    settings = payment_settings_for(studio=sale.studio)
    fee = card_fee_for(amount=amount, settings=settings) if by_card else 0
    taxes = sum(int(line.get("amount", 0)) for line in sale.tax_lines or [])
    return tender_quote(
        sale_subtotal_net=sale.total - taxes,
        sale_tax_lines=sale.tax_lines or [],
        sale_total=sale.total,
        paid_before=_paid_before(sale),
        amount=amount,
        card_fee=fee,
        settings=settings,
    )


def _new_tender(
    *, studio: Studio, actor: Actor, sale: Sale, kind: str, amount: int, token: str, **fields
) -> SaleTender:
    return SaleTender.objects.create(
        studio=studio,
        sale=sale,
        kind=kind,
        amount=amount,
        token=token,
        created_by=actor.user,
        **fields,
    )


def _description(sale: Sale) -> str:
    """What the ledger (and the card statement's description) names: the lines, in the studio's own
    words — stored text must not be a sentence in whichever language the clerk happened to use."""
    names = [
        f"{line.quantity} × {line.description}" if line.quantity > 1 else line.description
        for line in sale_lines(sale)
    ]
    text = ", ".join(names) or sale.location.name
    return text if len(text) <= 200 else text[:199] + "…"


def _card_payment(
    *, studio: Studio, actor: Actor, sale: Sale, tender: SaleTender, method: str, **extra
) -> Payment:
    """The tender's PENDING payment, routed to the selling location's account (PAY-3 rule 1)."""
    quote = _quote(sale, amount=tender.amount, by_card=True)
    payment = payment_create(
        studio=studio,
        actor=actor,
        client=sale.client,
        subtotal=quote.subtotal,
        item_kind=ItemKind.POS_SALE,
        channel=Channel.POS,
        description=_description(sale),
        method=method,
        pos_location=sale.location,
        idempotency_key=tender_key(tender),
        source_type=SOURCE_KIND,
        source_id=str(tender.pk),
        quote=quote,
        route=sale_route(sale=sale),
        **extra,
    )
    tender.payment = payment
    tender.card_fee_amount = quote.card_fee
    tender.save(update_fields=["payment", "card_fee_amount", "updated_at"])
    return payment


def _audit_tender(studio: Studio, actor: Actor, tender: SaleTender) -> None:
    audit_record(
        studio=studio,
        actor=actor,
        action="pos.tender_taken",
        obj=tender.sale,
        changes={"tender_kind": tender.kind, "amount": tender.amount, "payment": tender.payment_id},
    )


def _offline(
    *, studio: Studio, actor: Actor, sale: Sale, kind: str, amount: int, token: str, cash_received=None
) -> SaleTender:
    """Cash or credit: the tender, its settled payment and (last tender) the completion, one transaction."""
    _check_amount(amount)
    token = _check_token(token)
    try:
        with transaction.atomic():
            locked, existing = _begin(studio=studio, actor=actor, sale=sale, token=token, amount=amount)
            if existing is not None:
                return existing
            fields = {}
            if kind == TenderKind.CASH:
                fields = {
                    "cash_received": cash_received,
                    "change_due": change_due(amount=amount, cash_received=cash_received),
                }
            tender = _new_tender(
                studio=studio, actor=actor, sale=locked, kind=kind, amount=amount, token=token, **fields
            )
            quote = _quote(locked, amount=amount, by_card=False)
            payment = payment_record_tender(
                studio=studio,
                actor=actor,
                tender=_METHOD[kind],
                client=locked.client,
                subtotal=quote.subtotal,
                item_kind=ItemKind.POS_SALE,
                channel=Channel.POS,
                description=_description(locked),
                pos_location=locked.location,
                idempotency_key=tender_key(tender),
                source_type=SOURCE_KIND,
                source_id=str(tender.pk),
                quote=quote,
            )
            tender.payment = payment  # saved with the tender's settled status, one UPDATE
            _audit_tender(studio, actor, tender)
            # Made in this transaction under the sale's lock: nobody else has seen either row yet.
            settled = _settle_locked(
                studio=studio, actor=actor, sale=locked, tender=tender, payment=payment, unsaved=("payment",)
            )
            # True under this lock only.
            for name in (_PAID, LINES, SUCCEEDED):
                locked.__dict__.pop(name, None)
            return settled
    except IntegrityError:
        # The same token committed by a concurrent request between our read and our insert.
        existing = SaleTender.objects.filter(studio=studio, sale=sale, token=token).first()
        if existing is None:
            raise
        return existing


def tender_cash(
    *, studio: Studio, actor: Actor, sale: Sale, amount: int, cash_received: int, token: str
) -> SaleTender:
    """Cash at the counter: `amount` (at most the balance) paid from `cash_received` (at least the
    amount); the change due is kept on the tender and shown. Settled at once."""
    _check_amount(amount)
    if not isinstance(cash_received, int) or isinstance(cash_received, bool) or cash_received < amount:
        raise ValidationError(
            _("The cash received must be at least the amount paid in cash."), code="cash_received"
        )
    return _offline(
        studio=studio,
        actor=actor,
        sale=sale,
        kind=TenderKind.CASH,
        amount=amount,
        token=token,
        cash_received=cash_received,
    )


def tender_credit(*, studio: Studio, actor: Actor, sale: Sale, amount: int, token: str) -> SaleTender:
    """The client's studio credit: at most the balance and at most the credit (the credit ledger
    refuses to go below zero under its own lock). Settled at once."""
    _check_amount(amount)
    if sale.client_id is None:
        raise ValidationError(_("Studio credit needs a client."), code="no_client")
    available = credit_balance(client=sale.client)
    if amount > available:
        raise ValidationError(
            _("Only %(balance)s of credit is available.") % {"balance": _money(available, sale.currency)},
            code="insufficient",
        )
    return _offline(studio=studio, actor=actor, sale=sale, kind=TenderKind.CREDIT, amount=amount, token=token)


# --- settling a tender: ONE function for every path ------------------------------------------------


def _settle_locked(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    tender: SaleTender,
    payment: Payment | None = None,
    unsaved: tuple[str, ...] = (),
) -> SaleTender:
    """Inside a transaction holding the sale's lock: move the tender as its payment says.

    `payment`: given only by the caller that created the tender and this payment in the same
    transaction (cash, credit), so neither row is read again; otherwise the tender is read locked,
    with its payment in the same query. `unsaved`: fields that caller set on the tender and left
    for this function's UPDATE (written whether or not the tender moves)."""
    if payment is None:
        # The payment row is not locked (as before): it only moves forward, under its own lock.
        tender = tender_locked(studio=studio, tender_id=tender.pk)
        if tender.status != TenderStatus.PENDING:
            return tender
        payment = tender.payment
        if payment is None:
            return tender
    elif tender.status != TenderStatus.PENDING:
        if unsaved:
            tender.save(update_fields=[*unsaved, "updated_at"])
        return tender
    fields = list(unsaved)
    if payment.status == Payment.Status.SUCCEEDED:
        tender.status = TenderStatus.SUCCEEDED
        tender.tip_amount = payment.tip_amount or 0
        tender.failure_message = ""
        tender.save(update_fields=[*fields, "status", "tip_amount", "failure_message", "updated_at"])
        succeeded = sale.__dict__.get(SUCCEEDED)
        if succeeded is not None and all(row.pk != tender.pk for row in succeeded):
            succeeded.append(tender)
        if tender.tip_amount:
            sale.tip_amount = (
                SaleTender.objects.filter(sale=sale, status=TenderStatus.SUCCEEDED).aggregate(
                    t=Sum("tip_amount")
                )["t"]
                or 0
            )
            if sale.tip_staff_id is None:
                # The tip goes to whoever took the payment (payroll reads it from the sale).
                sale.tip_staff = StaffMember.objects.filter(
                    studio=studio, user_id=tender.created_by_id
                ).first()
            sale.save(update_fields=["tip_amount", "tip_staff", "updated_at"])
        if sale.status == SaleStatus.VOIDED:
            # Approved after the sale was abandoned: the money goes back, from the worker.
            enqueue_by_name(REFUND_LATE_TASK, studio.pk, tender.pk)
        elif sale.status == SaleStatus.TENDERING and _balance_after(sale, tender) == 0:
            sale_complete(studio=studio, actor=actor, sale=sale)
    elif payment.status in (Payment.Status.FAILED, Payment.Status.CANCELED):
        tender.status = (
            TenderStatus.FAILED if payment.status == Payment.Status.FAILED else TenderStatus.CANCELED
        )
        tender.failure_message = payment.failure_message[:300]
        tender.save(update_fields=[*fields, "status", "failure_message", "updated_at"])
    elif fields:
        tender.save(update_fields=[*fields, "updated_at"])
    return tender


def _balance_after(sale: Sale, tender: SaleTender) -> int:
    """The balance once `tender` succeeded: from what `_begin` read in this transaction when the
    tender was made under the same lock (then only this tender was added), else from the sale's
    succeeded tenders read now (with their payments, kept for the completion)."""
    paid = sale.__dict__.get(_PAID)
    if paid is not None:
        return max(sale.total - paid - tender.amount, 0)
    succeeded = succeeded_tenders(studio=sale.studio, sale_id=sale.pk)
    sale.__dict__[SUCCEEDED] = succeeded
    return max(sale.total - sum(row.amount for row in succeeded), 0)


def _succeeded_query(*, studio_id: int, sale_id: int) -> QuerySet[SaleTender]:
    return (
        SaleTender.objects.filter(sale_id=sale_id, status=TenderStatus.SUCCEEDED)
        .select_related("payment")
        .order_by("id")
    )


def succeeded_tenders(*, studio: Studio, sale_id: int) -> list[SaleTender]:
    """The succeeded tenders of the sale `sale_id` with their payments, in the order they were
    taken, as `_succeeded_query` reads them; compiled once."""
    with scope(studio=studio):
        rows = compiled_rows("pos-tender-succeeded", _succeeded_query, sale_id=sale_id)
    out = []
    for row in rows:
        tender, end = compiled_instance(SaleTender, row)
        compiled_joined(tender, "payment", row, end)
        out.append(tender)
    return out


def tender_settle(*, tender_id: int, actor: Actor | None = None) -> SaleTender:
    """Settle one tender from its payment's state, idempotently: the sale and the tender locked
    (in that order, as when tenders are taken), a tender already settled left as it is. The last
    tender to succeed completes the sale in the same transaction."""
    tender = SaleTender.objects.select_related("created_by", "studio").get(pk=tender_id)
    return _settle(studio=tender.studio, tender=tender, actor=actor or Actor(user=tender.created_by))


def _settle(*, studio: Studio, tender: SaleTender, actor: Actor) -> SaleTender:
    """`tender_settle` for a caller that holds the tender (its id, its sale's), its studio and its
    actor: the rows that matter are read again, locked, whatever the instance says."""
    with transaction.atomic():
        sale = sale_locked(studio=studio, sale_id=tender.sale_id)
        return _settle_locked(studio=studio, actor=actor, sale=sale, tender=tender)


def _creator(actor: Actor, tender: SaleTender) -> Actor:
    """Who settles on a tender's behalf: its creator, as `tender_settle` names them (the user, no
    address), read from `actor` when that is the same person."""
    user = actor.user
    if user is not None and user.pk == tender.created_by_id:
        return Actor(user=user)
    return Actor(user=tender.created_by)


def tender_on_payment_outcome(outcome) -> None:
    """The `pos_tender` source kind's hook (the worker, inside a transaction, the studio's scope):
    the webhook or the reconcile task settled the tender's payment; settle the tender. Refunds
    change nothing here (the ledger holds them; returns are till's). Never calls Stripe."""
    if outcome.state not in ("succeeded", "failed", "canceled"):
        return
    try:
        tender_id = int(outcome.payment.source_id)
    except (TypeError, ValueError):
        return
    if SaleTender.objects.filter(pk=tender_id).exists():
        tender_settle(tender_id=tender_id)


def tender_refund_voided(*, studio: Studio, tender_id: int) -> None:
    """A tender that succeeded after its sale was voided: refund it in full to where it came from
    (from the worker, outside any transaction). Safe to run twice: what is left is read now and
    a refund on a stale amount is refused."""
    from payments.models import Refund
    from payments.services.refunds import refund_create
    from studio.services import SYSTEM

    tender = SaleTender.objects.select_related("sale", "payment").filter(pk=tender_id, studio=studio).first()
    if tender is None or tender.sale.status != SaleStatus.VOIDED or tender.payment is None:
        return
    payment = tender.payment
    if payment.status != Payment.Status.SUCCEEDED or payment.refundable <= 0:
        return
    try:
        refund_create(
            studio=studio,
            actor=SYSTEM,
            payment=payment,
            amount=payment.refundable,
            destination=Refund.Destination.ORIGINAL,
            reason="sale voided",
            expected_refunded=payment.amount_refunded,
        )
    except ValidationError:
        logger.info("pos tender %s: refunded meanwhile", tender_id)
