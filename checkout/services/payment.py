"""Paying an online order (CHK-2): review, then pay exactly once — saved card, new card (Stripe's
fields), Stripe Checkout's hosted page, studio credit, waiver checkboxes, 3-D Secure.

`order_pay` runs one transaction under the order's row lock: a `pay_token` already used answers
with what its first attempt became (twenty parallel submits of one form → one payment), then the
checks (the client's own OPEN order, not empty, one account for every line, the waivers ticked),
the checkbox signatures, ful's `order_hold`, the credit part (an offline credit tender, settled at
once) and the card part's PENDING payment (routed by `order_route`, priced from the order's frozen
totals, keyed `checkout_order:<order id>:<attempt>`). Stripe is called only after that commits.

Settling has one path, `_settle`, run by the source kind's outcome hook (the worker, after a
webhook or any other final state change) and by `order_payment_settle` (the return page, the
status poll): a succeeded card → ful's `order_mark_paid`; a refused or cancelled one → ful's
`order_release`, the credit part refunded to credit, and the order OPEN again with its
`failure_code`, so the client can try another card (the next attempt has its own key).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from checkout.models import CardForm, Order, OrderLineKind, OrderStatus
from payments.models import Payment, Refund, SavedPaymentMethod
from payments.services.charges import (
    ChargeTarget,
    payment_client_secret,
    payment_create,
    payment_reconcile,
    payment_submit,
    saved_method_types,
)
from payments.services.credit import credit_balance
from payments.services.fees import Quote, TaxLine, quote_build
from payments.services.hosted_checkout import CHECKOUT_CANCELED
from payments.services.refunds import refund_create
from payments.services.routing import Channel, ItemKind
from payments.services.saved_methods import methods_usable_for, saved_methods_enabled
from payments.services.tenders import payment_record_tender
from studio.models import Client, Studio
from studio.services import SYSTEM, Actor, audit_record

logger = logging.getLogger(__name__)

SOURCE_KIND = "checkout_order"
CARD_CHOICES = ("saved", "new", "hosted", "none")
PAY_TOKEN_MAX = 64
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class PayStatus:
    PAID = "paid"  # nothing left to charge, or the card succeeded at once
    REQUIRES_ACTION = "requires_action"  # the bank asks for 3-D Secure: Stripe.js finishes it
    CARD = "card"  # a new card: Stripe's fields on the card page confirm it
    REDIRECT = "redirect"  # Stripe Checkout's hosted page
    PENDING = "pending"  # Stripe is still working (or unreachable): the return page polls
    FAILED = "failed"  # refused: the order is OPEN again, `message` says why


@dataclass(frozen=True)
class PayStep:
    """Where the client goes after pressing Pay (or after one more look at the payment)."""

    status: str
    redirect_url: str = ""
    client_secret: str = ""
    stripe_account_id: str = ""
    message: str = ""


def _refuse(message: str, code: str) -> None:
    raise ValidationError(message, code=code)


def pay_token_clean(value: str) -> str:
    """The pay form's one-time token: URL-safe characters only, a sensible length."""
    value = str(value or "")
    if not _TOKEN_RE.match(value):
        _refuse(_("This page is out of date: reload it and press Pay again."), "token")
    return value


# --- what the order needs ----------------------------------------------------------------------------


def order_waivers_required(*, studio: Studio, client: Client, order: Order) -> list:
    """The waivers `client` must still accept for this order's lines (WAI-5): membership waivers
    for its plans, the booking waivers of its drop-in classes and appointments."""
    from waivers.selectors.status import waivers_missing

    lines = list(order.lines.all())
    plan_ids = [line.plan_id for line in lines if line.kind == OrderLineKind.PLAN and line.plan_id]
    session_ids = [
        line.session_id for line in lines if line.kind == OrderLineKind.DROP_IN and line.session_id
    ]
    template_ids: list[int] = []
    if session_ids:
        from scheduling.models import ClassSession

        template_ids = sorted(
            {
                t
                for t in ClassSession.objects.filter(studio=studio, pk__in=session_ids).values_list(
                    "template_id", flat=True
                )
                if t
            }
        )
    service_ids = [
        line.appointment_service_id
        for line in lines
        if line.kind == OrderLineKind.APPOINTMENT and line.appointment_service_id
    ]
    if not (plan_ids or template_ids or service_ids):
        return []
    return waivers_missing(
        studio=studio,
        client=client,
        plan_ids=plan_ids,
        class_template_ids=template_ids,
        service_ids=service_ids,
        purchase=bool(plan_ids),
        booking=bool(template_ids or service_ids),
    )


