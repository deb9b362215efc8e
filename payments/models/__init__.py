from payments.models.accounts import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from payments.models.escrow import EscrowPayoutRequest
from payments.models.invoices import Invoice, InvoiceLine, InvoicePayment
from payments.models.ledger import CreditEntry, Payment, PaymentStatusChange, Refund
from payments.models.migration_import import MigrationImport
from payments.models.saved_methods import MAX_SAVED_METHODS, SavedPaymentMethod, SetupRequest, StripeCustomer
from payments.models.settings import PaymentSettings, TaxRate
from payments.models.terminal import CardReader, TerminalLocation
from payments.models.webhooks import StripeEvent

__all__ = [
    "MAX_SAVED_METHODS",
    "CardReader",
    "ConnectedAccount",
    "ConnectedAccountLocation",
    "CreditEntry",
    "EscrowPayoutRequest",
    "Invoice",
    "InvoiceLine",
    "InvoicePayment",
    "MigrationImport",
    "Payment",
    "PaymentSettings",
    "PaymentStatusChange",
    "Refund",
    "SavedPaymentMethod",
    "SetupRequest",
    "StripeAccountDirectory",
    "StripeCustomer",
    "StripeEvent",
    "TaxRate",
    "TerminalLocation",
]
