"""Escrow (PAY-6, seed 000): payments taken on the platform before a studio could charge.

balance = succeeded escrow payments − what was refunded (or is reserved for a pending refund)
          − payout requests not rejected (requested or paid).

A studio asks for its money with the bank details seed 000 lists; the platform operator pays it
by hand and marks it paid in the Django admin. Requests lock the Studio row, so two requests at
once can never ask for more than the balance.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from payments.models import EscrowPayoutRequest, Payment
from studio.models import Studio
from studio.money import format_money
from studio.services import Actor, audit_record

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def _compact(value: str) -> str:
    return re.sub(r"[\s\-.]", "", value or "").upper()


def looks_like_iban(value: str) -> bool:
    compact = _compact(value)
    return len(compact) >= 2 and compact[:2].isalpha()


def iban_is_valid(value: str) -> bool:
    """ISO 13616: two letters, two check digits, then the national number; mod 97 of the rearranged digits is 1."""
    compact = _compact(value)
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def clean_account_number(value: str) -> str:
    """An IBAN (checked) or a domestic account number (5–17 digits). Returns it compacted."""
    compact = _compact(value)
    if looks_like_iban(compact):
        if not iban_is_valid(compact):
            raise ValidationError(_("This IBAN is not valid (check the digits)."), code="iban")
        return compact
    if not compact.isdigit() or not 5 <= len(compact) <= 17:
        raise ValidationError(
            _("Enter an account number of 5 to 17 digits, or an IBAN."), code="account_number"
        )
    return compact


def clean_routing_number(value: str) -> str:
    """Canada: transit (5 digits) + institution (3 digits), or the 9-digit electronic form; US: ABA (9)."""
    compact = _compact(value)
    if not compact:
        return ""
    if not compact.isdigit() or len(compact) not in (8, 9):
        raise ValidationError(
            _(
                "Enter the transit and institution numbers (8 digits, e.g. 12345-003) "
                "or a 9-digit routing number."
            ),
            code="routing_number",
        )
    return compact


def clean_bic(value: str) -> str:
    compact = _compact(value)
    if compact and not _BIC.match(compact):
        raise ValidationError(
            _("A BIC / SWIFT code has 8 or 11 letters and digits (e.g. ROYCCAT2)."), code="bic"
        )
    return compact


def escrow_balance(*, studio: Studio) -> int:
    """What the platform still holds for the studio, in minor units (never below zero)."""
    taken = Payment.objects.filter(studio=studio, is_escrow=True, status=Payment.Status.SUCCEEDED).aggregate(
        amount=Sum("amount"), refunded=Sum("amount_refunded")
    )
    asked = (
        EscrowPayoutRequest.objects.filter(studio=studio)
        .exclude(status=EscrowPayoutRequest.Status.REJECTED)
        .aggregate(total=Sum("amount"))
    )
    balance = int(taken["amount"] or 0) - int(taken["refunded"] or 0) - int(asked["total"] or 0)
    return max(balance, 0)


def escrow_payout_request(
    *,
    studio: Studio,
    actor: Actor,
    amount: int,
    legal_name: str,
    account_type: str,
    routing_number: str,
    account_number: str,
    bic: str,
    address: str,
    bank_code: str = "",
) -> EscrowPayoutRequest:
    """File a payout request for `amount` minor units of the escrow balance, with seed 000's bank details."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="amount")
    if account_type not in EscrowPayoutRequest.AccountType.values:
        raise ValidationError(_("Choose the account type."), code="account_type")
    if not legal_name.strip() or not address.strip():
        raise ValidationError(_("The account holder's legal name and address are required."), code="required")
    account_number = clean_account_number(account_number)
    routing_number = clean_routing_number(routing_number)
    bic = clean_bic(bic)
    if not looks_like_iban(account_number) and not routing_number:
        raise ValidationError(
            _("A domestic account number needs its transit and institution (routing) number."),
            code="routing_required",
        )
    with transaction.atomic():
        Studio.objects.select_for_update().get(pk=studio.pk)
        balance = escrow_balance(studio=studio)
        if amount > balance:
            raise ValidationError(
                _("At most %(balance)s is held in escrow for the studio.")
                % {"balance": format_money(balance, studio.currency, language=get_language() or "en")},
                code="too_much",
            )
        payout = EscrowPayoutRequest.objects.create(
            studio=studio,
            amount=amount,
            currency=studio.currency,
            legal_name=legal_name.strip()[:200],
            account_type=account_type,
            routing_number=routing_number,
            account_number=account_number,
            bic=bic,
            bank_code=bank_code.strip()[:20],
            address=address.strip(),
            requested_by=actor.user,
        )
        audit_record(
            studio=studio,
            actor=actor,
            action="escrow.payout_requested",
            obj=payout,
            changes={"amount": amount, "account": "…" + account_number[-4:]},
        )
    return payout


def escrow_payout_mark_paid(
    *, payout: EscrowPayoutRequest, actor: Actor, reference: str, now=None
) -> EscrowPayoutRequest:
    """The operator sent the transfer: record when and its reference. Idempotent for a paid request."""
    with transaction.atomic():
        locked = EscrowPayoutRequest.objects.select_for_update().select_related("studio").get(pk=payout.pk)
        if locked.status == EscrowPayoutRequest.Status.PAID:
            return locked
        if locked.status == EscrowPayoutRequest.Status.REJECTED:
            raise ValidationError(_("A rejected request cannot be paid."), code="rejected")
        locked.status = EscrowPayoutRequest.Status.PAID
        locked.paid_at = now or timezone.now()
        locked.paid_reference = reference.strip()[:120]
        locked.save(update_fields=["status", "paid_at", "paid_reference"])
        audit_record(
            studio=locked.studio,
            actor=actor,
            action="escrow.payout_paid",
            obj=locked,
            changes={"amount": locked.amount, "reference": locked.paid_reference},
        )
    return locked


def escrow_payout_reject(*, payout: EscrowPayoutRequest, actor: Actor, note: str = "") -> EscrowPayoutRequest:
    """The operator cannot pay it (wrong details…): the amount returns to the balance."""
    with transaction.atomic():
        locked = EscrowPayoutRequest.objects.select_for_update().select_related("studio").get(pk=payout.pk)
        if locked.status != EscrowPayoutRequest.Status.REQUESTED:
            raise ValidationError(_("Only a request still waiting can be rejected."), code="status")
        locked.status = EscrowPayoutRequest.Status.REJECTED
        locked.save(update_fields=["status"])
        audit_record(
            studio=locked.studio,
            actor=actor,
            action="escrow.payout_rejected",
            obj=locked,
            changes={"amount": locked.amount, "note": note[:200]},
        )
    return locked