def order_saved_cards(*, client: Client, route) -> list[SavedPaymentMethod]:
    """The client's saved cards usable for this order: those on its routed account (SPM-4)."""
    return [
        m
        for m in methods_usable_for(client=client, account=route.account)
        if m.kind == SavedPaymentMethod.Kind.CARD
    ]


def _tax_lines(values) -> tuple[TaxLine, ...]:
    out = []
    for value in values or ():
        if isinstance(value, TaxLine):
            out.append(value)
        elif isinstance(value, dict):
            out.append(
                TaxLine(name=value["name"], rate=Decimal(str(value["rate"])), amount=int(value["amount"]))
            )
        else:  # another app's tax line object (pos pricing): name / rate / amount attributes
            out.append(TaxLine(name=value.name, rate=Decimal(str(value.rate)), amount=int(value.amount)))
    return tuple(out)


def _item_kind(order: Order) -> str:
    """What the payment is for, for the ledger and taxes: the lines' kind when they share one."""
    from checkout.services.cart import order_line_item_kind

    kinds = {order_line_item_kind(line) for line in order.lines.all()}
    return kinds.pop() if len(kinds) == 1 else ItemKind.OTHER


def _description(order: Order) -> str:
    names = [line.description for line in order.lines.all()]
    text = ", ".join(names)
    return text if len(text) <= 200 else text[:197] + "…"


def _application_fee(studio: Studio, amount: int) -> int:
    # The platform's fee on what the card is charged (PAY-8): the one rule, read from quote_build.
    return quote_build(
        studio=studio, subtotal=amount, item_kind=ItemKind.OTHER, by_card=False, rates=[]
    ).application_fee


def _card_quote(studio: Studio, order: Order, quote) -> Quote:
    """The card part, priced from the frozen order: its taxes, its fee; the total is `amount_due`."""
    taxes = _tax_lines(quote.tax_lines)
    tax_total = sum(t.amount for t in taxes)
    subtotal = max(0, int(quote.amount_due) - tax_total - int(quote.card_fee))
    return Quote(
        subtotal=subtotal,
        tax_lines=taxes,
        card_fee=int(quote.card_fee),
        application_fee=_application_fee(studio, int(quote.amount_due)),
    )


def _credit_quote(order: Order, card: Quote | None, credit: int) -> Quote:
    """The credit part: whatever the card does not pay of the order's taxes is in it."""
    card_taxes = {t.name: t.amount for t in (card.tax_lines if card else ())}
    lines = []
    for tax in _tax_lines(order.tax_lines):
        rest = tax.amount - card_taxes.get(tax.name, 0)
        if rest > 0:
            lines.append(TaxLine(name=tax.name, rate=tax.rate, amount=rest))
    tax_total = sum(t.amount for t in lines)
    if tax_total > credit:  # never more tax than the credit taken (rounding of a tiny part)
        lines, tax_total = [], 0
    return Quote(subtotal=credit - tax_total, tax_lines=tuple(lines))


# --- urls ---------------------------------------------------------------------------------------------


def _url(name: str, studio: Studio, **kwargs) -> str:
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def order_done_url(*, studio: Studio, order: Order) -> str:
    return _url("checkout-order-done", studio, token=order.token)


def _absolute(path: str) -> str:
    return django_settings.SITE_URL.rstrip("/") + path


# --- paying -------------------------------------------------------------------------------------------


