"""Mail templates: sales."""
