"""Test helper: what a model instance holds of its own row, to compare a compiled read with the ORM's."""

from __future__ import annotations


def own_columns(obj) -> dict:
    """`obj`'s concrete columns by attribute name (foreign keys as their ids)."""
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}
