"""Reads of the memberships app, and its public surface for other apps."""
