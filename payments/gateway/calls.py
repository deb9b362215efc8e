"""The single funnel every Stripe request goes through.

It enforces the boundary's rules in one place: the account is always named (a connected
account id, or `PLATFORM` said out loud); every write carries the idempotency key the caller
stored on its own row; no call runs inside a database transaction; Stripe's errors become
ours; Stripe's objects become plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from django.db import transaction

from payments.gateway import errors
from payments.gateway.client import stripe_client


class _Platform:
    def __repr__(self) -> str:
        return "PLATFORM"


#: Pass as `account=` to act on the platform's own Stripe account (escrow, connected-account admin).
PLATFORM = _Platform()


class TransactionError(RuntimeError):
    """A Stripe call was attempted inside a database transaction (DESIGN.md forbids it)."""


def assert_outside_transaction() -> None:
    # Test cases wrap each test in atomic blocks marked `_from_testcase`; those do not count.
    connection = transaction.get_connection()
    own_blocks = [block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)]
    if own_blocks:
        raise TransactionError(
            "Stripe calls must not run inside a database transaction: commit a pending row "
            "first, call Stripe, then record the result in a new transaction."
        )


def request_options(*, account: str | _Platform, idempotency_key: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if account is PLATFORM:
        pass
    elif isinstance(account, str) and account.startswith("acct_"):
        options["stripe_account"] = account
    else:
        raise ValueError(f"Name the connected account (acct_…) or PLATFORM explicitly, not {account!r}")
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 255:
            raise ValueError("idempotency keys are 1–255 characters")
        options["idempotency_key"] = idempotency_key
    return options


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: Stripe treats an empty string as 'unset', and None is not sent at all."""
    return {key: value for key, value in params.items() if value is not None}


def call(
    operation: Callable[[stripe.StripeClient], Callable],
    params: dict[str, Any] | None = None,
    *,
    account: str | _Platform,
    idempotency_key: str | None = None,
    write: bool,
) -> dict[str, Any]:
    """Run one Stripe request. `operation` picks the SDK method from the client."""
    if write and not idempotency_key:
        raise ValueError("every Stripe write needs a deterministic idempotency key stored on our row")
    assert_outside_transaction()
    options = request_options(account=account, idempotency_key=idempotency_key)
    method = operation(stripe_client())
    try:
        result = method(options=options) if params is None else method(params=_clean(params), options=options)
    except stripe.StripeError as exc:
        raise translate(exc) from exc
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def call_with_id(
    operation: Callable[[stripe.StripeClient], Callable],
    object_id: str,
    params: dict[str, Any] | None = None,
    *,
    account: str | _Platform,
    idempotency_key: str | None = None,
    write: bool,
) -> dict[str, Any]:
    """Like `call`, for SDK methods taking the object's id first (`retrieve`, `capture`…)."""
    return call(
        lambda client: _bind_id(operation(client), object_id),
        params,
        account=account,
        idempotency_key=idempotency_key,
        write=write,
    )


def _bind_id(method: Callable, object_id: str) -> Callable:
    def bound(*, options, params=None):
        if params is None:
            return method(object_id, options=options)
        return method(object_id, params=params, options=options)

    return bound


def translate(exc: stripe.StripeError) -> errors.GatewayError:
    """Stripe's error classes → ours, keeping code, decline code, param and the intent's id."""
    body = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
    message = body.get("message") or exc.user_message or str(exc)
    common = {"code": body.get("code") or getattr(exc, "code", None), "request_id": exc.request_id}
    if isinstance(exc, stripe.CardError):
        intent = body.get("payment_intent") or {}
        setup = body.get("setup_intent") or {}
        cls = (
            errors.AuthenticationRequired
            if common["code"] == "authentication_required"
            else errors.CardDeclined
        )
        return cls(
            message,
            decline_code=body.get("decline_code"),
            payment_intent_id=intent.get("id"),
            setup_intent_id=setup.get("id"),
            **common,
        )
    if isinstance(exc, stripe.IdempotencyError):
        return errors.IdempotencyConflict(message, param=body.get("param"), **common)
    if isinstance(exc, stripe.RateLimitError):
        return errors.RateLimited(message, **common)
    if isinstance(exc, stripe.InvalidRequestError):
        return errors.InvalidRequest(message, param=body.get("param"), **common)
    if isinstance(exc, (stripe.APIConnectionError, stripe.APIError)):
        return errors.StripeUnavailable(message or "Stripe could not be reached", **common)
    return errors.GatewayError(message, **common)
