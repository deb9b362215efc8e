"""Writes for payments, one module per concern (accounts, charges, refunds, credit, escrow…)."""
