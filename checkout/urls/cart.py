"""Checkout URLs: cart (see docs/checkout.md)."""

urlpatterns: list = []
