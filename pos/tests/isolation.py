"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# products and stock (prod)

# the POS screen (screen)

# tenders (tender)

# tills, receipts, returns (till)

# card readers (rdr)
