"""Display helpers of the payments pages: codes stored in the database, worded for the reader.

Routing rules and reasons, status-history labels and Stripe event results. Every
filter renders in the active language, so one stored row reads right in French and in English.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import Payment
from payments.services.routing import Rule, route_reason

register = template.Library()

RULE_LABELS = {
    Rule.POS_LOCATION: gettext_lazy("rule 1 · location chosen at the point of sale"),
    Rule.ITEM_LOCATION: gettext_lazy("rule 2 · where the purchase takes place"),
    Rule.CLIENT_HOME: gettext_lazy("rule 3 · client's home location"),
    Rule.DEFAULT: gettext_lazy("rule 4 · studio's default account"),
    Rule.ESCROW: gettext_lazy("no account can charge · escrow"),
}

#: What a Stripe PaymentIntent's status means, for the "detail" column of the status history.
INTENT_STATUS_LABELS = {
    "succeeded": gettext_lazy("Stripe: payment succeeded"),
    "requires_capture": gettext_lazy("Stripe: authorized, waiting to be captured"),
    "processing": gettext_lazy("Stripe: processing"),
    "requires_action": gettext_lazy("Stripe: waiting for the client to authenticate"),
    "requires_confirmation": gettext_lazy("Stripe: waiting for confirmation"),
    "requires_payment_method": gettext_lazy("Stripe: needs another payment method"),
    "canceled": gettext_lazy("Stripe: canceled"),
}
_OUTCOME_UNKNOWN = "outcome unknown — "

#: Stripe's decline codes (and our reader's), for the failure line and the status history.
DECLINE_LABELS = {
    "card_declined": gettext_lazy("Card declined"),
    "generic_decline": gettext_lazy("Card declined by the bank"),
    "insufficient_funds": gettext_lazy("Insufficient funds"),
    "expired_card": gettext_lazy("Expired card"),
    "incorrect_cvc": gettext_lazy("Wrong security code"),
    "processing_error": gettext_lazy("The bank could not process the card"),
    "lost_card": gettext_lazy("Card reported lost"),
    "stolen_card": gettext_lazy("Card reported stolen"),
    "authentication_required": gettext_lazy("The bank asks the client to authenticate"),
    "do_not_honor": gettext_lazy("Card declined by the bank"),
    "reader_failed": gettext_lazy("The card reader could not take the payment"),
}

#: Results the webhook worker records on a Stripe event (payments/services/webhooks.py).
EVENT_OUTCOME_LABELS = {
    "recorded": gettext_lazy("recorded"),
    "ignored": gettext_lazy("not needed"),
    "skipped": gettext_lazy("already handled"),
    "handled": gettext_lazy("handled"),
    "synced": gettext_lazy("account updated"),
    "saved": gettext_lazy("payment method saved"),
    "failed": gettext_lazy("payment failure recorded"),
    "unknown account": gettext_lazy("account not known here"),
    "no such account": gettext_lazy("account not known here"),
    "no such payment": gettext_lazy("payment not known here"),
    "no payment intent": gettext_lazy("no payment in the event"),
    "setup session": gettext_lazy("card-saving session (handled with saved methods)"),
    "no pending setup": gettext_lazy("no card being saved"),
}


#: Stripe event types the studio's events page names in words (the type itself is shown beside).
EVENT_TYPE_LABELS = {
    "account.updated": gettext_lazy("Stripe account updated"),
    "capability.updated": gettext_lazy("Stripe account capability changed"),
    "payment_intent.succeeded": gettext_lazy("Payment succeeded"),
    "payment_intent.payment_failed": gettext_lazy("Payment failed"),
    "payment_intent.canceled": gettext_lazy("Payment canceled"),
    "payment_intent.processing": gettext_lazy("Payment processing"),
    "payment_intent.requires_action": gettext_lazy("Payment waiting for the client"),
    "payment_intent.amount_capturable_updated": gettext_lazy("Payment authorized"),
    "charge.refunded": gettext_lazy("Payment refunded"),
    "charge.refund.updated": gettext_lazy("Refund updated"),
    "refund.updated": gettext_lazy("Refund updated"),
    "refund.created": gettext_lazy("Refund created"),
    "refund.failed": gettext_lazy("Refund failed"),
    "setup_intent.created": gettext_lazy("Saving a payment method started"),
    "setup_intent.canceled": gettext_lazy("Saving a payment method canceled"),
    "setup_intent.succeeded": gettext_lazy("Payment method saved"),
    "payment_method.attached": gettext_lazy("Payment method added to a Stripe customer"),
    "payment_method.detached": gettext_lazy("Payment method removed from a Stripe customer"),
    "payment_method.updated": gettext_lazy("Payment method updated"),
    "customer.created": gettext_lazy("Stripe customer created"),
    "customer.updated": gettext_lazy("Stripe customer updated"),
    "customer.deleted": gettext_lazy("Stripe customer deleted"),
    "payment_intent.created": gettext_lazy("Payment started"),
    "charge.succeeded": gettext_lazy("Card charged"),
    "charge.failed": gettext_lazy("Card charge failed"),
    "setup_intent.setup_failed": gettext_lazy("Saving a payment method failed"),
    "checkout.session.completed": gettext_lazy("Online checkout completed"),
    "checkout.session.expired": gettext_lazy("Online checkout expired"),
    "terminal.reader.action_succeeded": gettext_lazy("Card reader: payment taken"),
    "terminal.reader.action_failed": gettext_lazy("Card reader: payment failed"),
}


@register.filter
def event_type_label(event_type: str) -> str:
    """A Stripe event type in words. The page shows the type itself beside it, so an unknown type
    reads "Other Stripe event" rather than the code twice."""
    label = EVENT_TYPE_LABELS.get(event_type)
    return str(label) if label is not None else _("Other Stripe event")


@register.filter
def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


@register.filter
def routing_reason(payment: Payment) -> str:
    """Why the payment went to its account, in the reader's language (legacy rows keep their text)."""
    if payment.routing_params or not payment.routing_reason:
        return route_reason(rule=payment.routing_rule, params=payment.routing_params or {})
    return payment.routing_reason


@register.filter
def history_detail(detail: str) -> str:
    """The detail of a status change: Stripe's intent statuses and tender codes become words;
    other details (Stripe's own decline message) pass through."""
    prefix = ""
    if detail.startswith(_OUTCOME_UNKNOWN):
        prefix, detail = _("Stripe's answer was lost: the automatic check will settle it."), ""
    methods = dict(Payment.Method.choices)  # an offline tender's row says which ("cash", "credit")
    code = detail.split(":", 1)[0].strip()  # a failure is stored as "<decline code>: <Stripe's message>"
    worded = INTENT_STATUS_LABELS.get(detail) or methods.get(detail) or DECLINE_LABELS.get(code) or detail
    return " ".join(part for part in (prefix, str(worded)) if part)


@register.filter
def decline_label(code: str) -> str:
    """Stripe's decline code in words ("insufficient_funds" → "Insufficient funds"); unknown codes as they are."""
    return str(DECLINE_LABELS.get(code, code))


@register.filter
def event_outcome(outcome: str) -> str:
    """A stored event result ("recorded", "ignored"; several joined by ", ") worded for the reader."""
    if not outcome:
        return _("handled")
    parts = [part.strip() for part in outcome.replace(";", ",").split(",") if part.strip()]
    if not parts:
        return _("handled")
    return ", ".join(str(EVENT_OUTCOME_LABELS.get(part, part)) for part in parts)