def order_pay(
    *,
    studio: Studio,
    client: Client,
    order: Order,
    pay_token: str,
    card: str,
    saved_method: SavedPaymentMethod | None = None,
    save_card: bool = False,
    use_credit: bool = False,
    waivers_accepted: list[int],
    ip: str | None,
    user_agent: str,
    now: dt.datetime | None = None,
) -> PayStep:
    """Pay `order` once per `pay_token` (see the module docstring); the next step for the client.

    `card`: "saved" (`saved_method`, one of the client's cards on the routed account), "new"
    (Stripe's fields on the card page; `save_card` with the client's consent keeps it, SPM-3),
    "hosted" (Stripe Checkout) or "none" (credit covers it all). Raises ValidationError with the
    reason, nothing written: not the client's order, not OPEN, empty, lines paid to two
    accounts, a required waiver not ticked, the card missing or not usable here, a place gone.
    """
    from checkout.services import fulfilment
    from checkout.services.cart import order_route, order_route_conflicts
    from checkout.services.pricing import order_quote
    from checkout.services.settings import checkout_settings_for

    now = now or timezone.now()
    pay_token = pay_token_clean(pay_token)
    if card not in CARD_CHOICES:
        _refuse(_("Choose how to pay."), "card")
    if order.studio_id != studio.pk or client.studio_id != studio.pk:
        _refuse(_("This order belongs to another studio."), "studio")
    accepted = {int(x) for x in waivers_accepted}
    if card == "new" and checkout_settings_for(studio=studio).card_form == CardForm.HOSTED:
        card = "hosted"  # the studio has clients type new cards on Stripe's own page

    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=order.pk, studio=studio)
        )
        if locked.client_id != client.pk:
            _refuse(_("This order is not yours."), "owner")
        if locked.pay_token == pay_token:
            replay = True
        else:
            replay = False
            if Order.objects.filter(studio=studio, pay_token=pay_token).exclude(pk=locked.pk).exists():
                _refuse(_("This page is out of date: reload it and press Pay again."), "token")
            _check_payable(studio, client, locked, order_route_conflicts=order_route_conflicts)
            missing = [
                w
                for w in order_waivers_required(studio=studio, client=client, order=locked)
                if w.pk not in accepted
            ]
            if missing:
                from waivers.selectors.blocking import quoted_names

                _refuse(
                    _("Tick the box to accept %(names)s before paying.") % {"names": quoted_names(missing)},
                    "waiver",
                )
            route = order_route(order=locked)
            quote = order_quote(
                order=locked,
                use_credit=use_credit,
                by_card=card != "none",
                credit_balance=credit_balance(client=client) if use_credit else 0,
            )
            amount_due = int(quote.amount_due)
            target = None
            method = Payment.Method.CHECKOUT if card == "hosted" else Payment.Method.CARD
            if amount_due > 0:
                if card == "none":
                    _refuse(_("Choose a card for the rest of the amount."), "card")
                if card == "saved":
                    if saved_method is None or saved_method.client_id != client.pk:
                        _refuse(_("Choose one of your saved cards."), "method")
                    if saved_method.pk not in {m.pk for m in order_saved_cards(client=client, route=route)}:
                        _refuse(
                            _("This card is saved for another location's account: it cannot pay this order."),
                            "account",
                        )
                    method = Payment.Method.SAVED_METHOD
                    target = ChargeTarget(
                        customer_id=saved_method.customer.stripe_customer_id,
                        payment_method_id=saved_method.stripe_payment_method_id,
                        off_session=False,  # the client is here: the bank may ask for 3-D Secure
                    )
            _sign_waivers(studio, client, locked, accepted, ip=ip, user_agent=user_agent, now=now)
            fulfilment.order_hold(studio=studio, order=locked, now=now)
            locked.attempt += 1
            key = f"{SOURCE_KIND}:{locked.pk}:{locked.attempt}"
            kind = _item_kind(locked)
            description = _description(locked)
            first = locked.lines.all()[:1]
            location = first[0].location if first else None
            credit = int(quote.credit_applied)
            # SPM-3: kept only with the client's consent, for a card typed now, where the studio keeps cards.
            keep_card = bool(save_card and card in ("new", "hosted") and saved_methods_enabled(studio=studio))
            card_quote = _card_quote(studio, locked, quote) if amount_due > 0 else None
            credit_payment = None
            if credit > 0:
                credit_payment = payment_record_tender(
                    studio=studio,
                    actor=Actor(user=client.user, ip_address=ip),
                    tender=Payment.Method.CREDIT,
                    client=client,
                    subtotal=credit,
                    item_kind=kind,
                    channel=Channel.ONLINE,
                    description=description,
                    item_location=location,
                    idempotency_key=f"{key}:credit",
                    source_type=SOURCE_KIND,
                    source_id=str(locked.pk),
                    quote=_credit_quote(locked, card_quote, credit),
                )
            payment = None
            if card_quote is not None:
                payment = payment_create(
                    studio=studio,
                    actor=Actor(user=client.user, ip_address=ip),
                    client=client,
                    subtotal=card_quote.subtotal,
                    item_kind=kind,
                    channel=Channel.ONLINE,
                    description=description,
                    method=method,
                    item_location=location,
                    target=target,
                    idempotency_key=key,
                    source_type=SOURCE_KIND,
                    source_id=str(locked.pk),
                    quote=card_quote,
                    route=route,
                    save_method=keep_card,
                )
            locked.status = OrderStatus.PAYING
            locked.pay_token = pay_token
            locked.frozen_at = now
            locked.use_credit = bool(use_credit)
            locked.credit_applied = credit
            locked.card_fee = int(quote.card_fee) if amount_due > 0 else 0
            locked.amount_due = amount_due
            locked.save_card = keep_card
            locked.payment = payment
            locked.credit_payment = credit_payment
            locked.failure_code = ""
            locked.save()
            audit_record(
                studio=studio,
                actor=Actor(user=client.user, ip_address=ip),
                action="checkout.order_paying",
                obj=locked,
                changes={
                    "amount": locked.total,
                    "credit_applied": credit,
                    "card_amount": amount_due,
                    "attempt": locked.attempt,
                    "pay_with": card if amount_due > 0 else "none",
                },
            )
    if replay:
        return order_pay_step(studio=studio, order=locked)
    return _after_commit(studio, locked, card=card, saved_method=saved_method)


