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
