"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# plans (H1)

# selling and a client's memberships (H2)

# lifecycle (H6)

# renewals page (H7)

# account pages (H4)
