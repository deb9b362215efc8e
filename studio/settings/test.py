from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests never ship
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATIONS_KEEP_SECRET_BODIES = True
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5

# Tests talk to the sandbox in-process (payments/tests/conftest.py installs its transport).
STRIPE_SECRET_KEY = "sk_test_atelier_sandbox"
STRIPE_API_BASE = ""
STRIPE_TARGET = "sandbox"
STRIPE_MAX_NETWORK_RETRIES = 0
# Like the SDK's retries above: a 429 surfaces at once unless a test turns the throttle's retries on.
STRIPE_RATE_LIMITS = {**STRIPE_RATE_LIMITS, "retries_on_429": 0}  # noqa: F405

# /healthz's worker round trip: the suite's worker thread shares two cores with both test workers.
HEALTH_WORKER_TIMEOUT = 15.0