def _check_payable(studio: Studio, client: Client, order: Order, *, order_route_conflicts) -> None:
    if order.status == OrderStatus.PAYING:
        _refuse(_("A payment of this order is already in progress."), "paying")
    if order.status != OrderStatus.OPEN:
        _refuse(_("This order is no longer open."), "status")
    if not order.lines.exists():
        _refuse(_("Your cart is empty."), "empty")
    if order.currency and order.currency != studio.currency:
        _refuse(_("This order is in another currency."), "currency")
    if order_route_conflicts(order=order):
        _refuse(
            _(
                "Some items are paid to another location's account: buy them in a separate order "
                "(remove them from this cart)."
            ),
            "route",
        )


def _sign_waivers(studio, client, order, accepted, *, ip, user_agent, now) -> None:
    """Record each required waiver the client ticked, as a checkbox acceptance (WAI-3)."""
    from waivers.models import SignMethod, Waiver
    from waivers.services.signing import waiver_sign

    required = order_waivers_required(studio=studio, client=client, order=order)
    for waiver in required:
        if waiver.pk not in accepted:
            continue
        waiver_sign(
            studio=studio,
            waiver=Waiver.objects.get(studio=studio, pk=waiver.pk),
            client=client,
            signer=client,
            method=SignMethod.CHECKBOX,
            signer_name=client.full_name,
            language=get_language() or client.language or "fr",
            signature_png=None,
            ip_address=ip,
            user_agent=user_agent or "",
            now=now,
        )


def _after_commit(
    studio: Studio, order: Order, *, card: str, saved_method: SavedPaymentMethod | None
) -> PayStep:
    """Stripe, outside the transaction: submit the saved card, open the card page's intent, or
    the hosted session; then what the client does next."""
    payment = Payment.objects.filter(pk=order.payment_id).first() if order.payment_id else None
    if payment is None:
        _settle(order_id=order.pk)
        return order_pay_step(studio=studio, order=order)
    if card == "hosted":
        session = _hosted_session(studio, order, payment)
        if session is not None and session.url:
            return PayStep(status=PayStatus.REDIRECT, redirect_url=session.url)
        return order_pay_step(studio=studio, order=order)
    types = saved_method_types(saved_method.kind) if saved_method is not None else None
    payment = payment_submit(payment=payment, method_types=types)
    _settle(order_id=order.pk)
    return order_pay_step(studio=studio, order=order)


