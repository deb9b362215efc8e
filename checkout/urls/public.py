"""Checkout URLs: public (see docs/checkout.md)."""

urlpatterns: list = []
