import os

from celery import Celery

from studio import beat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.dev")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The live registry, not a copy: apps fill it in their ready(), which runs (django.setup(), via
# Celery's Django fixup) before beat builds its scheduler. See studio/beat.py.
app.conf.beat_schedule = beat.ENTRIES
app.autodiscover_tasks()