def _hosted_session(studio: Studio, order: Order, payment: Payment):
    """The order's Stripe Checkout session for this payment (payments' `hosted_checkout`)."""
    from payments.services.hosted_checkout import checkout_session_for_payment

    return_path = _url("checkout-return", studio, token=order.token)
    return checkout_session_for_payment(
        payment=payment,
        success_url=_absolute(return_path),
        cancel_url=_absolute(return_path + "?canceled=1"),
        customer_email=(order.client.email or None) if order.client_id else None,
        locale=payment_locale(order),
    )


def payment_locale(order: Order) -> str:
    language = (get_language() or "").split("-")[0]
    return language if language in ("fr", "en") else "auto"


# --- what the client sees next --------------------------------------------------------------------------


def failure_message(code: str) -> str:
    """A refused card attempt, worded from its stored code in the reader's language."""
    if code in ("insufficient_funds",):
        return _("The card was declined for insufficient funds: nothing was charged. Try another card.")
    if code in ("expired_card",):
        return _("This card has expired: nothing was charged. Try another card.")
    if code in ("incorrect_cvc", "invalid_cvc"):
        return _("The card's security code is incorrect: nothing was charged. Try again.")
    if code == CHECKOUT_CANCELED:
        return _("The payment on Stripe's page was cancelled: nothing was charged.")
    if code in ("authentication_required", "canceled", "payment_intent_authentication_failure"):
        return _("The bank's confirmation (3-D Secure) was not completed: nothing was charged. Try again.")
    if code:
        return _("The card was declined: nothing was charged. Try another card.")
    return ""


def order_pay_step(*, studio: Studio, order: Order) -> PayStep:
    """The step the order is at now (read from our rows, plus the intent's secret for 3-D Secure)."""
    order = Order.objects.select_related("client").get(pk=order.pk, studio=studio)
    if order.status == OrderStatus.PAID:
        return PayStep(status=PayStatus.PAID, redirect_url=order_done_url(studio=studio, order=order))
    if order.status != OrderStatus.PAYING:
        return PayStep(
            status=PayStatus.FAILED,
            redirect_url=_url("checkout-review", studio),
            message=failure_message(order.failure_code) if order.failure_code else "",
        )
    payment = Payment.objects.filter(pk=order.payment_id).first() if order.payment_id else None
    return_url = _url("checkout-return", studio, token=order.token)
    if payment is None:
        return PayStep(status=PayStatus.PENDING, redirect_url=return_url)
    if payment.status == Payment.Status.REQUIRES_ACTION:
        secret = payment_client_secret(payment=payment) or ""
        return PayStep(
            status=PayStatus.REQUIRES_ACTION,
            redirect_url=return_url,
            client_secret=secret,
            stripe_account_id=payment.stripe_account_id,
        )
    if payment.status == Payment.Status.PENDING and _is_hosted(order, payment):
        session = _hosted_session(studio, order, payment)
        if session is not None and session.url and session.status == "open":
            return PayStep(status=PayStatus.REDIRECT, redirect_url=session.url)
    elif (
        payment.status == Payment.Status.PENDING
        and payment.method == Payment.Method.CARD
        and payment.stripe_payment_intent_id
        and not payment.outcome_unknown
    ):
        return PayStep(
            status=PayStatus.CARD,
            redirect_url=_url("checkout-card", studio, token=order.token),
            stripe_account_id=payment.stripe_account_id,
        )
    return PayStep(status=PayStatus.PENDING, redirect_url=return_url)


def _is_hosted(order: Order, payment: Payment) -> bool:
    # Paid on Stripe Checkout's page: never submitted by us, its intent is created by the session.
    return payment.method == Payment.Method.CHECKOUT and not payment.stripe_payment_intent_id


# --- settling -------------------------------------------------------------------------------------------


