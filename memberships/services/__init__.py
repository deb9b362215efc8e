"""Writes of the memberships app, and its public surface for other apps (POS, checkout, payroll).

Keyword-only, typed; each owns its transaction. No Stripe call inside a transaction: payments'
services do the calls, after our rows are committed.
"""
