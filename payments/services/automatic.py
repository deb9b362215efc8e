"""Charge the default method (SPM-7): the one service every automatic charge goes through.

Renewals, payment-plan instalments and penalty fees are charged without the client present, on
the method the client chose as default on the account the charge is routed to (PAY-3; a saved
method never crosses accounts, SPM-4). The caller gives a deterministic idempotency key built
from its own row (`renewal:<membership_id>:<period_start>`, `instalment:<plan_id>:<n>`,
`penalty:<booking_id>`), so a retried task, a second beat run or a crashed worker resubmitting
never charges twice: the key names one payment, and Stripe answers its resubmission with the
first result.

The charge follows the money phases (`payments.services.common`): the keyed PENDING row is
committed, then submitted to Stripe outside any transaction — call this from a task, never
inside `transaction.atomic()` — and the answer recorded. The payment's source kind hears the
final state through its outcome hook, like any payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from payments import gateway
from payments.models import Payment
from payments.models.settings import Channel
from payments.services.charges import ChargeTarget, payment_create, payment_submit, saved_method_types
from payments.services.fees import payment_settings_for, quote_build
from payments.services.routing import Purchase, route_payment
from payments.services.saved_methods import default_method_for
from studio.models import Client, Location, Studio
from studio.services import SYSTEM, Actor


@dataclass(frozen=True)
class AutomaticCharge:
    """How an automatic charge went.

    `status`: "succeeded", "failed", "pending" (Stripe's answer is not known yet: the webhook or
    the reconcile task settles the payment) or "no_method" (nothing was charged: no payment row).
    `code` is for machines (a decline code, "authentication_required", "no_method"); `reason`
    is the sentence for people, in the active language.
    """

    status: str
    payment: Payment | None
    code: str = ""
    reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def _result(payment: Payment) -> AutomaticCharge:
    if payment.status == Payment.Status.SUCCEEDED:
        return AutomaticCharge("succeeded", payment)
    if payment.status in (Payment.Status.FAILED, Payment.Status.CANCELED):
        code = payment.failure_code or payment.status
        if code == "authentication_required":
            reason = _(
                "The client's bank asks them to confirm this payment themselves; it cannot be "
                "charged automatically."
            )
        else:
            reason = payment.failure_message or _("The payment was refused.")
        return AutomaticCharge("failed", payment, code=code, reason=reason)
    return AutomaticCharge(
        "pending",
        payment,
        code="pending",
        reason=_("Stripe's answer is not known yet; the payment is settled automatically."),
    )


def payment_charge_default(
    *,
    studio: Studio,
    client: Client,
    subtotal: int,
    item_kind: str,
    description: str,
    idempotency_key: str,
    source_type: str = "",
    source_id: str = "",
    item_location: Location | None = None,
    actor: Actor = SYSTEM,
    today: date | None = None,
) -> AutomaticCharge:
    """Charge `client`'s default method off-session for `subtotal` (taxes and fees as any payment).

    Resolves the routed account, finds the client's default method on it (or returns
    `status="no_method"` with the reason SPM-7 states, and writes nothing), creates the payment
    under `idempotency_key`, submits it outside any transaction and returns the outcome. Called
    again with the same key it returns the first payment's outcome without charging again (a
    payment whose answer was lost is resubmitted under the same key, which Stripe deduplicates).
    A new attempt after a definite failure (the client has since fixed their card) is a new
    charge: give it a new key, e.g. with the attempt's number (`renewal:<id>:<period>:2`).
    """
    if not idempotency_key:
        raise ValueError("an automatic charge needs the caller's deterministic idempotency key")
    # Refuse before writing anything: inside a transaction the Stripe call would fail after the row.
    gateway.assert_outside_transaction()
    existing = Payment.objects.filter(studio=studio, idempotency_key=idempotency_key).first()
    if existing is not None:
        return _result(payment_submit(payment=existing))  # submits only if still PENDING, same key
    route = route_payment(
        studio=studio,
        purchase=Purchase(
            channel=Channel.ONLINE,
            item_kind=item_kind,
            item_location=item_location,
            client_home_location=client.home_location,
        ),
    )
    # Read once for both the saved-methods switch and the quote (not once each); without an
    # account nothing is read, as before.
    settings = payment_settings_for(studio=studio) if route.account is not None else None
    default = default_method_for(client=client, account=route.account, today=today, settings=settings)
    if default.method is None:
        return AutomaticCharge(
            "no_method", None, code=getattr(default, "code", "") or "no_method", reason=str(default.reason)
        )
    method = default.method
    payment = payment_create(
        studio=studio,
        actor=actor,
        client=client,
        subtotal=subtotal,
        item_kind=item_kind,
        channel=Channel.ONLINE,
        description=description,
        method=Payment.Method.SAVED_METHOD,
        item_location=item_location,
        target=ChargeTarget(
            customer_id=method.customer.stripe_customer_id,
            payment_method_id=method.stripe_payment_method_id,
            off_session=True,
        ),
        idempotency_key=idempotency_key,
        source_type=source_type,
        source_id=source_id,
        route=route,
        quote=quote_build(
            studio=studio, subtotal=subtotal, item_kind=item_kind, by_card=True, settings=settings
        ),
    )
    return _result(payment_submit(payment=payment, method_types=saved_method_types(method.kind)))
