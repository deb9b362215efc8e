"""The `/v1/...` request pipeline: auth → account scope → faults → route → idempotency → params → handler.

The order mirrors what Stripe documents and what clients can observe: a rate-limited request
does nothing; parameter errors are not saved under the idempotency key (the endpoint never
started); anything the endpoint did — success or a card decline — is saved and replayed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import traceback
from typing import TYPE_CHECKING, Any

from . import encoding, errors, params
from .context import Ctx
from .events import API_VERSION
from .expand import expand
from .http import Headers, Response
from .router import router

if TYPE_CHECKING:
    from .host import Host

log = logging.getLogger("stripe_sandbox")

IDEMPOTENCY_TTL = 24 * 3600
ACCEPTED_KEY_PREFIXES = ("sk_test_", "rk_test_")


def api_key_from(headers: Headers) -> str | None:
    auth = headers.get("Authorization", "").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    if auth.lower().startswith("basic "):
        try:
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None


def check_api_key(api_key: str | None) -> None:
    if not api_key:
        raise errors.authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://docs.stripe.com/api#"
            "authentication for details, or we can help at https://support.stripe.com/."
        )
    if not api_key.startswith(ACCEPTED_KEY_PREFIXES):
        shown = api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]
        raise errors.authentication(f"Invalid API Key provided: {shown}")


def handle_api(
    sandbox: Host,
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    *,
    inject_faults: bool = True,
) -> Response:
    method = method.upper()
    request_id = "req_" + sandbox.ids.token(14)
    base_headers = {"Request-Id": request_id, "Stripe-Version": headers.get("Stripe-Version", API_VERSION)}
    account = headers.get("Stripe-Account") or None
    idem_key = headers.get("Idempotency-Key") if method == "POST" else None
    if account:
        base_headers["Stripe-Account"] = account
    if idem_key:
        base_headers["Idempotency-Key"] = idem_key

    def error_response(exc: errors.StripeError) -> Response:
        return Response.json(exc.status, exc.body(request_id), {**base_headers, **exc.headers})

    try:
        api_key = api_key_from(headers)
        check_api_key(api_key)
        assert api_key is not None
    except errors.StripeError as exc:
        return error_response(exc)

    fault = sandbox.faults.take(method, path) if inject_faults else None
    if fault == "timeout":
        return Response(0, b"", Headers(), drop_connection=True)
    if fault == "rate_limit":
        return error_response(errors.rate_limit())
    if fault == "server_error":
        return error_response(errors.api_error())

    events: list[dict[str, Any]] = []
    with sandbox.lock:
        response = _execute(
            sandbox,
            method,
            path,
            query,
            body,
            account,
            api_key,
            idem_key,
            request_id,
            base_headers,
            events,
            error_response,
        )
    sandbox.webhooks.after_request(events)
    if fault == "lost_response":
        response.drop_connection = True
    return response


def _execute(
    sandbox: Host,
    method: str,
    path: str,
    query: str,
    body: bytes,
    account: str | None,
    api_key: str,
    idem_key: str | None,
    request_id: str,
    base_headers: dict[str, str],
    events: list[dict[str, Any]],
    error_response: Any,
) -> Response:
    store = sandbox.store
    try:
        if account == store.platform_account:
            account = None
        if account and not _is_connected_account(sandbox, account):
            raise errors.account_invalid(api_key, account)
        matched = router.match(method, path)
        if matched is None:
            raise errors.unrecognized_url(method, path)
        route, path_args = matched
        raw = encoding.decode(body.decode() if method == "POST" else query)
    except errors.StripeError as exc:
        return error_response(exc)

    record_key = f"{api_key}|{account or ''}|{idem_key}" if idem_key else None
    fingerprint = hashlib.sha256(json.dumps([method, path, raw], sort_keys=True).encode()).hexdigest()
    if record_key:
        saved = store.table("idempotency").get(record_key)
        if saved and saved["created"] + IDEMPOTENCY_TTL >= sandbox.now():
            if saved["fingerprint"] != fingerprint:
                return error_response(errors.idempotency_mismatch(idem_key or ""))
            replay = {
                **base_headers,
                **saved["headers"],
                "Idempotent-Replayed": "true",
                "Original-Request": saved["request_id"],
            }
            return Response(saved["status"], saved["body"].encode(), Headers(replay))

    try:
        checked = params.validate(route.params_class, raw)
    except errors.StripeError as exc:
        return error_response(exc)  # validation failures are not saved: the endpoint never ran

    ctx = Ctx(
        sandbox,
        account=account,
        params=checked,
        path_args=path_args,
        request_id=request_id,
        idempotency_key=idem_key,
        api_key=api_key,
    )
    try:
        result = route.handler(ctx)
        payload = sandbox.present(ctx, result)
        if checked.get("expand"):
            payload = expand(ctx, payload, checked["expand"])
        response = Response.json(200, payload, {**base_headers, "Content-Type": "application/json"})
    except errors.StripeError as exc:
        response = error_response(exc)
    except Exception:
        if sandbox.raise_server_errors:
            raise
        log.error("stripe sandbox: unhandled error on %s %s\n%s", method, path, traceback.format_exc())
        return error_response(errors.api_error())
    events.extend(ctx.events)

    if record_key:
        table = store.table("idempotency")
        _prune(table, sandbox.now())
        table[record_key] = {
            "fingerprint": fingerprint,
            "status": response.status,
            "body": response.body.decode(),
            "headers": {k: v for k, v in response.headers.items() if k.lower() != "request-id"},
            "request_id": request_id,
            "created": sandbox.now(),
        }
    if method != "GET":
        sandbox.persist()
    return response


def _is_connected_account(sandbox: Host, account: str) -> bool:
    obj = sandbox.store.get(sandbox.store.platform_account, account)
    return bool(obj and obj.get("object") == "account" and not obj.get("deleted"))


def _prune(table: dict[str, Any], now: int) -> None:
    stale = [k for k, v in table.items() if v["created"] + IDEMPOTENCY_TTL < now]
    for key in stale:
        del table[key]


def internal_call(
    sandbox: Host,
    method: str,
    path: str,
    values: dict[str, Any] | None = None,
    *,
    account: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[int, Any]:
    """Run an API request on behalf of a hosted page or the Stripe.js stand-in.

    It goes through the same pipeline as a client's request (params checked, events emitted,
    webhooks delivered), so what a browser does in the demo is what the API would have done.
    """
    headers = Headers({"Authorization": "Bearer sk_test_sandbox_internal"})
    if account:
        headers["Stripe-Account"] = account
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    form = encoding.encode(copy.deepcopy(values or {}))
    if method.upper() == "POST":
        response = handle_api(sandbox, method, path, "", headers, form.encode(), inject_faults=False)
    else:
        response = handle_api(sandbox, method, path, form, headers, b"", inject_faults=False)
    return response.status, response.data()
