"""Mail templates: methods."""
