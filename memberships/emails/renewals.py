"""Mail templates: renewals."""
