"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# templates and versions (wtpl)

# signing (wsign)

# records (wrec)

# requirements (wreq)
