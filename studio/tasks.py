from celery import shared_task


@shared_task(name="studio.ping")
def ping() -> str:
    """Answered by any live worker; /healthz uses it."""
    return "pong"
