"""Checkout URLs: cart (see docs/checkout.md)."""

from django.urls import path

from checkout.views import cart

urlpatterns = [
    path("cart/", cart.cart_page, name="checkout-cart"),
    path("cart/add/", cart.cart_add, name="checkout-cart-add"),
    path("cart/lines/<int:line_pk>/", cart.cart_line, name="checkout-cart-line"),
]
