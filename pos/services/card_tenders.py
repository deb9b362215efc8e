"""Card tenders (POS-3, SPM-4, SPM-8): a client's saved card, a card typed into Stripe's fields,
and the card reader — the same exactly-once machinery as every tender (`pos.services.tenders`):
the tender and its PENDING payment (keyed `pos_tender:<tender id>`, routed to the selling
location's account) are committed together, Stripe is called after the commit, and the tender
is settled by `tender_settle` from whichever path hears first (this call, the screen's poll, the
outcome hook)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_scopes import scope

from payments.models import CardReader, Payment, SavedPaymentMethod
from payments.services.charges import ChargeTarget, payment_reconcile, payment_submit
from payments.services.saved_methods import methods_usable_for
from pos.models import Sale, SaleTender, TenderKind, TenderStatus
from pos.services.fulfilment import LINES, SUCCEEDED
from pos.services.tenders import (
    _PAID,
    _audit_tender,
    _begin,
    _card_payment,
    _check_amount,
    _check_token,
    _creator,
    _has_perm,
    _new_tender,
    _settle,
    sale_route,
    tender_settle,
    tender_with_payment,
)
from studio.compiled_sql import compiled_rows
from studio.models import Studio
from studio.permissions import Perm
from studio.services import Actor, audit_record


def saved_cards_for_sale(*, sale: Sale) -> list[SavedPaymentMethod]:
    """The client's saved cards usable in this sale: only those on the sale's account (SPM-4),
    unexpired, cards only."""
    if sale.client_id is None:
        return []
    route = sale_route(sale=sale)
    # Cards only: a saved bank account is debited over days, not at a counter while the client waits.
    return [
        m
        for m in methods_usable_for(client=sale.client, account=route.account)
        if m.kind == SavedPaymentMethod.Kind.CARD
    ]


def _commit_card_tender(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    token: str,
    amount: int,
    kind: str,
    method: str,
    reader: CardReader | None = None,
    save_card: bool = False,
    target: ChargeTarget | None = None,
) -> tuple[SaleTender, bool]:
    """Commit the tender and its PENDING payment together (the sale row locked while the balance
    is read). Returns `(tender, created)`: a token already used (a second click, one of twenty
    parallel POSTs) answers with the tender it made, `created=False`, and nothing is sent again."""
    try:
        with transaction.atomic():
            locked, existing = _begin(studio=studio, actor=actor, sale=sale, token=token, amount=amount)
            if existing is not None:
                return existing, False
            tender = _new_tender(
                studio=studio,
                actor=actor,
                sale=locked,
                kind=kind,
                amount=amount,
                token=token,
                reader=reader,
                save_card=save_card,
            )
            extra = {}
            if reader is not None:
                extra["reader"] = reader
            if save_card:
                extra["save_method"] = True
            if target is not None:
                extra["target"] = target
            _card_payment(studio=studio, actor=actor, sale=locked, tender=tender, method=method, **extra)
            _audit_tender(studio, actor, tender)
            # What `_begin` and the payment read hold under this lock only.
            for name in (_PAID, LINES, SUCCEEDED):
                locked.__dict__.pop(name, None)
    except IntegrityError:
        existing = SaleTender.objects.filter(studio=studio, sale=sale, token=token).first()
        if existing is None:
            raise
        return existing, False
    return tender, True


def tender_saved_card(
    *, studio: Studio, actor: Actor, sale: Sale, amount: int, saved_method: SavedPaymentMethod, token: str
) -> SaleTender:
    """Charge one of the client's saved cards on the sale's account (SPM-4, SPM-8), with
    `Perm.USE_SAVED_PAYMENT_METHOD`. Stripe is called after the tender commits."""
    from payments.services.charges import saved_method_types

    _check_amount(amount)
    token = _check_token(token)
    if sale.studio_id == studio.pk:
        sale.studio = studio  # what routing reads: the same row, not read again
    if not _has_perm(studio=studio, actor=actor, perm=Perm.USE_SAVED_PAYMENT_METHOD):
        raise PermissionDenied(Perm.USE_SAVED_PAYMENT_METHOD)
    if (
        sale.client_id is None
        or saved_method.client_id != sale.client_id
        or saved_method.studio_id != studio.pk
    ):
        raise ValidationError(_("This saved card is not the client's."), code="method")
    if saved_method.pk not in {m.pk for m in saved_cards_for_sale(sale=sale)}:
        raise ValidationError(
            _("This card is saved on another location's account: it cannot pay a sale made here."),
            code="account",
        )
    tender, created = _commit_card_tender(
        studio=studio,
        actor=actor,
        sale=sale,
        token=token,
        amount=amount,
        kind=TenderKind.SAVED_CARD,
        method=Payment.Method.SAVED_METHOD,
        target=ChargeTarget(
            customer_id=saved_method.customer.stripe_customer_id,
            payment_method_id=saved_method.stripe_payment_method_id,
            off_session=True,
        ),
    )
    if not created:
        return tender
    payment_submit(payment=tender.payment, method_types=saved_method_types(saved_method.kind))
    return _settle(studio=studio, tender=tender, actor=_creator(actor, tender))


def _check_save(*, studio: Studio, actor: Actor, sale: Sale, save_card: bool, consent: bool) -> bool:
    if not save_card:
        return False
    if not _has_perm(studio=studio, actor=actor, perm=Perm.ADD_SAVED_PAYMENT_METHOD):
        raise PermissionDenied(Perm.ADD_SAVED_PAYMENT_METHOD)
    if sale.client_id is None:
        raise ValidationError(_("A card can be saved only for a client."), code="no_client")
    if not consent:
        raise ValidationError(
            _("Tick the client's consent to keep the card for future purchases."), code="consent"
        )
    return True


def tender_manual_card_start(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    amount: int,
    save_card: bool,
    token: str,
    consent: bool = False,
) -> SaleTender:
    """A card typed into Stripe's fields: the tender and its unconfirmed `card` intent, whose
    client secret Stripe.js confirms on the tender's card page; "save for future purchases" only
    with `Perm.ADD_SAVED_PAYMENT_METHOD` and the client's consent."""
    _check_amount(amount)
    token = _check_token(token)
    save = _check_save(studio=studio, actor=actor, sale=sale, save_card=save_card, consent=consent)
    tender, created = _commit_card_tender(
        studio=studio,
        actor=actor,
        sale=sale,
        token=token,
        amount=amount,
        kind=TenderKind.MANUAL_CARD,
        method=Payment.Method.CARD,
        save_card=save,
    )
    if not created:
        return tender
    submitted = payment_submit(payment=tender.payment)
    return _settle_if_final(studio, tender, submitted, actor=actor)


