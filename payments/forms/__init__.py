"""Forms of the payments pages, one module per area; the public names stay importable from here.

- `ledger`: the ledger, refunds, credit, escrow, fees/taxes and routing pages;
- `accounts`: connected accounts (PAY-1, PAY-2);
- `migration`: the migration import's upload (PAY-10).
"""

from payments.forms.accounts import ConnectedAccountEditForm, ConnectedAccountForm
from payments.forms.ledger import (
    CREDIT_ADJUST_MAX,
    CardFeeForm,
    CreditAdjustForm,
    EscrowPayoutForm,
    LedgerFilterForm,
    RefundForm,
    RoutingForm,
    TaxRateForm,
)
from payments.forms.migration import MigrationUploadForm

__all__ = [
    "CREDIT_ADJUST_MAX",
    "CardFeeForm",
    "ConnectedAccountEditForm",
    "ConnectedAccountForm",
    "CreditAdjustForm",
    "EscrowPayoutForm",
    "LedgerFilterForm",
    "MigrationUploadForm",
    "RefundForm",
    "RoutingForm",
    "TaxRateForm",
]
