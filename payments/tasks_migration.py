"""The migration import's worker tasks (PAY-10): a dry run and an apply, one task each."""

from __future__ import annotations

from studio.tasking import studio_task

# `migration_start` marks the row and enqueues these after commit; `run` is that request's token,
# so a superseded run stops at its next chunk.


def _migration_actor(user_id: int | None):
    from studio.models import User
    from studio.services import SYSTEM, Actor

    return Actor(user=User.objects.filter(pk=user_id).first()) if user_id else SYSTEM


@studio_task(name="payments.migration_dry_run")
def migration_dry_run_task(studio_id: int, migration_id: int, run: str, user_id: int | None = None) -> str:
    from payments.models import MigrationImport
    from payments.services.migration_import import migration_dry_run

    migration = MigrationImport.objects.get(pk=migration_id)
    return migration_dry_run(migration=migration, run=run).status


@studio_task(name="payments.migration_apply")
def migration_apply_task(studio_id: int, migration_id: int, run: str, user_id: int | None = None) -> str:
    from payments.models import MigrationImport
    from payments.services.migration_import import migration_apply

    migration = MigrationImport.objects.get(pk=migration_id)
    return migration_apply(migration=migration, actor=_migration_actor(user_id), run=run).status
