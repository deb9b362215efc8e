"""The point of sale's Celery tasks; Celery's autodiscovery imports this package, which imports each module."""

from . import (
    receipts,  # noqa: F401 - till: the sale receipt email
    sales,  # noqa: F401 - tender: sweeps of abandoned sales, refunds of late approvals
)
