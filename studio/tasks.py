from celery import shared_task

# Celery's autodiscovery imports `studio.tasks` only: the worker registers the tasks of studio's
# own packages (mail delivery and its sweep) through this import.
from studio.notifications import tasks as notification_tasks  # noqa: F401


@shared_task(name="studio.ping")
def ping() -> str:
    """Answered by any live worker; /healthz uses it."""
    return "pong"
