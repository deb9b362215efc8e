"""Demo ledger entries: a few real payments on the sandbox (filled in as the money features land)."""

from __future__ import annotations

from payments.models import ConnectedAccount
from studio.models import Studio


def seed_ledger(*, studio: Studio, accounts: list[ConnectedAccount]) -> None:
    return None
