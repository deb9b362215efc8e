"""Checkout URLs: pay (see docs/checkout.md)."""

from django.urls import path

from checkout.views import pay, settings

urlpatterns: list = [
    path("checkout/", pay.checkout_review, name="checkout-review"),
    path("checkout/<str:token>/card/", pay.checkout_card, name="checkout-card"),
    path("checkout/<str:token>/return/", pay.checkout_return, name="checkout-return"),
    path("checkout/<str:token>/status/", pay.checkout_status, name="checkout-status"),
    path("checkout/<str:token>/abandon/", pay.checkout_abandon, name="checkout-abandon"),
    path("manage/settings/checkout/", settings.checkout_settings, name="checkout-settings"),
]
