"""Payments URLs under /<studio_slug>/ (included by studio.urls_tenant)."""

from django.urls import path

from payments.views import accounts, events

urlpatterns = [
    path("manage/payments/accounts/", accounts.account_list, name="payments-accounts"),
    path("manage/payments/accounts/new/", accounts.account_create, name="payments-account-create"),
    path("manage/payments/accounts/<int:pk>/", accounts.account_detail, name="payments-account-detail"),
    path("manage/payments/accounts/<int:pk>/status/", accounts.account_status, name="payments-account-status"),
    path("manage/payments/accounts/<int:pk>/onboard/", accounts.account_onboard, name="payments-account-onboard"),
    path("manage/payments/accounts/<int:pk>/return/", accounts.account_return, name="payments-account-return"),
    path("manage/payments/accounts/<int:pk>/edit/", accounts.account_edit, name="payments-account-edit"),
    path("manage/payments/events/", events.event_list, name="payments-events"),
]
