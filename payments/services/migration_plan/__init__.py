"""The row planner of the migration import (PAY-10), split along its phases.

- `file`: reading Stripe's mapping file (columns, rows);
- `state`: outcomes, and what the planner keeps per row and per client;
- `planner`: one run, reading the file and Stripe (phase 1);
- `deciding`: each row's outcome (phase 2; the dry run stops here);
- `writing`: writing a chunk of decisions, and progress (phase 3, apply only).

`payments.services.migration_import` drives it; nothing here is called from views.
"""

from payments.services.migration_plan.file import (
    COLUMNS,
    column_label,
    header_of,
    migration_columns,
    read_records,
)
from payments.services.migration_plan.planner import Planner
from payments.services.migration_plan.state import Outcome, Superseded, chunks, entry_method

__all__ = [
    "COLUMNS",
    "Outcome",
    "Planner",
    "Superseded",
    "chunks",
    "column_label",
    "entry_method",
    "header_of",
    "migration_columns",
    "read_records",
]
