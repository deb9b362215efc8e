"""Payments URLs under /<studio_slug>/ (included by studio.urls_tenant)."""

from django.urls import path

from payments.views import (
    accounts,
    credit,
    escrow,
    events,
    fees,
    ledger,
    refunds,
    routing,
    saved_methods,
)

urlpatterns = [
    path("manage/payments/accounts/", accounts.account_list, name="payments-accounts"),
    path("manage/payments/accounts/new/", accounts.account_create, name="payments-account-create"),
    path("manage/payments/accounts/<int:pk>/", accounts.account_detail, name="payments-account-detail"),
    path(
        "manage/payments/accounts/<int:pk>/status/", accounts.account_status, name="payments-account-status"
    ),
    path(
        "manage/payments/accounts/<int:pk>/onboard/",
        accounts.account_onboard,
        name="payments-account-onboard",
    ),
    path(
        "manage/payments/accounts/<int:pk>/return/", accounts.account_return, name="payments-account-return"
    ),
    path("manage/payments/accounts/<int:pk>/edit/", accounts.account_edit, name="payments-account-edit"),
    path("manage/payments/events/", events.event_list, name="payments-events"),
    # Saved payment methods (SPM)
    path(
        "manage/payments/saved-methods/",
        saved_methods.feature_settings,
        name="payments-saved-methods-settings",
    ),
    path(
        "manage/clients/<int:pk>/payment-methods/new/<str:kind>/",
        saved_methods.staff_add,
        name="payments-staff-method-add",
    ),
    path(
        "manage/clients/<int:pk>/payment-methods/complete/<int:setup_pk>/",
        saved_methods.staff_complete,
        name="payments-staff-method-complete",
    ),
    path(
        "manage/payment-methods/<int:pk>/default/",
        saved_methods.staff_set_default,
        name="payments-staff-method-default",
    ),
    path(
        "manage/payment-methods/<int:pk>/delete/",
        saved_methods.staff_delete,
        name="payments-staff-method-delete",
    ),
    path(
        "account/payment-methods/new/<str:kind>/", saved_methods.client_add, name="payments-client-method-add"
    ),
    path(
        "account/payment-methods/complete/<int:setup_pk>/",
        saved_methods.client_complete,
        name="payments-client-method-complete",
    ),
    path(
        "account/payment-methods/<int:pk>/default/",
        saved_methods.client_set_default,
        name="payments-client-method-default",
    ),
    path(
        "account/payment-methods/<int:pk>/delete/",
        saved_methods.client_delete,
        name="payments-client-method-delete",
    ),
]

# Ledger, refunds, credit, escrow, fees and taxes, routing.
urlpatterns += [
    path("manage/payments/", ledger.payment_list, name="payments-ledger"),
    path("manage/payments/<int:pk>/", ledger.payment_detail, name="payments-payment-detail"),
    path("manage/payments/<int:pk>/refund/", refunds.payment_refund, name="payments-payment-refund"),
    path("manage/payments/clients/<int:pk>/credit/", credit.client_credit, name="payments-client-credit"),
    path("manage/payments/escrow/", escrow.escrow_page, name="payments-escrow"),
    path("manage/payments/routing/", routing.routing_page, name="payments-routing"),
    path("manage/payments/fees/", fees.fees_settings, name="payments-fees"),
    path("manage/payments/taxes/new/", fees.tax_create, name="payments-tax-create"),
    path("manage/payments/taxes/<int:pk>/edit/", fees.tax_edit, name="payments-tax-edit"),
    path("manage/payments/taxes/<int:pk>/archive/", fees.tax_archive, name="payments-tax-archive"),
]

# Migration import from an old Stripe account (PAY-10): chunked dry run and apply in the worker.
from payments.views import migration_import  # noqa: E402

urlpatterns += [
    path("manage/payments/migrate/", migration_import.migration_list, name="payments-migration-list"),
    path(
        "manage/payments/migrate/<int:pk>/",
        migration_import.migration_detail,
        name="payments-migration-detail",
    ),
    path(
        "manage/payments/migrate/<int:pk>/progress/",
        migration_import.migration_progress,
        name="payments-migration-progress",
    ),
    path(
        "manage/payments/migrate/<int:pk>/dry-run/",
        migration_import.migration_dry_run,
        name="payments-migration-dry-run",
    ),
    path(
        "manage/payments/migrate/<int:pk>/apply/",
        migration_import.migration_apply,
        name="payments-migration-apply",
    ),
    path(
        "manage/payments/migrate/<int:pk>/report.csv",
        migration_import.migration_report,
        name="payments-migration-report",
    ),
]

# Invoices and payment links with deposits (PAY-11): staff pages, and the hosted link (anonymous,
# the token is the key).
from payments.views import invoices, pay_links  # noqa: E402

urlpatterns += [
    path("manage/payments/invoices/", invoices.invoice_list, name="invoice-list"),
    path("manage/payments/invoices/new/", invoices.invoice_create, name="invoice-create"),
    path("manage/payments/invoices/<int:pk>/", invoices.invoice_detail, name="invoice-detail"),
    path("manage/payments/invoices/<int:pk>/void/", invoices.invoice_void, name="invoice-void"),
    path("manage/payments/invoices/<int:pk>/send/", invoices.invoice_send, name="invoice-send"),
    path("pay/<str:token>/", pay_links.pay_link, name="pay-link"),
    path("pay/<str:token>/card/", pay_links.pay_link_card, name="pay-link-card"),
    path("pay/<str:token>/return/", pay_links.pay_link_return, name="pay-link-return"),
]