def tender_manual_card_finish(*, studio: Studio, actor: Actor, tender: SaleTender) -> SaleTender:
    """Stripe.js confirmed (or failed) the card: read the intent back and settle the tender."""
    if tender.studio_id != studio.pk or tender.kind != TenderKind.MANUAL_CARD:
        raise ValidationError(_("This is not a card entered by hand."), code="kind")
    if tender.status == TenderStatus.PENDING and tender.payment_id:
        payment_reconcile(payment=Payment.objects.get(pk=tender.payment_id))
    return tender_settle(tender_id=tender.pk)


def tender_reader_start(
    *,
    studio: Studio,
    actor: Actor,
    sale: Sale,
    amount: int,
    reader: CardReader,
    save_card: bool,
    token: str,
    consent: bool = False,
) -> SaleTender:
    """Push `amount` to a card reader of the sale's location (tpay's `reader_payment_start`),
    with the tip screen when the POS settings enable tips; "Save this card" with consent."""
    from payments.services.terminal import reader_payment_start

    _check_amount(amount)
    token = _check_token(token)
    if (
        reader.studio_id != studio.pk
        or reader.location_id != sale.location_id
        or reader.deleted_at is not None
    ):
        raise ValidationError(_("Choose a card reader of this location."), code="reader")
    save = _check_save(studio=studio, actor=actor, sale=sale, save_card=save_card, consent=consent)
    tender, created = _commit_card_tender(
        studio=studio,
        actor=actor,
        sale=sale,
        token=token,
        amount=amount,
        kind=TenderKind.READER,
        method=Payment.Method.CARD_PRESENT,
        reader=reader,
        save_card=save,
    )
    if not created:
        return tender
    state = reader_payment_start(payment=tender.payment, reader=reader, tipping=_tips_enabled(studio))
    return _settle_if_final(studio, tender, state.payment, actor=actor)


def _settle_if_final(studio: Studio, tender: SaleTender, payment: Payment, *, actor: Actor) -> SaleTender:
    """Settle `tender` when the payment this call just recorded has ended. A payment still
    waiting (the card not presented yet, an answer lost) cannot move the tender: settling would
    only read the rows again and change nothing. Whoever records the end settles it then (the
    poll, the card page's return, the outcome hook, which runs for every final status)."""
    if payment is None or payment.pk != tender.payment_id or payment.status not in Payment.FINAL_STATUSES:
        return tender
    return _settle(studio=studio, tender=tender, actor=_creator(actor, tender))


def _tips_query(*, studio_id: int):
    from pos.models import PosSettings

    return PosSettings.objects.order_by("pk").values_list("tips_enabled")[:1]


def _tips_enabled(studio: Studio) -> bool:
    # As `PosSettings.objects.filter(studio=).values_list("tips_enabled", flat=True).first()`
    # reads it (the scope's studio filter), from SQL compiled once.
    with scope(studio=studio):
        rows = compiled_rows("pos-tender-tips", _tips_query)
    return bool(rows and rows[0][0])


def tender_reader_poll(*, studio: Studio, actor: Actor, tender: SaleTender):
    """One look at a reader tender (the screen polls every second or two): tpay's
    `reader_payment_state` records the payment, then the tender is settled. Returns
    `(tender, state)`; `state` is None once the tender has settled."""
    from payments.services.terminal import reader_payment_state

    if tender.studio_id != studio.pk:
        raise ValidationError(_("This tender belongs to another studio."))
    # As it is now (the hook may have settled it), with its payment in the same read.
    tender = tender_with_payment(studio=studio, tender_id=tender.pk)
    if tender.status != TenderStatus.PENDING or tender.payment_id is None:
        return tender, None
    state = reader_payment_state(payment=tender.payment)
    return _settle_if_final(studio, tender, state.payment, actor=actor), state


def tender_reader_cancel(*, studio: Studio, actor: Actor, tender: SaleTender) -> SaleTender:
    """Cancel a reader or hand-typed card tender still waiting (on the reader and the intent).
    If the card was approved meanwhile, the tender settles as paid instead."""
    if tender.studio_id != studio.pk:
        raise ValidationError(_("This tender belongs to another studio."))
    if tender.status != TenderStatus.PENDING or tender.payment_id is None:
        return tender
    from payments.services.terminal import reader_payment_cancel

    # One cancel for both kinds: it stops the reader when there is one, then cancels the intent at
    # Stripe (so it can never be confirmed late) and records what Stripe says — approved, if the
    # card went through meanwhile.
    reader_payment_cancel(payment=Payment.objects.get(pk=tender.payment_id))
    audit_record(
        studio=studio,
        actor=actor,
        action="pos.tender_cancelled",
        obj=tender.sale,
        changes={"tender_kind": tender.kind, "amount": tender.amount},
    )
    return tender_settle(tender_id=tender.pk)
