"""Stripe Terminal (POS-2, POS-3): pairing card readers, tips on them, and paying on one.

Routing (PAY-3): a reader is registered on the account its location's POS sales go to — rule 1,
the location's own account when it can charge, else the studio's default (`reader_account_for`) —
inside a Terminal location created on that account on demand to mirror ours. A payment taken on it is routed to the same account, so
the reader and the payment always agree (`payment_create(reader=…)` checks it).

Paying on a reader follows the three phases of `payments.services.common`: the POS commits a
PENDING `card_present` payment (`payment_create`), `reader_payment_start` creates its intent with
the payment's own key (`payment_submit`) and pushes it to the reader — both outside any
transaction — and the result is recorded by `payment_record` from whichever comes first: the
clerk's screen polling (`reader_payment_state`) or Stripe's webhook. Recording never moves a
payment backwards, so the second to arrive changes nothing. A declined card leaves the payment
FAILED (the POS starts a new payment for the next card); a lost answer leaves it PENDING with
`outcome_unknown` until the next poll or `payment_reconcile` settles it with the same key, so the
card is never charged twice.

Tips (POS-3): the POS settings give the percentages (`terminal_tipping_apply`); payments keeps
the wish on the studio's payment settings and brings each account's Terminal configuration in
line with it (again on the next reader payment when Stripe could not be reached).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from payments import gateway
from payments.models import CardReader, ConnectedAccount, Payment, PaymentSettings, TerminalLocation
from payments.selectors import reader_get, readers_for_location, readers_for_studio
from payments.services.charges import (
    payment_reconcile,
    payment_record,
    payment_record_failure,
    payment_submit,
)
from payments.services.common import account_ref
from payments.services.fees import payment_settings_for
from studio.compiled_sql import compiled_instance, compiled_joined, compiled_rows
from studio.models import Location, Studio
from studio.services import Actor, audit_record
from studio.tasking import enqueue_by_name

logger = logging.getLogger(__name__)

__all__ = [
    "ReaderPaymentState",
    "ReaderState",
    "reader_delete",
    "reader_get",
    "reader_payment_cancel",
    "reader_payment_describe",
    "reader_payment_start",
    "reader_payment_state",
    "reader_refresh",
    "reader_register",
    "reader_rename",
    "readers_for_location",
    "readers_for_studio",
    "terminal_location_ensure",
    "terminal_tipping_apply",
    "terminal_tipping_sync",
]

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Stripe's registration codes are words joined by hyphens ("sepia-cerulean-aqua"); the sandbox's
# are `simulated-wpe`/`simulated-s700`. Anything else cannot be one, so it never reaches Stripe.
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,99}$")
LABEL_MAX = CardReader._meta.get_field("label").max_length

_FINAL = Payment.FINAL_STATUSES

#: failure codes we set ourselves, beside Stripe's
STAFF_CANCELED = "staff_canceled"
READER_OFFLINE = "terminal_reader_offline"
READER_BUSY = "terminal_reader_busy"


# --- readers (POS-2) ---------------------------------------------------------------------------


def _address(location: Location) -> dict:
    """Our location's address as Stripe's Terminal location wants it (empty parts left out)."""
    return {
        "line1": location.address_line,
        "city": location.city,
        "state": location.region,
        "postal_code": location.postal_code,
        "country": location.country or "CA",
    }


def terminal_location_ensure(
    *, studio: Studio, location: Location, account: ConnectedAccount
) -> TerminalLocation:
    """The Terminal location mirroring `location` on `account`, created at Stripe on first need.

    The row is unique per (location, account) and its idempotency key is derived from that pair,
    so two first pairings at once send the same keyed request and Stripe creates one location.
    """
    key = f"terminal_location:{location.pk}:{account.pk}"
    try:
        with transaction.atomic():
            row, _created = TerminalLocation.objects.get_or_create(
                studio=studio, location=location, account=account, defaults={"idempotency_key": key}
            )
    except IntegrityError:
        row = TerminalLocation.objects.get(studio=studio, location=location, account=account)
    if row.stripe_location_id:
        return row
    remote = gateway.terminal_location_create(
        account=account.stripe_account_id,
        idempotency_key=row.idempotency_key,
        display_name=location.name[:100],
        address=_address(location),
    )
    TerminalLocation.objects.filter(pk=row.pk, stripe_location_id="").update(stripe_location_id=remote.id)
    row.refresh_from_db()
    return row


def _clean_label(label: str) -> str:
    label = " ".join((label or "").split())
    if not label:
        raise ValidationError(_("Give the reader a name."), code="label")
    if len(label) > LABEL_MAX or "\x00" in label:
        raise ValidationError(
            _("A reader's name is at most %(max)s characters.") % {"max": LABEL_MAX}, code="label"
        )
    return label


def _registration_refused() -> ValidationError:
    return ValidationError(
        _(
            "Stripe did not accept this registration code. Check the three words shown on the reader "
            "(Settings → Generate pairing code) and type them again; a code is valid for a few minutes only."
        ),
        code="registration_code",
    )


def _last_seen(remote: gateway.types.Reader) -> datetime | None:
    if isinstance(remote.last_seen_at, int) and remote.last_seen_at > 0:
        return datetime.fromtimestamp(remote.last_seen_at / 1000, tz=UTC)
    return None


def reader_account_for(*, studio: Studio, location: Location) -> ConnectedAccount | None:
    """The account a reader at `location` is paired on: where that location's POS sales go (PAY-3:
    rule 1, the location's own account when it can charge, else the studio's default — a reader
    must sit on the account its payments are made on). None: no account can take payments yet."""
    from payments.models.settings import Channel, ItemKind
    from payments.services.routing import Purchase, route_payment

    route = route_payment(
        studio=studio,
        purchase=Purchase(channel=Channel.POS, item_kind=ItemKind.POS_SALE, pos_location=location),
    )
    return route.account


def reader_register(
    *,
    studio: Studio,
    actor: Actor,
    location: Location,
    label: str,
    registration_code: str,
    request_token: str,
) -> CardReader:
    """Pair a reader with a home location, on the account its POS sales go to (`reader_account_for`).

    Refused with a ValidationError that says why (its `code`: `location`, `account`,
    `registration_code`, `label`, `token`, `stripe`): not one of this studio's home locations, no
    account able to charge serves it, the code refused by Stripe. The Terminal location mirroring
    ours is created on demand. A second click of the same form (same `request_token`) sends the
    same keyed request, so Stripe pairs once and the same reader is returned.
    """
    label = _clean_label(label)
    code = (registration_code or "").strip().lower()
    if not _CODE_RE.match(code):
        raise _registration_refused()
    if not _TOKEN_RE.match(request_token or ""):
        raise ValidationError(_("This form has expired: reload the page and try again."), code="token")
    if location.studio_id != studio.pk or not location.is_home_location or location.is_archived:
        raise ValidationError(
            _("Card readers can only be paired with one of the studio's home locations."), code="location"
        )
    account = reader_account_for(studio=studio, location=location)
    if account is None:
        raise ValidationError(
            _(
                "No payment account that can take payments serves %(location)s yet: connect one (or finish its "
                "onboarding) before pairing a reader there."
            )
            % {"location": location.name},
            code="account",
        )
    try:
        terminal = terminal_location_ensure(studio=studio, location=location, account=account)
        remote = gateway.terminal_reader_create(
            account=account.stripe_account_id,
            idempotency_key=f"reader_register:{studio.pk}:{request_token}",
            registration_code=code,
            label=label,
            location_id=terminal.stripe_location_id,
        )
    except gateway.IdempotencyConflict:
        raise ValidationError(
            _("This form was already sent with other values: reload the page and try again."), code="token"
        ) from None
    except gateway.InvalidRequest as exc:
        if (
            exc.param == "registration_code"
            or "registration" in (exc.code or "")
            or "registration" in (exc.message or "").lower()
        ):
            raise _registration_refused() from None
        if (exc.param or "").startswith("address"):
            raise ValidationError(
                _(
                    "Stripe needs the full address of %(location)s (street, city, province or state, postal "
                    "code): complete it in the location's settings, then try again."
                )
                % {"location": location.name},
                code="location",
            ) from None
        raise ValidationError(
            _("Stripe refused the pairing — %(message)s") % {"message": exc.message}, code="stripe"
        ) from None
    except gateway.StripeUnavailable:
        raise ValidationError(
            _("Stripe could not be reached: nothing was paired. Try again in a moment."), code="stripe"
        ) from None
    now = timezone.now()
    try:
        with transaction.atomic():
            reader = CardReader.objects.create(
                studio=studio,
                location=location,
                account=account,
                terminal_location=terminal,
                stripe_reader_id=remote.id,
                label=label,
                device_type=remote.device_type[:40],
                serial_number=remote.serial_number[:64],
                status=CardReader.Status.ONLINE if remote.status == "online" else CardReader.Status.OFFLINE,
                last_seen_at=_last_seen(remote),
                status_checked_at=now,
                created_by=actor.user,
            )
            audit_record(
                studio=studio,
                actor=actor,
                action="card_reader.registered",
                obj=reader,
                changes={
                    "reader_location": location.pk,
                    "account": account.display_name,
                    "device_type": reader.device_type,
                    "serial_number": reader.serial_number,
                },
            )
    except IntegrityError:
        # The same click twice: Stripe answered the second with the first's reader.
        reader = CardReader.objects.get(studio=studio, stripe_reader_id=remote.id)
        if reader.deleted_at is not None:
            raise ValidationError(
                _("This form was already used for a reader that has since been deleted: reload the page."),
                code="token",
            ) from None
        return reader
    _tipping_sync_quietly(studio=studio, account=account)
    return reader


def reader_rename(*, studio: Studio, actor: Actor, reader: CardReader, label: str) -> CardReader:
    """Rename a reader, at Stripe then here (each rename is its own keyed request)."""
    label = _clean_label(label)
    if label == reader.label:
        return reader
    with transaction.atomic():
        locked = CardReader.objects.select_for_update().get(pk=reader.pk, studio=studio)
        locked.revision += 1
        locked.save(update_fields=["revision"])
    try:
        gateway.terminal_reader_update(
            account=reader.account.stripe_account_id,
            reader_id=reader.stripe_reader_id,
            label=label,
            idempotency_key=f"reader_update:{reader.pk}:{locked.revision}",
        )
    except gateway.InvalidRequest:
        raise ValidationError(
            _("Stripe no longer knows this reader: delete it here and pair it again."), code="stripe"
        ) from None
    except gateway.StripeUnavailable:
        raise ValidationError(
            _("Stripe could not be reached: the name was not changed. Try again in a moment."), code="stripe"
        ) from None
    with transaction.atomic():
        locked = CardReader.objects.select_for_update().get(pk=reader.pk)
        before = locked.label
        locked.label = label
        locked.save(update_fields=["label"])
        audit_record(
            studio=studio,
            actor=actor,
            action="card_reader.renamed",
            obj=locked,
            changes={"label": {"from": before, "to": label}},
        )
    return locked


def reader_delete(*, studio: Studio, actor: Actor, reader: CardReader) -> None:
    """Unpair a reader: deleted at Stripe (it must be paired again to be used), then soft-deleted
    here so the payments it took keep naming it."""
    if reader.deleted_at is not None:
        return
    try:
        gateway.terminal_reader_delete(
            account=reader.account.stripe_account_id,
            reader_id=reader.stripe_reader_id,
            idempotency_key=f"reader_delete:{reader.pk}",
        )
    except gateway.InvalidRequest:
        pass  # already gone at Stripe (deleted from its dashboard): forgetting it here is all that is left
    except gateway.StripeUnavailable:
        raise ValidationError(
            _("Stripe could not be reached: the reader was not deleted. Try again in a moment."),
            code="stripe",
        ) from None
    with transaction.atomic():
        updated = CardReader.objects.filter(pk=reader.pk, studio=studio, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        if updated:
            audit_record(
                studio=studio,
                actor=actor,
                action="card_reader.deleted",
                obj=reader,
                changes={"reader_location": reader.location_id, "serial_number": reader.serial_number},
            )
    reader.refresh_from_db()


def reader_refresh(*, reader: CardReader) -> CardReader:
    """Ask Stripe whether the reader is online, and when it was last seen; stored on the row.

    ValidationError when Stripe cannot be reached (nothing changed) or no longer knows the reader
    (then it is marked offline).
    """
    try:
        remote = gateway.terminal_reader_retrieve(
            account=reader.account.stripe_account_id, reader_id=reader.stripe_reader_id
        )
    except gateway.InvalidRequest:
        CardReader.objects.filter(pk=reader.pk).update(
            status=CardReader.Status.OFFLINE, status_checked_at=timezone.now()
        )
        reader.refresh_from_db()
        raise ValidationError(
            _("Stripe no longer knows this reader: delete it here and pair it again."), code="stripe"
        ) from None
    except gateway.StripeUnavailable:
        raise ValidationError(
            _("Stripe could not be reached to check the reader. Try again in a moment."), code="stripe"
        ) from None
    _note_reader_status(reader, remote)
    reader.refresh_from_db()
    return reader


def _note_reader_status(reader: CardReader, remote: gateway.types.Reader) -> None:
    status = CardReader.Status.ONLINE if remote.status == "online" else CardReader.Status.OFFLINE
    fields = {"status": status, "status_checked_at": timezone.now(), "device_type": remote.device_type[:40]}
    seen = _last_seen(remote)
    if seen is not None:
        fields["last_seen_at"] = seen
    elif status == CardReader.Status.ONLINE:
        fields["last_seen_at"] = fields["status_checked_at"]
    if remote.serial_number:
        fields["serial_number"] = remote.serial_number[:64]
    CardReader.objects.filter(pk=reader.pk).update(**fields)
    reader.status = status


# --- tips on the reader (POS-3) ----------------------------------------------------------------


def _normalized_tips(tip_percentages: list[int] | None) -> list[int] | None:
    if tip_percentages is None:
        return None
    tips = list(tip_percentages)
    if (
        not tips
        or len(tips) > 3
        or len(set(tips)) != len(tips)
        or any(isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 100 for p in tips)
    ):
        raise ValueError("tip percentages are one to three distinct whole numbers between 1 and 100")
    return tips


def terminal_tipping_apply(*, studio: Studio, tip_percentages: list[int] | None) -> bool:
    """Offer tips on the studio's readers at these percentages (None: no tip screen).

    The wish is stored first (readers paired later get it too), then every account with a
    Terminal location gets a Terminal configuration holding it and its locations point at it.
    Returns True when Stripe has it everywhere; else the rest is retried by a task and again on
    the next reader payment that asks for a tip.
    """
    tips = _normalized_tips(tip_percentages)
    with transaction.atomic():
        settings = PaymentSettings.objects.select_for_update().get(pk=payment_settings_for(studio=studio).pk)
        settings.terminal_tip_percentages = tips
        settings.save(update_fields=["terminal_tip_percentages"])
    done = terminal_tipping_sync(studio=studio)
    if not done:
        enqueue_by_name("payments.terminal_tipping_sync", studio.pk)
    return done


def _wanted_tips(studio: Studio) -> list[int]:
    return list(payment_settings_for(studio=studio).terminal_tip_percentages or [])


def _needs_sync(row: TerminalLocation, wanted: list[int]) -> bool:
    if not row.stripe_location_id:
        return False
    if not wanted and not row.configuration_id:
        return False  # never had tips: nothing to turn off
    return row.tipping_applied != wanted


def terminal_tipping_sync(*, studio: Studio, account: ConnectedAccount | None = None) -> bool:
    """Bring the Terminal configurations of the studio's accounts (or of one) in line with the
    stored wish. Returns True when every one is; Stripe failures are logged, left for a retry."""
    wanted = _wanted_tips(studio)
    rows = TerminalLocation.objects.filter(studio=studio).select_related("account")
    if account is not None:
        rows = rows.filter(account=account)
    accounts = {row.account_id: row.account for row in rows if _needs_sync(row, wanted)}
    done = True
    for target in accounts.values():
        try:
            _sync_account(studio, target, wanted)
        except gateway.GatewayError as exc:
            logger.warning("tipping for account %s not applied: %s", target.pk, exc)
            done = False
    return done


def _sync_account(studio: Studio, account: ConnectedAccount, wanted: list[int]) -> None:
    with transaction.atomic():
        rows = list(
            TerminalLocation.objects.select_for_update().filter(studio=studio, account=account).order_by("pk")
        )
        configuration_id = next((r.configuration_id for r in rows if r.configuration_id), None)
        version = max(r.configuration_version for r in rows) + 1
        TerminalLocation.objects.filter(pk__in=[r.pk for r in rows]).update(configuration_version=version)
    new_id = gateway.terminal_configuration_upsert(
        account=account.stripe_account_id,
        idempotency_key=f"terminal_configuration:{account.pk}:{version}",
        configuration_id=configuration_id,
        currency=studio.currency,
        tip_percentages=wanted or None,
    )
    for row in rows:
        if row.stripe_location_id and row.configuration_id != new_id:
            gateway.terminal_location_update(
                account=account.stripe_account_id,
                location_id=row.stripe_location_id,
                idempotency_key=f"terminal_location_configuration:{row.pk}:{new_id}",
                configuration_id=new_id,
            )
        TerminalLocation.objects.filter(pk=row.pk).update(configuration_id=new_id, tipping_applied=wanted)


def _tipping_sync_quietly(*, studio: Studio, account: ConnectedAccount) -> None:
    if not terminal_tipping_sync(studio=studio, account=account):
        enqueue_by_name("payments.terminal_tipping_sync", studio.pk)


# --- paying on a reader (POS-3) ----------------------------------------------------------------


class ReaderState:
    WAITING = "waiting"
    PRESENTED = "presented"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReaderPaymentState:
    """Where a reader payment stands: a code (`ReaderState`), a sentence for the clerk in the
    active language, and the payment as recorded now."""

    code: str
    message: str
    payment: Payment

    @property
    def is_final(self) -> bool:
        return self.payment.status in _FINAL


def _decline_reason(code: str, message: str) -> str:
    reasons = {
        "insufficient_funds": _("insufficient funds"),
        "expired_card": _("the card has expired"),
        "incorrect_cvc": _("the security code is wrong"),
        "incorrect_pin": _("the PIN is wrong"),
        "pin_try_exceeded": _("too many wrong PINs"),
        "lost_card": _("the card was refused"),
        "stolen_card": _("the card was refused"),
        "card_not_supported": _("this card is not accepted"),
        "processing_error": _("an error while processing the card"),
    }
    if code in reasons:
        return reasons[code]
    if code in ("card_declined", "generic_decline", "do_not_honor", ""):
        return _("the card was declined")
    return message or _("the card was declined")


def _failure_kind(code: str) -> str:
    code = (code or "").lower()
    if code == READER_OFFLINE or "offline" in code:
        return ReaderState.OFFLINE
    if "timeout" in code or "timed_out" in code:
        return ReaderState.TIMED_OUT
    if "cancel" in code or code == READER_BUSY:
        return ReaderState.CANCELED
    return ReaderState.DECLINED


def reader_payment_describe(*, payment: Payment) -> ReaderPaymentState:
    """The state of a reader payment as recorded, worded for the clerk — no call to Stripe."""
    reader = payment.reader.label if payment.reader_id else _("the reader")
    if payment.status == Payment.Status.SUCCEEDED:
        if payment.card_last4:
            message = _("Approved — %(brand)s •••• %(last4)s.") % {
                "brand": (payment.card_brand or _("card")).replace("_", " ").title(),
                "last4": payment.card_last4,
            }
        else:
            message = _("Approved.")
        return ReaderPaymentState(ReaderState.APPROVED, message, payment)
    if payment.status in (Payment.Status.FAILED, Payment.Status.CANCELED):
        kind = _failure_kind(payment.failure_code)
        if payment.status == Payment.Status.CANCELED and kind == ReaderState.DECLINED:
            kind = ReaderState.CANCELED
        if payment.failure_code == STAFF_CANCELED:
            message = _("Cancelled at the counter: nothing was charged.")
        elif payment.failure_code == READER_BUSY:
            message = _("The reader is busy with another payment: finish or cancel it there, then try again.")
        elif kind == ReaderState.OFFLINE:
            message = _(
                "The reader “%(reader)s” is offline: check that it is on and connected to Wi-Fi, then try again."
            ) % {"reader": reader}
        elif kind == ReaderState.TIMED_OUT:
            message = _("The reader stopped waiting for a card: nothing was charged. Try again.")
        elif kind == ReaderState.CANCELED and not payment.failure_code:
            message = _("The payment was cancelled: nothing was charged.")
        elif kind == ReaderState.CANCELED:
            message = _("Cancelled on the reader: nothing was charged.")
        else:
            message = _("Declined: %(reason)s. Ask for another card.") % {
                "reason": _decline_reason(payment.failure_code, payment.failure_message)
            }
        return ReaderPaymentState(kind, message, payment)
    if payment.outcome_unknown:
        return ReaderPaymentState(
            ReaderState.UNKNOWN, _("Checking with Stripe — do not charge again."), payment
        )
    if payment.status in (Payment.Status.PROCESSING, Payment.Status.AUTHORIZED):
        return ReaderPaymentState(ReaderState.PRESENTED, _("Card presented — processing…"), payment)
    return ReaderPaymentState(
        ReaderState.WAITING,
        _("Waiting for the card on “%(reader)s”.") % {"reader": reader},
        payment,
    )


def _fresh_query(*, studio_id: int, payment_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(pk=payment_id).select_related("reader", "reader__account")


def _fresh(payment: Payment) -> Payment:
    """The payment as it is now, with its reader and the reader's account, as
    `Payment.objects.select_related("reader", "reader__account").get(pk=)` reads it. Every start,
    poll and cancel of a reader payment reads it two or three times: its SQL is compiled once per
    process (`studio.compiled_sql`, in the payment's studio), held to the ORM by
    `payments/tests/test_charge_compiled.py`."""
    with scope(studio=payment.studio_id):
        rows = compiled_rows("payments-reader-payment", _fresh_query, payment_id=payment.pk)
    if not rows:
        raise Payment.DoesNotExist("No payment matches the given query.")
    fresh, end = compiled_instance(Payment, rows[0])
    reader, end = compiled_joined(fresh, "reader", rows[0], end)
    if reader is not None:
        compiled_joined(reader, "account", rows[0], end)
    return fresh


def _recorded(payment: Payment, *, reader: CardReader | None) -> Payment:
    """The row a recording service just committed (`payment_record`, `payment_submit`), with the
    reader (and its account) the caller already holds: the row is not read a third time."""
    if reader is None or payment.reader_id != reader.pk:
        return _fresh(payment)
    payment.reader = reader
    return payment


def _unknown(payment: Payment, message: str | None = None) -> ReaderPaymentState:
    return ReaderPaymentState(
        ReaderState.UNKNOWN, message or _("Checking with Stripe — do not charge again."), payment
    )


def reader_payment_start(*, payment: Payment, reader: CardReader, tipping: bool) -> ReaderPaymentState:
    """Create the payment's `card_present` intent and push it to `reader`. Outside any transaction.

    `payment`: PENDING, made by `payment_create(method=CARD_PRESENT, …)` on the reader's account
    (with the client's Stripe customer and `setup_future_usage` when `payment.save_method`).
    `tipping`: the reader offers the studio's tip choices on the payment's amount. Calling it again
    for the same payment repeats the same keyed requests: one intent, one push, one charge.
    """
    if payment.method != Payment.Method.CARD_PRESENT:
        raise ValueError("only a card_present payment is taken on a reader")
    if reader.deleted_at is not None or reader.studio_id != payment.studio_id:
        raise ValidationError(_("This reader is no longer paired: choose another one."), code="reader")
    if payment.account_id != reader.account_id:
        raise ValidationError(
            _(
                "This reader takes payments for another account than the one this sale is paid to: pick a "
                "reader of the selling location."
            ),
            code="reader",
        )
    if payment.reader_id not in (None, reader.pk):
        raise ValueError("a payment is pushed to one reader only; start a new payment for another")
    unchanged = payment.reader_id == reader.pk and payment.tip_requested == bool(tipping)
    if not payment.stripe_payment_intent_id and not payment.outcome_unknown and not unchanged:
        # Fixed before the first push: a push repeated later must send the same request (a
        # payment made for this reader without tips already says so: nothing to write).
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            reader=reader, tip_requested=bool(tipping)
        )
    payment = _fresh(payment)
    if payment.status in _FINAL:
        return reader_payment_describe(payment=payment)
    if payment.tip_requested:
        _ensure_tipping(payment.reader)
    if payment.status == Payment.Status.PENDING and not payment.stripe_payment_intent_id:
        payment = _recorded(payment_submit(payment=payment), reader=payment.reader)
    if payment.status in _FINAL:
        return reader_payment_describe(payment=payment)
    if payment.outcome_unknown or not payment.stripe_payment_intent_id:
        return _unknown(payment)
    return _push(payment)


def _ensure_tipping(reader: CardReader) -> None:
    """Re-apply the studio's tip choices where an earlier attempt could not reach Stripe."""
    terminal = TerminalLocation.objects.filter(pk=reader.terminal_location_id).first()
    if terminal is None:
        return
    studio = Studio.objects.get(pk=reader.studio_id)
    if _needs_sync(terminal, _wanted_tips(studio)):
        terminal_tipping_sync(studio=studio, account=reader.account)


def _push(payment: Payment) -> ReaderPaymentState:
    reader = payment.reader
    try:
        remote = gateway.terminal_reader_process_payment_intent(
            account=reader.account.stripe_account_id,
            reader_id=reader.stripe_reader_id,
            payment_intent_id=payment.stripe_payment_intent_id,
            idempotency_key=f"reader_process:{payment.idempotency_key}",
            # Tips are offered on what was bought, not on the card fee (nor a tip already added).
            tipping_eligible_amount=(payment.amount - payment.card_fee_amount - payment.tip_amount)
            if payment.tip_requested
            else None,
        )
    except gateway.IdempotencyConflict:
        raise  # our keys are wrong: a bug, never a state to show
    except gateway.InvalidRequest as exc:
        code = exc.code or ""
        if code == READER_OFFLINE or "offline" in code:
            CardReader.objects.filter(pk=reader.pk).update(
                status=CardReader.Status.OFFLINE, status_checked_at=timezone.now()
            )
            return _abandon(payment, code=READER_OFFLINE, message=exc.message)
        if code == READER_BUSY or "busy" in code:
            return _abandon(payment, code=READER_BUSY, message=exc.message)
        return _abandon(payment, code=code or "reader_refused", message=exc.message)
    except gateway.StripeUnavailable:
        return _unknown(payment)
    _note_reader_status(reader, remote)
    return reader_payment_describe(payment=_fresh(payment))


def _abandon(payment: Payment, *, code: str, message: str) -> ReaderPaymentState:
    """The reader refused the payment before any card: cancel its intent (nobody will confirm it),
    record it CANCELED with the reason, and let the POS start a new payment."""
    try:
        intent = gateway.payment_intent_cancel(
            account=account_ref(payment),
            payment_intent_id=payment.stripe_payment_intent_id,
            idempotency_key=f"cancel:{payment.idempotency_key}",
        )
    except gateway.InvalidRequest:
        return reader_payment_state(payment=payment)  # no longer cancelable: it moved on at Stripe
    except gateway.StripeUnavailable:
        return _unknown(payment)
    payment = payment_record(payment=payment, intent=intent, source="api")
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CANCELED, failure_code="").update(
        failure_code=code[:60], failure_message=(message or "")[:300]
    )
    return reader_payment_describe(payment=_fresh(payment))


def reader_payment_state(*, payment: Payment) -> ReaderPaymentState:
    """One poll of a reader payment: read the reader's action and the intent, record the payment
    (`payment_record`: a webhook that came first makes this a no-op), and say where it stands."""
    payment = _fresh(payment)
    if payment.status in _FINAL:
        return reader_payment_describe(payment=payment)
    if payment.outcome_unknown or not payment.stripe_payment_intent_id:
        if not payment.outcome_unknown:
            if payment.reader is None:
                return reader_payment_describe(payment=payment)
            # Committed but never started (the request that made it died before Stripe was
            # called): start it now, with what was asked then — the same keyed requests.
            try:
                return reader_payment_start(
                    payment=payment, reader=payment.reader, tipping=payment.tip_requested
                )
            except gateway.IdempotencyConflict:
                return _unknown(payment)  # the starting request is still talking to Stripe
        payment = _fresh(payment_reconcile(payment=payment))
        if payment.status in _FINAL:
            return reader_payment_describe(payment=payment)
        if payment.outcome_unknown or not payment.stripe_payment_intent_id:
            return _unknown(payment)
    reader = payment.reader
    if reader is None:
        raise ValueError("not a reader payment")
    try:
        intent = gateway.payment_intent_retrieve(
            account=account_ref(payment), payment_intent_id=payment.stripe_payment_intent_id
        )
        payment = payment_record(payment=payment, intent=intent, source="api")
        if payment.status in _FINAL:
            return reader_payment_describe(payment=_recorded(payment, reader=reader))
        remote = gateway.terminal_reader_retrieve(
            account=reader.account.stripe_account_id, reader_id=reader.stripe_reader_id
        )
    except gateway.InvalidRequest:
        return reader_payment_describe(payment=_fresh(payment))
    except gateway.StripeUnavailable:
        return _unknown(_fresh(payment), _("Stripe cannot be reached right now — still checking."))
    _note_reader_status(reader, remote)
    action = remote.action
    if action is not None and action.payment_intent_id == intent.id:
        if action.status == "failed":
            payment_record_failure(
                payment=payment,
                code=action.failure_code or "reader_failed",
                message=action.failure_message or "",
                intent_id=intent.id,
                source="api",
            )
        return reader_payment_describe(payment=_fresh(payment))
    if remote.status != "online":
        return ReaderPaymentState(
            ReaderState.OFFLINE,
            _("The reader “%(reader)s” is offline: check that it is on and connected to Wi-Fi.")
            % {"reader": reader.label},
            _fresh(payment),
        )
    # The reader is not working on this intent: our push never reached it (its answer was lost).
    # Pushing again with the same key either does it now or replays the first answer.
    return _push(_fresh(payment))


def reader_payment_cancel(*, payment: Payment) -> ReaderPaymentState:
    """The clerk cancels: stop the reader and cancel the intent, so it can never be charged. If
    the card went through meanwhile, the state says `approved` (read back from Stripe)."""
    payment = _fresh(payment)
    if payment.status in _FINAL:
        return reader_payment_describe(payment=payment)
    if not payment.stripe_payment_intent_id:
        # Never sent, or its answer lost: send it with its own key (the same intent if another
        # request is creating it right now), so that cancelling it at Stripe closes every path.
        payment = _fresh(
            payment_reconcile(payment=payment) if payment.outcome_unknown else payment_submit(payment=payment)
        )
        if payment.status in _FINAL:
            return reader_payment_describe(payment=payment)
        if not payment.stripe_payment_intent_id:
            return _unknown(payment)
    reader = payment.reader
    if reader is not None:
        try:
            gateway.terminal_reader_cancel_action(
                account=reader.account.stripe_account_id,
                reader_id=reader.stripe_reader_id,
                idempotency_key=f"reader_cancel:{payment.idempotency_key}",
            )
        except gateway.InvalidRequest:
            pass  # nothing in progress on the reader (finished, or offline): the intent decides
        except gateway.StripeUnavailable:
            return _unknown(
                payment, _("Stripe cannot be reached right now: the payment was not cancelled yet.")
            )
    try:
        intent = gateway.payment_intent_cancel(
            account=account_ref(payment),
            payment_intent_id=payment.stripe_payment_intent_id,
            idempotency_key=f"cancel:{payment.idempotency_key}",
        )
    except gateway.InvalidRequest:
        return reader_payment_state(payment=payment)  # it succeeded (or failed) meanwhile
    except gateway.StripeUnavailable:
        return _unknown(payment, _("Stripe cannot be reached right now: the payment was not cancelled yet."))
    payment = payment_record(payment=payment, intent=intent, source="api")
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CANCELED, failure_code="").update(
        failure_code=STAFF_CANCELED
    )
    return reader_payment_describe(payment=_fresh(payment))


def reader_present_test_card(
    *, payment: Payment, amount_tip: int | None = None, card_number: str | None = None
) -> CardReader:
    """Test mode only (the sandbox, Stripe's test mode): tap a test card on the simulated reader
    the payment was pushed to, with the tip the client chose on it (the demo's day of sales, added
    by helper tender). The result comes back like any other: by the poll or the webhook."""
    payment = _fresh(payment)
    reader = payment.reader
    if reader is None:
        raise ValueError("not a reader payment")
    gateway.terminal_reader_present_test_card(
        account=reader.account.stripe_account_id,
        reader_id=reader.stripe_reader_id,
        idempotency_key=f"reader_present:{payment.idempotency_key}",
        card_number=card_number,
        amount_tip=amount_tip,
    )
    return reader
