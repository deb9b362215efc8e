"""Checkout URLs: pay (see docs/checkout.md)."""

urlpatterns: list = []
