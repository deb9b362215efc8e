"""Payment source kinds: what a payment pays for, and who hears how it ended.

An app that sells registers a **source kind** in its `AppConfig.ready()`:

    from payments.services.sources import source_kind_register

    source_kind_register("membership_period", on_outcome=memberships_on_payment_outcome)

`Payment.source_type` must then name a registered kind (`payment_create` refuses any other), and
`source_id` is the app's own id for the thing bought. When such a payment reaches a final state
— succeeded, failed, canceled, refunded in part or in whole — payments calls the hook once per
state change, in the worker, inside the studio's scope, after the change committed
(`payments.services.outcomes`). The hook receives the `PaymentOutcome` row:
`outcome.state`, `outcome.payment` (with `source_id`, `amount`, `amount_refunded`…) and, for a
refund, `outcome.refund`.

The hook runs inside the transaction that marks the outcome delivered: its own database writes
and the mark commit together, so they happen exactly once. It must not call Stripe (the gateway
refuses inside a transaction) — enqueue a task for that. If it raises, nothing it wrote is kept,
the delivery is retried, and other outcomes are not held up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from payments.models.ledger import PaymentOutcome

OutcomeHook = Callable[["PaymentOutcome"], None]


@dataclass(frozen=True)
class SourceKind:
    name: str  # stored in Payment.source_type: a short code, e.g. "membership_period"
    on_outcome: OutcomeHook | None = None


SOURCE_KINDS: dict[str, SourceKind] = {}

_NAME_MAX = 40  # Payment.source_type's max_length


def source_kind_register(name: str, *, on_outcome: OutcomeHook | None = None) -> SourceKind:
    """Register the source kind `name` with its outcome hook (call it from `AppConfig.ready()`).

    Registering the same kind again with the same hook is harmless (`ready()` may run twice in
    tests); another hook for a registered name is a mistake between two apps, and raises.
    """
    if not name or len(name) > _NAME_MAX or not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"source kind {name!r}: use a short code of letters, digits and _")
    existing = SOURCE_KINDS.get(name)
    if existing is not None and existing.on_outcome is not on_outcome:
        raise ValueError(f"source kind {name!r} is already registered with another hook")
    kind = SourceKind(name=name, on_outcome=on_outcome)
    SOURCE_KINDS[name] = kind
    return kind


def source_kind_unregister(name: str) -> None:
    """Forget a kind (tests that register a kind of their own clean up with this)."""
    SOURCE_KINDS.pop(name, None)


def source_kind_get(name: str) -> SourceKind | None:
    """The registered kind called `name`, or None."""
    return SOURCE_KINDS.get(name)


def source_validate(*, source_type: str, source_id: str) -> None:
    """Refuse a payment source that no app registered, or one half of a (kind, id) pair.

    No source at all (both empty) is allowed: a sale of nothing in particular (a tip, a manual charge).
    """
    if not source_type and not source_id:
        return
    if not source_type or not source_id:
        raise ValidationError(_("A payment source needs both its kind and its id."), code="source")
    if source_type not in SOURCE_KINDS:
        raise ValidationError(
            _("Unknown payment source kind “%(kind)s”.") % {"kind": source_type}, code="source"
        )
    if len(str(source_id)) > 64:
        raise ValidationError(_("The payment source's id is too long."), code="source")
