"""Tasks: renewals."""
