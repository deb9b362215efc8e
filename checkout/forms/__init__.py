"""Checkout forms, one module per part."""
