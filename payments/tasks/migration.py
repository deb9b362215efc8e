"""The migration import's worker tasks (PAY-10): a dry run and an apply, one task each.

`migration_start` marks the row and enqueues these by name after commit; `run` is that
request's token, so a superseded run stops at its next chunk.
"""

from __future__ import annotations

from payments.models import MigrationImport
from payments.services.migration_import import migration_apply, migration_dry_run
from studio.models import User
from studio.services import SYSTEM, Actor
from studio.tasking import studio_task


def _migration_actor(user_id: int | None) -> Actor:
    return Actor(user=User.objects.filter(pk=user_id).first()) if user_id else SYSTEM


@studio_task(name="payments.migration_dry_run")
def migration_dry_run_task(studio_id: int, migration_id: int, run: str, user_id: int | None = None) -> str:
    """Check every row of the import without writing anything."""
    migration = MigrationImport.objects.get(pk=migration_id)
    return migration_dry_run(migration=migration, run=run).status


@studio_task(name="payments.migration_apply")
def migration_apply_task(studio_id: int, migration_id: int, run: str, user_id: int | None = None) -> str:
    """Apply the checked import, resumable chunk by chunk."""
    migration = MigrationImport.objects.get(pk=migration_id)
    return migration_apply(migration=migration, actor=_migration_actor(user_id), run=run).status