def order_payment_settle(*, studio: Studio, order: Order) -> Order:
    """Read the order's card payment back from Stripe (back from 3-D Secure, Stripe Checkout or
    the card page; the status poll) and settle the order — the outcome hook's path."""
    order = Order.objects.get(pk=order.pk, studio=studio)
    if order.status != OrderStatus.PAYING:
        return order
    payment = Payment.objects.filter(pk=order.payment_id).first() if order.payment_id else None
    if payment is not None and payment.status in (
        Payment.Status.PENDING,
        Payment.Status.PROCESSING,
        Payment.Status.REQUIRES_ACTION,
    ):
        if _is_hosted(order, payment):
            _read_hosted(studio, order, payment)
        else:
            payment_reconcile(payment=payment)
    return _settle(order_id=order.pk)


def _read_hosted(studio: Studio, order: Order, payment: Payment) -> None:
    from payments.services.hosted_checkout import checkout_session_read

    session = _hosted_session(studio, order, payment)
    if session is not None:
        checkout_session_read(payment=payment, session=session)


def _expire_hosted(studio: Studio, order: Order, payment: Payment) -> None:
    """Close the Stripe Checkout session the client left; paid meanwhile, it is recorded instead."""
    from payments.services.hosted_checkout import checkout_session_expire

    session = _hosted_session(studio, order, payment)
    if session is not None:
        checkout_session_expire(payment=payment, session=session)


def order_payment_abandon(*, studio: Studio, client: Client, order: Order) -> Order:
    """The client gives up the attempt in progress (a 3-D Secure step left, the card page
    closed) to choose another way: the intent is cancelled at Stripe first, so it can never be
    confirmed late; if it went through meanwhile, the order is paid instead."""
    order = Order.objects.get(pk=order.pk, studio=studio)
    if order.client_id != client.pk:
        _refuse(_("This order is not yours."), "owner")
    return _abandon(studio, order)


#: A payment left this long unfinished (the 3-D Secure window, the card page, Stripe's page closed)
#: gives its places, stock and credit back: the sweep cancels it (`orders_paying_expire`).
STALE_AFTER = dt.timedelta(hours=1)


def orders_paying_expire(*, studio: Studio, now: dt.datetime | None = None, older_than=STALE_AFTER) -> int:
    """The sweep (a worker task, not in a transaction): every order of `studio` PAYING for longer
    than `older_than` is settled if Stripe has answered meanwhile, else its payment is cancelled at
    Stripe first, then the order released and reopened. Returns how many were reopened."""
    now = now or timezone.now()
    reopened = 0
    stale = Order.objects.filter(studio=studio, status=OrderStatus.PAYING, frozen_at__lt=now - older_than)
    for order in list(stale.order_by("frozen_at", "id")):
        order = order_payment_settle(studio=studio, order=order)
        if order.status == OrderStatus.PAYING:
            order = _abandon(studio, order)
        reopened += order.status == OrderStatus.OPEN
    return reopened


def _abandon(studio: Studio, order: Order) -> Order:
    from payments.services.terminal import reader_payment_cancel

    if order.status != OrderStatus.PAYING:
        return order
    payment = Payment.objects.filter(pk=order.payment_id).first() if order.payment_id else None
    if payment is not None and payment.status not in Payment.FINAL_STATUSES:
        if _is_hosted(order, payment):
            _expire_hosted(studio, order, payment)
        else:
            # Cancelled at Stripe first (a 3-D Secure step, the card page's intent); approved
            # meanwhile, it is recorded as such (payments' one cancel for unconfirmed card intents).
            reader_payment_cancel(payment=payment)
    return _settle(order_id=order.pk)


