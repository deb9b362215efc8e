"""Invoices and payment links with deposits (PAY-11).

Staff create an invoice (lines or one amount, taxes per line from the payments tax rates, an
optional deposit as an amount or a percentage) and email its link; the client pays the deposit,
any part or the whole on the hosted page `/<studio>/pay/<token>/`.

Each part follows the three phases of every money service (`payments.services.charges`):
`invoice_pay_start` locks the invoice row, checks the amount against the balance less the parts
still in progress (so two payers at once can never pay more than the total), and commits the
part with its PENDING payment (source kind `invoice`, keyed `invoice_payment:<part id>`); Stripe
is called after the commit; Stripe.js confirms the card (3-D Secure included) and
`invoice_pay_settle` reads the payment back on return. The outcome hook (and the return) then
recompute `amount_paid` from the parts' payments — succeeded ones, less their settled refunds —
so a webhook heard twice, or a return racing the webhook, never counts a part twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Invoice, InvoiceLine, InvoicePayment, Payment, Refund, TaxRate
from payments.models.invoices import TOKEN_MAX_LENGTH, DepositKind, InvoiceStatus, VoidReason
from payments.models.settings import Channel, ItemKind
from payments.services.charges import payment_create, payment_reconcile, payment_submit
from payments.services.fees import TaxLine, quote_build
from payments.services.routing import Purchase, Route, route_payment
from studio.models import Client, Location, Studio
from studio.money import format_money, percent_of
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, Placeholder, register
from studio.notifications.services import ReaderDate, notification_send
from studio.services import SYSTEM, Actor, audit_record

SOURCE_KIND = "invoice"
#: The first reminder goes this many days before the due date; the second on it.
REMINDER_DAYS_BEFORE = 3
#: The link keeps working this many days past the due date (a late payer can still pay).
LINK_DAYS_AFTER_DUE = 30
#: How far ahead a due date may be set.
DUE_DATE_MAX_DAYS = 730
MAX_LINES = 20
#: A part not settled yet: it holds its share of the balance until it succeeds or ends.
IN_PROGRESS = (
    Payment.Status.PENDING,
    Payment.Status.REQUIRES_ACTION,
    Payment.Status.PROCESSING,
    Payment.Status.AUTHORIZED,
)

TEMPLATE_LINK = "payments.invoice_link"
TEMPLATE_REMINDER = "payments.invoice_reminder"
TEMPLATE_PAID = "payments.invoice_paid"


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: int
    unit_amount: int
    tax_kind: str = ""  # an ItemKind code whose tax rates apply, or "" for none


@dataclass(frozen=True)
class PricedLine:
    line: LineInput
    amount: int
    tax_lines: tuple[TaxLine, ...]

    @property
    def tax_amount(self) -> int:
        return sum(t.amount for t in self.tax_lines)


@dataclass(frozen=True)
class InvoiceTotals:
    lines: tuple[PricedLine, ...]
    subtotal: int
    tax_lines: tuple[TaxLine, ...]  # per tax name and rate, summed over the lines

    @property
    def tax_total(self) -> int:
        return sum(t.amount for t in self.tax_lines)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax_total


def studio_today(*, studio: Studio, now: dt.datetime | None = None) -> dt.date:
    """Today in the studio's zone (due dates and reminders are the studio's calendar days)."""
    now = now or timezone.now()
    try:
        zone = zoneinfo.ZoneInfo(studio.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


def invoice_price(*, lines: list[LineInput], rates: list[TaxRate]) -> InvoiceTotals:
    """Price lines: each line's taxes (rate × line amount, rounded half-up per line and tax, as
    the POS does), summed per tax over the invoice. Pure: the caller reads the rates once."""
    priced = []
    totals: dict[tuple[str, Decimal], int] = {}
    for line in lines:
        amount = line.quantity * line.unit_amount
        taxes = tuple(
            TaxLine(name=r.name, rate=r.rate, amount=percent_of(amount, r.rate))
            for r in rates
            if line.tax_kind and line.tax_kind in r.item_kinds
        )
        for tax in taxes:
            totals[(tax.name, tax.rate)] = totals.get((tax.name, tax.rate), 0) + tax.amount
        priced.append(PricedLine(line=line, amount=amount, tax_lines=taxes))
    return InvoiceTotals(
        lines=tuple(priced),
        subtotal=sum(p.amount for p in priced),
        tax_lines=tuple(TaxLine(name=n, rate=r, amount=a) for (n, r), a in totals.items()),
    )


def deposit_for(*, total: int, kind: str, value: Decimal | int) -> int:
    """The deposit in minor units: a fixed amount (never above the total) or a percentage of the
    total, rounded half-up to the cent (30 % of 100,01 $ is 30,00 $; of 100,05 $, 30,02 $)."""
    if kind == DepositKind.AMOUNT:
        return min(int(value), total)
    if kind == DepositKind.PERCENT:
        return min(percent_of(total, Decimal(value)), total)
    return 0


def _link_expiry(studio: Studio, due_date: dt.date) -> dt.datetime:
    """The end of the studio's day `LINK_DAYS_AFTER_DUE` days after the due date."""
    try:
        zone = zoneinfo.ZoneInfo(studio.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    last_day = due_date + dt.timedelta(days=LINK_DAYS_AFTER_DUE)
    return dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=zone)


