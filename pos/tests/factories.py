"""Test data for the point of sale. Each helper's factories in its own section."""

from __future__ import annotations

# --- products (prod) ---

# --- sales (cart / tender) ---

# --- tills (till) ---

# --- readers (rdr) ---