def _settle(*, order_id: int, now: dt.datetime | None = None) -> Order:
    """The one settle path (hook, return page, poll): under the order's row lock, a PAYING order
    whose card part succeeded becomes PAID; refused or cancelled, it goes back to OPEN, its holds
    and its credit given back. Anything else (still waiting) changes nothing. Idempotent."""
    from checkout.services import fulfilment

    now = now or timezone.now()
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("studio").get(pk=order_id)
        if locked.status != OrderStatus.PAYING:
            return locked
        studio = locked.studio
        card = Payment.objects.filter(pk=locked.payment_id).first() if locked.payment_id else None
        credit = (
            Payment.objects.filter(pk=locked.credit_payment_id).first() if locked.credit_payment_id else None
        )
        if card is None:
            if credit is None or credit.status == Payment.Status.SUCCEEDED:
                return fulfilment.order_mark_paid(studio=studio, order=locked, now=now)
            return locked
        if card.status == Payment.Status.SUCCEEDED:
            return fulfilment.order_mark_paid(studio=studio, order=locked, now=now)
        if card.status not in (Payment.Status.FAILED, Payment.Status.CANCELED):
            return locked
        fulfilment.order_release(studio=studio, order=locked, now=now)
        if (
            credit is not None
            and credit.status == Payment.Status.SUCCEEDED
            and credit.amount_refunded < credit.amount
        ):
            refund_create(
                studio=studio,
                actor=SYSTEM,
                payment=credit,
                amount=credit.amount - credit.amount_refunded,
                destination=Refund.Destination.CREDIT,
                reason=_order_label(locked),
            )
        locked.status = OrderStatus.OPEN
        locked.frozen_at = None
        locked.failure_code = (card.failure_code or card.status)[:60]
        locked.save(update_fields=["status", "frozen_at", "failure_code", "updated_at"])
        audit_record(
            studio=studio,
            actor=SYSTEM,
            action="checkout.order_payment_failed",
            obj=locked,
            changes={"failure_code": locked.failure_code, "attempt": locked.attempt},
        )
    return locked


def _order_label(order: Order) -> str:
    # Stored on the refund as its reason: a code-like reference, never a translated sentence.
    return f"checkout_order:{order.pk}:{order.attempt}"


def order_on_payment_outcome(outcome) -> None:
    """The `checkout_order` source kind's hook (the worker, once per final state change): settle
    the order its card part (or, with no card part, its credit part) belongs to. Refunds change
    nothing here. A payment of an earlier attempt is not the order's any more: it is left alone."""
    if outcome.state not in ("succeeded", "failed", "canceled"):
        return
    payment = outcome.payment
    try:
        order_id = int(payment.source_id)
    except (TypeError, ValueError):
        return
    order = Order.objects.filter(studio_id=payment.studio_id, pk=order_id).first()
    if order is None:
        return
    if payment.pk == order.payment_id or (order.payment_id is None and payment.pk == order.credit_payment_id):
        _settle(order_id=order.pk)
    elif payment.pk != order.credit_payment_id and outcome.state == "succeeded":
        logger.error("online order %s: a payment of an earlier attempt (%s) succeeded", order.pk, payment.pk)


def register() -> None:
    """Pay's registrations: the payment source kind and the audit words."""
    from django.utils.translation import gettext_lazy

    from payments.services.sources import source_kind_register
    from studio import beat, navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    source_kind_register(SOURCE_KIND, on_outcome=order_on_payment_outcome)
    # Every 15 minutes: orders paying for over an hour are settled from Stripe or given back.
    beat.register(
        "checkout-sweep-paying-orders", task="checkout.sweep_paying_orders_all_studios", schedule=900.0
    )
    navigation.add_settings_tab(
        NavEntry(
            gettext_lazy("Online checkout"),
            "checkout-settings",
            perm=Perm.MANAGE_SETTINGS,
            settings_tab="checkout-settings",
        )
    )
    audit.register_actions(
        {
            "checkout.order_paying": gettext_lazy("Online order: payment started"),
            "checkout.order_payment_failed": gettext_lazy("Online order: card payment refused"),
            "checkout.settings_updated": gettext_lazy("Checkout settings changed"),
        }
    )
    audit.register_fields(
        {
            "credit_applied": audit.Field(gettext_lazy("Studio credit used"), audit.money),
            "card_amount": audit.Field(gettext_lazy("Charged to the card"), audit.money),
            "attempt": audit.Field(gettext_lazy("Attempt")),
            "pay_with": audit.Field(gettext_lazy("Paid with")),
            "failure_code": audit.Field(gettext_lazy("Reason code")),
            "card_form": audit.Field(gettext_lazy("Card entry")),
        }
    )