def _check_lines(lines: list[LineInput]) -> None:
    if not lines:
        raise ValidationError(_("Add at least one line."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(_("At most %(n)d lines.") % {"n": MAX_LINES}, code="too_many_lines")
    kinds = set(ItemKind.values)
    for line in lines:
        if not line.description.strip() or len(line.description) > 200:
            raise ValidationError(_("Each line needs a description."), code="description")
        if not 1 <= line.quantity <= 1000:
            raise ValidationError(_("A quantity is between 1 and 1000."), code="quantity")
        if line.unit_amount < 0:
            raise ValidationError(_("A price cannot be negative."), code="price")
        if line.tax_kind and line.tax_kind not in kinds:
            raise ValidationError(_("Choose taxes from the list."), code="tax_kind")


def invoice_create(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    lines: list[LineInput],
    due_date: dt.date,
    deposit_kind: str = DepositKind.NONE,
    deposit_value: Decimal | int = 0,
    memo: str = "",
    location: Location | None = None,
    now: dt.datetime | None = None,
) -> Invoice:
    """Create an OPEN invoice numbered next in the studio, priced, with its link's token.

    Refuses (ValidationError) a client or location of another studio, no line, a total of zero,
    a due date in the past or more than two years ahead, a deposit of zero or not below the total
    (a deposit of the whole is no deposit), a percentage outside 1–99.
    """
    if client.studio_id != studio.pk or (location is not None and location.studio_id != studio.pk):
        raise ValidationError(_("Choose a client of this studio."), code="client")
    _check_lines(lines)
    today = studio_today(studio=studio, now=now)
    if not today <= due_date <= today + dt.timedelta(days=DUE_DATE_MAX_DAYS):
        raise ValidationError(_("The due date is between today and two years from now."), code="due_date")
    rates = list(TaxRate.objects.filter(studio=studio, archived_at__isnull=True))
    totals = invoice_price(lines=lines, rates=rates)
    if totals.total <= 0:
        raise ValidationError(_("The invoice's total must be more than zero."), code="total")
    if deposit_kind not in DepositKind.values:
        raise ValidationError(_("Choose a kind of deposit."), code="deposit")
    if deposit_kind == DepositKind.PERCENT and not Decimal(1) <= Decimal(deposit_value) <= Decimal(99):
        raise ValidationError(_("A deposit percentage is between 1 and 99."), code="deposit")
    deposit = deposit_for(total=totals.total, kind=deposit_kind, value=deposit_value)
    if deposit_kind != DepositKind.NONE and not 0 < deposit < totals.total:
        raise ValidationError(
            _("The deposit must be more than zero and less than the total (%(total)s).")
            % {
                "total": format_money(
                    totals.total, studio.currency, language=translation.get_language() or "en"
                )
            },
            code="deposit",
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                number = (Invoice.objects.filter(studio=studio).aggregate(n=Max("number"))["n"] or 0) + 1
                invoice = Invoice.objects.create(
                    studio=studio,
                    number=number,
                    client=client,
                    currency=studio.currency,
                    subtotal=totals.subtotal,
                    tax_lines=[t.as_json() for t in totals.tax_lines],
                    tax_total=totals.tax_total,
                    total=totals.total,
                    deposit_kind=deposit_kind,
                    deposit_value=Decimal(deposit_value) if deposit_kind != DepositKind.NONE else 0,
                    deposit_amount=deposit,
                    due_date=due_date,
                    token=secrets.token_urlsafe(32),
                    link_expires_at=_link_expiry(studio, due_date),
                    location=location,
                    memo=memo[:500],
                    created_by=actor.user,
                )
                InvoiceLine.objects.bulk_create(
                    [
                        InvoiceLine(
                            studio=studio,
                            invoice=invoice,
                            position=i,
                            description=p.line.description[:200],
                            quantity=p.line.quantity,
                            unit_amount=p.line.unit_amount,
                            tax_kind=p.line.tax_kind,
                            amount=p.amount,
                            tax_lines=[t.as_json() for t in p.tax_lines],
                            tax_amount=p.tax_amount,
                        )
                        for i, p in enumerate(totals.lines)
                    ]
                )
                audit_record(
                    studio=studio,
                    actor=actor,
                    action="invoice.created",
                    obj=invoice,
                    changes={"invoice_number": number, "amount": totals.total, "deposit": deposit},
                )
            return invoice
        except IntegrityError:
            continue  # another invoice took the number meanwhile: take the next one
    raise ValidationError(_("The invoice could not be numbered; try again."), code="number")


# --- the link and its emails -----------------------------------------------------------------------


def invoice_pay_url(*, invoice: Invoice) -> str:
    """The absolute address of the invoice's payment link (for any email, automated ones too)."""
    path = reverse("pay-link", kwargs={"studio_slug": invoice.studio.slug, "token": invoice.token})
    return settings.SITE_URL.rstrip("/") + path


def pay_link_placeholder(
    *, key: str = "invoice", name: str = "payment_link", required: bool = False
) -> Placeholder:
    """A placeholder another mail template may declare: the payment link of the invoice its send
    context carries under `key` (an automated email can then include "{payment_link}")."""
    return Placeholder(
        name=name,
        label=gettext_lazy("Payment link of the invoice"),
        read=lambda c: invoice_pay_url(invoice=c[key]) if c.get(key) is not None else "",
        sample="https://atelier.example/lotus/pay/abc123/",
        required=required,
        kind="link",
    )


class _Money:
    """An amount formatted in the language active when the message renders (each addressee's)."""

    def __init__(self, amount: int, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    def __str__(self) -> str:
        return format_money(self.amount, self.currency, language=translation.get_language() or "en")


_INVOICE_PLACEHOLDERS = (
    ph.client_first_name(),
    ph.client_name(),
    ph.value("invoice_number", gettext_lazy("Invoice number"), key="number", sample="12"),
    ph.link("link", gettext_lazy("Payment link"), key="url"),
    ph.amount("amount_due", gettext_lazy("Balance due"), key="balance", sample=10500),
    ph.amount("total", gettext_lazy("Invoice total"), key="total", sample=15000),
    ph.amount("deposit", gettext_lazy("Deposit"), key="deposit", sample=4500),
    ph.when("due_date", gettext_lazy("Due date"), key="due", day_only=True),
)
_VARIABLES = ("client", "invoice", "number", "url", "balance", "total", "deposit", "due", "kind", "memo")


def register_emails() -> None:
    """The invoice's three emails (call from payments' ready(); registering twice is harmless)."""
    register(
        MailTemplate(
            name=TEMPLATE_LINK,
            label=gettext_lazy("Payment link of an invoice"),
            files="payments/invoices/email/link",
            variables=_VARIABLES,
            placeholders=_INVOICE_PLACEHOLDERS,
        )
    )
    register(
        MailTemplate(
            name=TEMPLATE_REMINDER,
            label=gettext_lazy("Invoice reminder"),
            files="payments/invoices/email/reminder",
            variables=_VARIABLES,
            placeholders=_INVOICE_PLACEHOLDERS,
        )
    )
    register(
        MailTemplate(
            name=TEMPLATE_PAID,
            label=gettext_lazy("Invoice payment received"),
            files="payments/invoices/email/paid",
            variables=(*_VARIABLES, "paid"),
            placeholders=(
                *_INVOICE_PLACEHOLDERS,
                ph.amount("paid", gettext_lazy("Amount just paid"), key="paid", sample=4500),
            ),
        )
    )


def _mail_context(invoice: Invoice, **extra) -> dict:
    return {
        "client": invoice.client,
        "invoice": invoice,
        "number": invoice.number,
        "url": invoice_pay_url(invoice=invoice),
        "balance": _Money(invoice.balance_due, invoice.currency),
        "total": _Money(invoice.total, invoice.currency),
        "deposit": _Money(invoice.deposit_due, invoice.currency) if invoice.deposit_due else "",
        "due": ReaderDate(invoice.due_date, "DATE_FORMAT"),
        "memo": invoice.memo,
        **extra,
    }


def invoice_send(*, studio: Studio, actor: Actor, invoice: Invoice, now: dt.datetime | None = None) -> int:
    """Email the invoice's link to its client (or their guardians); returns how many messages.

    Refused when the invoice is paid or cancelled, or nobody has an email address.
    """
    if invoice.studio_id != studio.pk:
        raise ValidationError(_("This invoice is not the studio's."), code="studio")
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError(_("Only an open invoice can be sent."), code="status")
    with transaction.atomic():
        messages = notification_send(
            studio=studio, recipient=invoice.client, template=TEMPLATE_LINK, context=_mail_context(invoice)
        )
        if not messages:
            raise ValidationError(
                _("The client has no email address: add one to the client's profile, or copy the link."),
                code="no_address",
            )
        invoice.sent_at = now or timezone.now()
        invoice.save(update_fields=["sent_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="invoice.sent",
            obj=invoice,
            changes={"invoice_number": invoice.number},
        )
    return len(messages)


# --- void ------------------------------------------------------------------------------------------


def invoice_void(
    *, studio: Studio, actor: Actor, invoice: Invoice, reason: str, now: dt.datetime | None = None
) -> Invoice:
    """Cancel an unpaid invoice: its link then says so. Refused once anything was paid on it, or
    while a payment on it is in progress (it may still succeed: wait until it settles)."""
    if reason not in VoidReason.values:
        raise ValidationError(_("Choose a reason."), code="reason")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(studio=studio, pk=invoice.pk)
        if locked.status == InvoiceStatus.VOID:
            return locked
        parts = InvoicePayment.objects.filter(studio=studio, invoice=locked).select_related("payment")
        statuses = [p.payment.status for p in parts if p.payment_id]
        if locked.status == InvoiceStatus.PAID or Payment.Status.SUCCEEDED in statuses:
            raise ValidationError(
                _("Part of this invoice was paid: it cannot be cancelled. Refund the payments first."),
                code="paid",
            )
        if any(s in IN_PROGRESS for s in statuses):
            raise ValidationError(
                _("A payment on this invoice is in progress: wait until it succeeds or fails."),
                code="in_progress",
            )
        locked.status = InvoiceStatus.VOID
        locked.voided_at = now or timezone.now()
        locked.void_reason = reason
        locked.save(update_fields=["status", "voided_at", "void_reason"])
        audit_record(
            studio=studio,
            actor=actor,
            action="invoice.voided",
            obj=locked,
            changes={"invoice_number": locked.number, "void_reason": reason},
        )
    return locked


# --- paying on the link ----------------------------------------------------------------------------


def invoice_link_state(*, invoice: Invoice, now: dt.datetime | None = None) -> str:
    """What the link shows: "void", "paid", "expired" or "open"."""
    if invoice.status == InvoiceStatus.VOID:
        return "void"
    if invoice.status == InvoiceStatus.PAID:
        return "paid"
    if (now or timezone.now()) > invoice.link_expires_at:
        return "expired"
    return "open"


def invoice_in_progress(*, invoice: Invoice) -> int:
    """What parts still in progress hold of the balance (minor units)."""
    return (
        InvoicePayment.objects.filter(
            studio_id=invoice.studio_id, invoice=invoice, payment__status__in=IN_PROGRESS
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def invoice_part_in_progress(*, invoice: Invoice) -> InvoicePayment | None:
    """The newest part of the invoice still in progress (its card page not confirmed yet)."""
    return (
        InvoicePayment.objects.filter(
            studio_id=invoice.studio_id, invoice=invoice, payment__status__in=IN_PROGRESS
        )
        .order_by("-created_at", "-id")
        .first()
    )


def invoice_route(*, invoice: Invoice) -> Route:
    """PAY-3 for an invoice: billed at a home location → that location's account (rule 2, as an
    appointment or a product sold there); else the client's home location (rule 3), else the
    default (rule 4)."""
    home = invoice.client.home_location
    if invoice.location_id is not None:
        # A location-bound kind makes the engine apply rule 2; the payment itself stays "other".
        purchase = Purchase(
            channel=Channel.ONLINE,
            item_kind=ItemKind.APPOINTMENT,
            item_location=invoice.location,
            client_home_location=home,
        )
    else:
        purchase = Purchase(channel=Channel.ONLINE, item_kind=ItemKind.OTHER, client_home_location=home)
    return route_payment(studio=invoice.studio, purchase=purchase)


def _check_pay_token(token: str) -> str:
    token = (token or "").strip()
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isascii() or "\x00" in token:
        raise ValidationError(_("This form has expired: reload the page."), code="token")
    return token


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, language=translation.get_language() or "en")


def invoice_pay_start(
    *, studio: Studio, invoice: Invoice, amount: int, pay_token: str, now: dt.datetime | None = None
) -> InvoicePayment:
    """Start paying `amount` of the invoice's balance by card on its link; exactly once per
    `pay_token` (the same token answers with the part it made, nothing is sent again).

    Under the invoice's row lock: the link must be open (not cancelled, paid or expired), and
    1 ¢ ≤ amount ≤ balance due less the parts in progress — so two payers at once can never
    overpay. The part and its PENDING payment (PAY-8 card fee on the amount paid when passed on,
    routed by `invoice_route`) commit together; Stripe is called after the commit.
    """
    pay_token = _check_pay_token(pay_token)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise ValidationError(_("Enter an amount to pay."), code="amount")
    if invoice.studio_id != studio.pk:
        raise ValidationError(_("This invoice is not the studio's."), code="studio")
    existing = (
        InvoicePayment.objects.filter(studio=studio, pay_token=pay_token).select_related("payment").first()
    )
    if existing is None:
        invoice_release_abandoned(studio=studio, invoice=invoice, now=now)
        try:
            with transaction.atomic():
                existing = _commit_part(
                    studio=studio, invoice=invoice, amount=amount, pay_token=pay_token, now=now
                )
        except IntegrityError:
            # One of two parallel submits of the same form: the other one made the part.
            existing = InvoicePayment.objects.filter(studio=studio, pay_token=pay_token).first()
            if existing is None:
                raise
    if existing.invoice_id != invoice.pk:
        raise ValidationError(_("This form has expired: reload the page."), code="token")
    payment = Payment.objects.get(pk=existing.payment_id)
    if payment.status == Payment.Status.PENDING and not payment.stripe_payment_intent_id:
        payment_submit(payment=payment)  # same key: a repeat of a lost call is answered, not charged twice
    return InvoicePayment.objects.select_related("payment").get(pk=existing.pk)


#: A card page left this long without confirming is abandoned: its part stops holding the balance.
ABANDONED_AFTER = dt.timedelta(minutes=30)


def invoice_release_abandoned(*, studio: Studio, invoice: Invoice, now: dt.datetime | None = None) -> int:
    """Cancel, at Stripe first, the parts whose card page was left unconfirmed (or whose 3-D Secure
    step was never finished) for `ABANDONED_AFTER`, so they stop holding the balance. A part the
    client finished meanwhile is recorded as it really is (read back from Stripe). Outside any
    transaction (it calls Stripe); returns how many were released."""
    from payments import gateway
    from payments.services.charges import payment_cancel_unconfirmed, payment_record
    from payments.services.common import account_ref

    now = now or timezone.now()
    stale = Payment.objects.filter(
        studio=studio,
        source_type=SOURCE_KIND,
        source_id__in=[
            str(pk)
            for pk in InvoicePayment.objects.filter(
                studio=studio, invoice=invoice, created_at__lte=now - ABANDONED_AFTER
            ).values_list("pk", flat=True)
        ],
        status__in=(Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION),
    )
    released = 0
    for payment in stale:
        payment = payment_reconcile(payment=payment) if payment.stripe_payment_intent_id else payment
        if payment.status == Payment.Status.REQUIRES_ACTION:
            payment = payment_cancel_unconfirmed(payment=payment)
        elif payment.status == Payment.Status.PENDING and payment.stripe_payment_intent_id:
            try:
                intent = gateway.payment_intent_cancel(
                    account=account_ref(payment),
                    payment_intent_id=payment.stripe_payment_intent_id,
                    idempotency_key=f"cancel:{payment.idempotency_key}",
                )
            except gateway.GatewayError:
                continue  # moved on at Stripe, or unreachable: the next attempt or reconcile settles it
            payment = payment_record(payment=payment, intent=intent, source="api")
        if payment.status not in IN_PROGRESS:
            released += 1
    return released


def _commit_part(
    *, studio: Studio, invoice: Invoice, amount: int, pay_token: str, now: dt.datetime | None
) -> InvoicePayment:
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("client", "client__home_location", "location", "studio")
        .get(studio=studio, pk=invoice.pk)
    )
    state = invoice_link_state(invoice=locked, now=now)
    if state == "void":
        raise ValidationError(_("This invoice was cancelled."), code="void")
    if state == "paid":
        raise ValidationError(_("This invoice is paid in full."), code="paid")
    if state == "expired":
        raise ValidationError(_("This payment link has expired."), code="expired")
    # Read from the payments, not `amount_paid`: a part may have succeeded a moment ago, before
    # its hook brought the invoice up to date.
    paid, in_progress = _parts_summary(studio=studio, invoice=locked)
    available = locked.total - paid - in_progress
    if available <= 0:
        raise ValidationError(
            _("A payment of the rest of this invoice is in progress; reload the page in a moment."),
            code="in_progress",
        )
    if amount > available:
        if in_progress:
            message = _(
                "You can pay at most %(max)s now (the balance is %(balance)s, and %(pending)s is being paid)."
            )
        else:
            message = _("That is more than the balance due: pay at most %(max)s.")
        raise ValidationError(
            message
            % {
                "max": _money(available, locked.currency),
                "balance": _money(locked.total - paid, locked.currency),
                "pending": _money(in_progress, locked.currency),
            },
            code="overpaid",
        )
    # The invoice's total already holds its taxes: the payment carries none of its own, only the
    # card fee on the amount paid when the studio passes it on (PAY-8).
    quote = quote_build(studio=studio, subtotal=amount, item_kind=ItemKind.OTHER, rates=[])
    part = InvoicePayment.objects.create(
        studio=studio, invoice=locked, amount=amount, card_fee=quote.card_fee, pay_token=pay_token
    )
    with translation.override(studio.language or settings.LANGUAGE_CODE):
        description = _("Invoice #%(number)s") % {"number": locked.number}
    payment = payment_create(
        studio=studio,
        actor=SYSTEM,
        client=locked.client,
        subtotal=amount,
        item_kind=ItemKind.OTHER,
        channel=Channel.ONLINE,
        description=description,
        item_location=locked.location,
        idempotency_key=f"invoice_payment:{part.pk}",
        source_type=SOURCE_KIND,
        source_id=str(part.pk),
        quote=quote,
        route=invoice_route(invoice=locked),
    )
    part.payment = payment
    part.save(update_fields=["payment"])
    return part


def invoice_pay_settle(*, studio: Studio, part: InvoicePayment) -> Invoice:
    """Back from Stripe.js (or 3-D Secure): read the part's payment back, then bring the invoice
    up to date. The same path as the outcome hook; repeating it changes nothing."""
    if part.studio_id != studio.pk:
        raise ValidationError(_("This invoice is not the studio's."), code="studio")
    payment = Payment.objects.get(pk=part.payment_id)
    if payment.status in IN_PROGRESS:
        payment_reconcile(payment=payment)
    return invoice_recompute(studio=studio, invoice_id=part.invoice_id)


def _parts_summary(*, studio: Studio, invoice: Invoice) -> tuple[int, int]:
    """(paid, in progress) of the invoice's parts, read from their payments in one query: paid is
    what succeeded less its settled refunds — a refund gives back the balance part first, the card
    fee being the studio's cost either way — and in progress what parts not settled yet hold."""
    rows = (
        InvoicePayment.objects.filter(
            studio=studio, invoice=invoice, payment__status__in=(Payment.Status.SUCCEEDED, *IN_PROGRESS)
        )
        .annotate(
            refunded=Coalesce(
                Sum("payment__refunds__amount", filter=Q(payment__refunds__status=Refund.Status.SUCCEEDED)),
                0,
            )
        )
        .values_list("amount", "refunded", "payment__status")
    )
    paid = in_progress = 0
    for amount, refunded, status in rows:
        if status == Payment.Status.SUCCEEDED:
            paid += max(0, amount - refunded)
        else:
            in_progress += amount
    return paid, in_progress


def invoice_recompute(*, studio: Studio, invoice_id: int, now: dt.datetime | None = None) -> Invoice:
    """Set `amount_paid` from the parts' payments (succeeded, less their settled refunds), and
    the status: PAID with `paid_at` once nothing is due, OPEN again if a refund reopened it."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(studio=studio, pk=invoice_id)
        paid, _in_progress = _parts_summary(studio=studio, invoice=locked)
        fields = []
        if paid != locked.amount_paid:
            locked.amount_paid = paid
            fields.append("amount_paid")
        if locked.status != InvoiceStatus.VOID:
            status = InvoiceStatus.PAID if paid >= locked.total else InvoiceStatus.OPEN
            if status != locked.status:
                locked.status = status
                locked.paid_at = (now or timezone.now()) if status == InvoiceStatus.PAID else None
                fields += ["status", "paid_at"]
        if fields:
            locked.save(update_fields=fields)
    return locked


def invoice_on_outcome(outcome) -> None:
    """The `invoice` source kind's hook: the part's payment ended (or was refunded): recompute the
    invoice, and when it succeeded, email the client a confirmation of what was paid."""
    from payments.models.ledger import PaymentOutcome

    part = (
        InvoicePayment.objects.filter(studio_id=outcome.studio_id, pk=int(outcome.payment.source_id))
        .select_related("invoice__studio", "invoice__client")
        .first()
    )
    if part is None:
        return
    studio = part.invoice.studio
    invoice = invoice_recompute(studio=studio, invoice_id=part.invoice_id)
    if outcome.state == PaymentOutcome.State.SUCCEEDED:
        invoice.client = part.invoice.client
        invoice.studio = studio
        notification_send(
            studio=studio,
            recipient=invoice.client,
            template=TEMPLATE_PAID,
            context=_mail_context(invoice, paid=_Money(part.amount + part.card_fee, invoice.currency)),
        )


# --- reminders -------------------------------------------------------------------------------------


#: A link emailed this recently needs no "due in a few days" reminder on top of it.
JUST_SENT = dt.timedelta(days=1)


def invoice_reminders_send(*, studio: Studio, now: dt.datetime | None = None) -> int:
    """Email each open invoice's client `REMINDER_DAYS_BEFORE` days before its due date (unless the
    link was emailed within the last day) and on it, once each (the row locked, its mark and the
    message committed together); returns how many messages."""
    today = studio_today(studio=studio, now=now)
    now = now or timezone.now()
    candidates = Invoice.objects.filter(
        studio=studio, status=InvoiceStatus.OPEN, link_expires_at__gt=now
    ).filter(
        Q(
            Q(sent_at__isnull=True) | Q(sent_at__lte=now - JUST_SENT),
            reminder_before_sent_at__isnull=True,
            due_date__lte=today + dt.timedelta(days=REMINDER_DAYS_BEFORE),
            due_date__gt=today,
        )
        | Q(reminder_due_sent_at__isnull=True, due_date__lte=today)
    )
    sent = 0
    for invoice_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("client", "studio")
                .get(studio=studio, pk=invoice_id)
            )
            if invoice.status != InvoiceStatus.OPEN:
                continue
            if invoice.due_date <= today and invoice.reminder_due_sent_at is None:
                kind, field = "due", "reminder_due_sent_at"
                invoice.reminder_before_sent_at = invoice.reminder_before_sent_at or now  # never after it
            elif (
                invoice.due_date > today
                and invoice.reminder_before_sent_at is None
                and not (invoice.sent_at and invoice.sent_at > now - JUST_SENT)
            ):
                kind, field = "before", "reminder_before_sent_at"
            else:
                continue
            setattr(invoice, field, now)
            invoice.save(update_fields=["reminder_before_sent_at", "reminder_due_sent_at"])
            sent += len(
                notification_send(
                    studio=studio,
                    recipient=invoice.client,
                    template=TEMPLATE_REMINDER,
                    context=_mail_context(invoice, kind=kind),
                )
            )
    return sent
