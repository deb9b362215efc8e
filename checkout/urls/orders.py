"""Checkout URLs: orders (see docs/checkout.md)."""

urlpatterns: list = []
