from payments.models.accounts import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from payments.models.escrow import EscrowPayoutRequest
from payments.models.ledger import CreditEntry, Payment, PaymentStatusChange, Refund
from payments.models.settings import PaymentSettings, TaxRate
from payments.models.webhooks import StripeEvent

__all__ = [
    "ConnectedAccount", "ConnectedAccountLocation", "CreditEntry", "EscrowPayoutRequest", "Payment",
    "PaymentSettings", "PaymentStatusChange", "Refund", "StripeAccountDirectory", "StripeEvent", "TaxRate",
]
