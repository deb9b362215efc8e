"""Tasks: credits."""
