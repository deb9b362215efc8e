"""What the planner keeps per row and per client, and the outcomes it reports (PAY-10)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from payments.gateway.types import PaymentMethod
from payments.models import SavedPaymentMethod

# --- outcomes, and reading the report -------------------------------------------------------------


class Outcome:
    REPOINT = "repoint"
    ADD = "add"
    ALREADY_DONE = "already_done"
    NO_CLIENT = "no_client"
    MALFORMED = "malformed"
    DUPLICATE_ROW = "duplicate_row"
    CONFLICT = "conflict"
    NOT_AT_STRIPE = "not_at_stripe"
    UNSUPPORTED = "unsupported"

    MOVING = (REPOINT, ADD)
    PROBLEMS = (NO_CLIENT, MALFORMED, DUPLICATE_ROW, CONFLICT, NOT_AT_STRIPE, UNSUPPORTED)
    ALL = (
        REPOINT,
        ADD,
        ALREADY_DONE,
        NO_CLIENT,
        MALFORMED,
        DUPLICATE_ROW,
        CONFLICT,
        NOT_AT_STRIPE,
        UNSUPPORTED,
    )


def entry_method(entry: dict) -> str:
    """'Visa •••• 4242 (12/2030)' from the few details a report entry keeps."""
    if not entry.get("last4"):
        return ""
    if entry.get("kind") == SavedPaymentMethod.Kind.CARD:
        label = (entry.get("brand") or "card").replace("_", " ").title()
    else:
        label = entry.get("bank") or str(dict(SavedPaymentMethod.Kind.choices).get(entry.get("kind"), ""))
    text = f"{label} •••• {entry['last4']}"
    return f"{text} ({entry['exp']})" if entry.get("exp") else text


# --- the planner ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    customer_old: str
    customer_new: str
    source_old: str
    source_new: str


@dataclass(slots=True)
class _Method:
    """The few fields a saved method row needs, read from Stripe (never the whole object)."""

    kind: str
    brand: str
    bank: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    holder: str
    fingerprint: str = ""


@dataclass(slots=True)
class _ClientState:
    name: str
    count: int  # saved methods on every account, including those planned in this run
    target_pms: set[str]
    foreign: list[str]  # labels of target-account methods that are not in the file
    target_customer: str | None  # stripe id of the client's customer row on the target account, if any
    default_pm: str | None = None  # the default on the target account (existing or planned)
    default_reason: str = ""  # "existing", "old_default" (kept from the old account) or "first"
    default_expired: bool = False
    default_entry: int | None = None  # index in the report of the row that made it the default
    elsewhere: bool = False


@dataclass(slots=True)
class _Plan:
    """One row's decision, with what the apply step needs to write it."""

    row: _Row
    entry: dict
    index: int  # the entry's position in the report
    client_id: int | None = None
    existing_pk: int | None = None  # the saved method to re-point
    existing_account_id: int | None = None
    method: _Method | None = None
    make_default: bool = False
    demote: str | None = None  # a default set earlier in this run, replaced by this row's


def _expired(exp_month: int | None, exp_year: int | None, today) -> bool:
    if not exp_month or not exp_year:
        return False
    return (exp_year, exp_month) < (today.year, today.month)


def _method_from_stripe(pm: PaymentMethod) -> _Method:
    details = pm.raw.get(pm.type) or {}
    return _Method(
        kind=pm.type,
        brand=(details.get("brand") or "") if pm.type == "card" else "",
        bank=(details.get("bank_name") or "") if pm.type != "card" else "",
        last4=pm.last4 or "",
        exp_month=pm.exp_month,
        exp_year=pm.exp_year,
        holder=(pm.holder_name or "")[:120],
        fingerprint=(pm.fingerprint or "")[:64],
    )


class Superseded(Exception):
    """A newer run of the same import started: this one stops without touching the row."""


def _describe_method(entry: dict, method: _Method) -> None:
    entry["kind"] = method.kind
    if method.brand:
        entry["brand"] = method.brand
    if method.bank:
        entry["bank"] = method.bank
    if method.last4:
        entry["last4"] = method.last4
    if method.exp_month and method.exp_year:
        entry["exp"] = f"{method.exp_month:02d}/{method.exp_year}"


def _describe_db_method(entry: dict, m: dict) -> None:
    _describe_method(
        entry,
        _Method(
            kind=m["kind"],
            brand=m["brand"],
            bank=m["bank_name"],
            last4=m["last4"],
            exp_month=m["exp_month"],
            exp_year=m["exp_year"],
            holder="",
        ),
    )


def chunks(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
