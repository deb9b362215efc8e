from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405
# No mail server in `make run`: messages are recorded and read in the outbox (/outbox/ for the
# platform operator, /<studio>/manage/messages/ for staff), not printed to the console.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.dummy.EmailBackend")  # noqa: F405
NOTIFICATIONS_KEEP_SECRET_BODIES = True
