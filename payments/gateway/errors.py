"""Our own small hierarchy of Stripe failures. Nothing outside the gateway sees `stripe.*` errors.

The split that matters to callers: a *definite* failure (declined, authentication required,
invalid request) ends an attempt; an *ambiguous* one (Stripe unavailable, timeout, rate limited)
means the operation may or may not have happened at Stripe, so the row stays pending until the
webhook or the reconcile task settles it.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Any failure talking to Stripe."""

    ambiguous = False

    def __init__(self, message: str = "", *, code: str | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id


class CardDeclined(GatewayError):
    """The card (or bank debit) was refused. `decline_code` says why when Stripe tells us."""

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        decline_code: str | None = None,
        payment_intent_id: str | None = None,
        setup_intent_id: str | None = None,
        **kw,
    ):
        super().__init__(message, code=code, **kw)
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id
        self.setup_intent_id = setup_intent_id


class AuthenticationRequired(CardDeclined):
    """The bank wants the cardholder (3-D Secure): impossible off-session, possible on-session."""


class InvalidRequest(GatewayError):
    """Our request was wrong (a bug, or an object that no longer exists). `param` names the field."""

    def __init__(self, message: str = "", *, param: str | None = None, **kw):
        super().__init__(message, **kw)
        self.param = param


class IdempotencyConflict(InvalidRequest):
    """The same idempotency key was used with other parameters: a bug in how we build keys."""


class StripeUnavailable(GatewayError):
    """Timeout, connection failure, or a 5xx: the outcome at Stripe is unknown."""

    ambiguous = True


class RateLimited(StripeUnavailable):
    """429: Stripe asked us to slow down; nothing was done, but retry later with the same key."""


class NotConfigured(GatewayError):
    """The studio has no Stripe account able to do this."""
