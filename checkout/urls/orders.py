"""Checkout URLs: orders — the confirmation page, the client's purchases and receipts, the staff
list and page of online orders (see docs/checkout.md)."""

from django.urls import path

from checkout.views import orders

urlpatterns: list = [
    path("checkout/<str:token>/done/", orders.order_done, name="checkout-order-done"),
    path("account/purchases/", orders.account_orders, name="account-orders"),
    path(
        "account/purchases/<str:token>/receipt.pdf",
        orders.account_order_receipt,
        name="account-order-receipt",
    ),
    path("manage/orders/", orders.order_list_view, name="order-list"),
    path("manage/orders/<int:pk>/", orders.order_detail, name="order-detail"),
]
