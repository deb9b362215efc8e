"""Tasks: methods."""
