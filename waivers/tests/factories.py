"""Factories for waivers' tests (each helper's in its own section)."""

from __future__ import annotations

# templates and versions (wtpl): WaiverFactory, WaiverVersionFactory, a published_waiver() helper

# signing (wsign): a signature_for(...) helper going through the signing service

# records (wrec)

# requirements (wreq)
