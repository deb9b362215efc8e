"""Studio credit (PAY-7): money the studio holds for a client, spendable at the POS and online.

The balance is the sum of the client's CreditEntry rows (positive adds, negative spends). A
spend locks the Client row (`select_for_update`) before reading the balance, so two spends at
the same moment are serialised and the balance can never go below zero.

Who may do what: granting or removing credit by hand is giving or taking money, so the staff
page asks for Perm.REFUND (the same trust as a refund), not just Perm.MANAGE_CLIENTS; spending
credit in a sale is the sale's business (POS / checkout call `credit_spend`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_scopes import scope

from payments.models import CreditEntry, Payment
from studio.compiled_sql import compiled_rows
from studio.models import Client, Studio
from studio.money import format_money
from studio.services import Actor, audit_record


def _balance_row(*, studio_id: int, client_id: int):
    return CreditEntry.objects.filter(client_id=client_id).values("client_id").annotate(total=Sum("amount"))


def credit_balance(*, client: Client) -> int:
    """The client's credit, in minor units of the studio's currency (never negative). The sum is
    read through SQL compiled once: every page that pays or shows a client asks for it."""
    with scope(studio=client.studio_id):
        rows = compiled_rows(
            "credit-balance", lambda **v: _balance_row(**v).values_list("total"), client_id=client.pk
        )
    return int(rows[0][0] or 0) if rows else 0


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="amount")


def _lock_client(studio: Studio, client: Client, *, expected_balance: int | None = None) -> Client:
    """Lock the client's row; with `expected_balance`, refuse when the balance is no longer the one
    the person saw (a second click, or a colleague, already changed it): the refunds' stale check."""
    if client.studio_id != studio.pk:
        raise ValidationError(_("This client belongs to another studio."), code="studio")
    locked = Client.objects.select_for_update().get(pk=client.pk, studio=studio)
    if expected_balance is not None and credit_balance(client=client) != expected_balance:
        raise ValidationError(
            _(
                "The credit changed since this page was opened (perhaps a second click). Check the history below."
            ),
            code="stale",
        )
    return locked


def credit_grant(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    amount: int,
    note: str,
    kind: str = CreditEntry.Kind.ADJUSTMENT,
    expected_balance: int | None = None,
) -> CreditEntry:
    """Add `amount` minor units to the client's credit (a goodwill gesture, a correction…)."""
    _check_amount(amount)
    with transaction.atomic():
        _lock_client(studio, client, expected_balance=expected_balance)
        entry = CreditEntry.objects.create(
            studio=studio,
            client=client,
            amount=amount,
            currency=studio.currency,
            kind=kind,
            note=note[:200],
            created_by=actor.user,
        )
        audit_record(
            studio=studio,
            actor=actor,
            action="credit.granted",
            obj=client,
            changes={"amount": amount, "kind": kind, "note": note[:200], "entry": entry.pk},
        )
    return entry


def credit_spend(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    amount: int,
    payment: Payment | None = None,
    note: str = "",
    kind: str = CreditEntry.Kind.SPEND,
    expected_balance: int | None = None,
) -> CreditEntry:
    """Take `amount` minor units from the client's credit; refuses to go below zero.

    `payment` links the spend to the sale it paid for. `kind=ADJUSTMENT` is a staff correction.
    """
    _check_amount(amount)
    if payment is not None and payment.studio_id != studio.pk:
        raise ValidationError(_("This payment belongs to another studio."), code="studio")
    with transaction.atomic():
        _lock_client(studio, client, expected_balance=expected_balance)
        balance = credit_balance(client=client)
        if amount > balance:
            raise ValidationError(
                _("Only %(balance)s of credit is available.")
                % {"balance": format_money(balance, studio.currency, language=get_language() or "en")},
                code="insufficient",
            )
        entry = CreditEntry.objects.create(
            studio=studio,
            client=client,
            amount=-amount,
            currency=studio.currency,
            kind=kind,
            payment=payment,
            note=note[:200],
            created_by=actor.user,
        )
        audit_record(
            studio=studio,
            actor=actor,
            action="credit.spent",
            obj=client,
            changes={
                "amount": -amount,
                "kind": kind,
                "note": note[:200],
                "entry": entry.pk,
                "payment": payment.pk if payment else None,
            },
        )
    return entry


def credit_adjust(
    *,
    studio: Studio,
    actor: Actor,
    client: Client,
    amount: int,
    note: str,
    expected_balance: int | None = None,
) -> CreditEntry:
    """A staff adjustment: positive adds, negative removes (never below zero). A reason is required.

    `expected_balance`: the balance the form showed; a stale one (a double click) is refused."""
    if not note.strip():
        raise ValidationError(_("Say why the credit changes."), code="note")
    if not isinstance(amount, int) or amount == 0:
        raise ValidationError(_("Enter an amount other than zero."), code="amount")
    if amount > 0:
        return credit_grant(
            studio=studio,
            actor=actor,
            client=client,
            amount=amount,
            note=note,
            expected_balance=expected_balance,
        )
    return credit_spend(
        studio=studio,
        actor=actor,
        client=client,
        amount=-amount,
        note=note,
        kind=CreditEntry.Kind.ADJUSTMENT,
        expected_balance=expected_balance,
    )
