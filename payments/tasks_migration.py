"""The migration import's worker task (PAY-10)."""

from __future__ import annotations

from studio.tasking import studio_task


@studio_task(name="payments.stripe_migration_run")
def stripe_migration_run(studio_id: int, migration_id: int, apply: bool, user_id: int | None = None) -> dict:
    from payments.models import MigrationImport
    from payments.services.stripe_migration import migration_run
    from studio.models import User
    from studio.services import Actor

    migration = MigrationImport.objects.select_related("studio", "target_account").get(pk=migration_id)
    actor = Actor(user=User.objects.filter(pk=user_id).first() if user_id else None)
    try:
        return migration_run(migration=migration, apply=apply, actor=actor).summary
    except Exception as exc:
        MigrationImport.objects.filter(pk=migration_id).update(status=MigrationImport.Status.FAILED,
                                                               error=f"{type(exc).__name__}: {exc}"[:2000])
        raise


# --- The chunked import (payments.services.migration_import): a dry run and an apply, one task each.
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
