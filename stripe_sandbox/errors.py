"""Stripe's error envelope and the exceptions handlers raise to produce it.

Handlers raise `StripeError` (or one of the helpers below); the dispatcher turns it into the
JSON body and HTTP status Stripe would send, so every resource module reports errors the same way
and the SDK maps them onto its own exception classes (CardError, InvalidRequestError, ...).
"""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.stripe.com/error-codes"


class StripeError(Exception):
    """An error response in Stripe's shape: `{"error": {...}}` with an HTTP status."""

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = f"{DOCS}/{self.code.replace('_', '-')}"
        if self.decline_code:
            err["decline_code"] = self.decline_code
        if self.param:
            err["param"] = self.param
        err.update(self.extra)
        if request_id:
            err["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": err}


def invalid_request(
    message: str, *, code: str | None = None, param: str | None = None, status: int = 400, **extra: Any
) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param, extra=extra)


def missing(kind: str, ident: str, param: str | None = "id") -> StripeError:
    return StripeError(
        404, "invalid_request_error", f"No such {kind}: '{ident}'", code="resource_missing", param=param
    )


def unknown_parameter(param: str) -> StripeError:
    return invalid_request(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def missing_parameter(param: str) -> StripeError:
    return invalid_request(f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid_value(param: str, message: str, code: str = "parameter_invalid_string") -> StripeError:
    return invalid_request(message, code=code, param=param)


def unexpected_state(
    message: str, *, code: str = "payment_intent_unexpected_state", **extra: Any
) -> StripeError:
    return invalid_request(message, code=code, **extra)


def card_error(
    message: str, *, code: str, decline_code: str | None = None, param: str | None = None, **extra: Any
) -> StripeError:
    return StripeError(
        402, "card_error", message, code=code, decline_code=decline_code, param=param, extra=extra
    )


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)


def account_invalid(api_key: str, account: str) -> StripeError:
    shown = api_key[:8] + "*" * 4 + api_key[-4:] if len(api_key) > 12 else api_key
    return StripeError(
        403,
        "invalid_request_error",
        f"The provided key '{shown}' does not have access to account '{account}' (or that account does not "
        "exist). Application access may have been revoked.",
        code="account_invalid",
    )


def api_error(message: str = "An unknown error occurred while processing your request.") -> StripeError:
    return StripeError(500, "api_error", message)


def rate_limit(reason: str = "global-rate") -> StripeError:
    # Stripe names the limiter that refused in this header (global-rate, endpoint-rate,
    # global-concurrency, endpoint-concurrency, resource-specific) and sends no Retry-After.
    return StripeError(
        429,
        "invalid_request_error",
        "Request rate limit exceeded. Learn more about rate limits here https://docs.stripe.com/rate-limits.",
        code="rate_limit",
        headers={"Stripe-Rate-Limited-Reason": reason},
    )


def idempotency_mismatch(key: str) -> StripeError:
    return StripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request.",
    )


def unrecognized_url(method: str, path: str) -> StripeError:
    return invalid_request(
        f"Unrecognized request URL ({method.upper()}: {path}). Please see https://docs.stripe.com or we can help "
        "at https://support.stripe.com/.",
        status=404,
    )
