"""Settings shared by every environment.

Everything that differs between machines comes from the environment (or one `.env` file),
read once here through django-environ. `studio.settings.production` refuses to start without
its secrets; development and tests fall back to the embedded services started by
`studio.launcher`.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "studio.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "studio",
    "scheduling",
    "payments",
    "waivers",
    "memberships",
    "pos",
    "checkout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Its process_view opens the studio's scope before CSRF's may refuse (studio/middleware.py).
    "studio.middleware.StudioTenantMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "studio.signed_in.AuthenticationMiddleware",  # Django's, the user row read compiled (issue #14)
    "django.contrib.messages.middleware.MessageMiddleware",
    "studio.middleware.HostileInputMiddleware",  # after locale and auth: the refusal speaks the visitor's language
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "studio.context_processors.tenant",
            ],
            # Its `date` filter replaces Django's: French weekdays and months in lower case, "1er".
            "builtins": ["studio.templatetags.typography"],
        },
    },
]
# Django's form renderer, with the plain inputs, selects and labels written in Python (the same
# markup): a page of forms drew each through three templates (studio/form_renderer.py).
FORM_RENDERER = "studio.form_renderer.FormRenderer"

# The launcher exports DATABASE_URL / REDIS_URL after starting the embedded servers; a real
# deployment sets them itself.
DATABASES = {"default": env.db("DATABASE_URL", default="postgresql://postgres@/atelier?host=/tmp")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions (DESIGN.md)
DATABASES["default"].setdefault("CONN_MAX_AGE", 0)
# Parameters travel apart from the SQL (server-side binding), so psycopg can prepare a statement
# the connection runs again: PostgreSQL then plans it once per connection instead of every time.
# A page's joined reads (a cart's lines with what they sell) spent more time being planned than
# run (docs/decisions.md, "Prepared statements"). Off with DB_PREPARED_STATEMENTS=false behind a
# pooler in transaction mode (PgBouncer before 1.21), which cannot keep them.
if env.bool("DB_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=env.int("DB_PREPARE_THRESHOLD", default=2)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "atelier",
    }
}

AUTH_USER_MODEL = "studio.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: a locked-out account or address is refused before any password is hashed.
    "studio.access.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (docs/decisions.md): axes locks the pair (account, address) hard; the account
# alone is slowed by a growing delay (studio.access.SignInThrottleBackend). A success clears only
# that pair's failures, so signing in to one's own account clears nobody else's.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=8)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # waiting is always enough
AXES_USERNAME_CALLABLE = "studio.access.signin_username"
AXES_CLIENT_IP_CALLABLE = "studio.access.client_ip_address"
AXES_LOCKOUT_CALLABLE = "studio.access.signin_refused_response"
SIGNIN_ACCOUNT_SOFT_LIMIT = env.int("SIGNIN_ACCOUNT_SOFT_LIMIT", default=10)
SIGNIN_ADDRESS_SOFT_LIMIT = env.int("SIGNIN_ADDRESS_SOFT_LIMIT", default=50)
SIGNIN_ACCOUNT_MAX_DELAY = env.int("SIGNIN_ACCOUNT_MAX_DELAY", default=300)  # seconds
# Behind a reverse proxy every visitor shares its address: name the header it sets, and how many
# proxies append to it. Empty: REMOTE_ADDR.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", default="")
CLIENT_IP_PROXY_COUNT = env.int("CLIENT_IP_PROXY_COUNT", default=1)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own fr/en formats (OQLF grouping with a narrow no-break space); see studio/formats/.
FORMAT_MODULE_PATH = ["studio.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Atelier <no-reply@atelier.test>")
# Mail goes through studio.notifications, which records every message (the outbox). A body
# holding a one-time secret (password reset) is blanked once sent, unless this is set (dev, tests).
NOTIFICATIONS_KEEP_SECRET_BODIES = env.bool("NOTIFICATIONS_KEEP_SECRET_BODIES", default=False)

SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, the session row read through compiled SQL (studio/signed_in.py).
SESSION_ENGINE = "studio.signed_in"
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers
X_FRAME_OPTIONS = "DENY"

# Celery: tasks are enqueued with transaction.on_commit by the services.
# The embedded Redis listens on a Unix socket: Celery spells that `redis+socket://`, the
# cache `unix://`; the launcher exports both. A real Redis uses one `redis://` URL for all.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat entries are registered by each app in its ready(): studio/beat.py.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # The SDK logs every request at INFO: useful when debugging (STRIPE_LOG_LEVEL=INFO), noise otherwise.
    "loggers": {
        "axes": {"level": "WARNING"},
        "stripe": {"level": env("STRIPE_LOG_LEVEL", default="WARNING")},
    },
}

# Upload limits for studio branding.
LOGO_MAX_BYTES = 2 * 1024 * 1024

# --- Stripe (payments/gateway) ---------------------------------------------------------------
# Default target: the local Stripe sandbox (`make run` serves it on 127.0.0.1:12111). Real
# Stripe: set STRIPE_SECRET_KEY/STRIPE_PUBLISHABLE_KEY (and leave STRIPE_API_BASE unset).
# stripe-mock: set STRIPE_API_BASE to its address.
SANDBOX_STRIPE_URL = "http://127.0.0.1:12111"
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_atelier_sandbox")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_atelier_sandbox")
_stripe_is_sandbox = STRIPE_SECRET_KEY == "sk_test_atelier_sandbox"
STRIPE_API_BASE = env("STRIPE_API_BASE", default=SANDBOX_STRIPE_URL if _stripe_is_sandbox else "")
STRIPE_TARGET = "sandbox" if _stripe_is_sandbox else ("mock" if STRIPE_API_BASE else "stripe")
# Where pages load Stripe.js from: Stripe's CDN, or the sandbox's stand-in of the same calls.
STRIPE_JS_URL = env(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE}/_sandbox/js/stripe.js" if _stripe_is_sandbox else "https://js.stripe.com/v3/",
)
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_atelier_sandbox_platform")
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="whsec_atelier_sandbox_connect")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# The throttle every Stripe request goes through (payments/gateway/throttle.py): requests per
# second as Stripe documents them (docs.stripe.com/rate-limits) — per account 100 live / 25 test,
# per endpoint 25 unless noted ("endpoints": {"POST /v1/files": 20}) — and our own cap for the
# platform as a whole; each bucket runs `headroom` below its limit.
STRIPE_RATE_LIMITS = {
    "enabled": env.bool("STRIPE_THROTTLE", default=True),
    "account_live": env.float("STRIPE_RATE_ACCOUNT_LIVE", default=100.0),
    "account_test": env.float("STRIPE_RATE_ACCOUNT_TEST", default=25.0),
    "endpoint": env.float("STRIPE_RATE_ENDPOINT", default=25.0),
    "endpoints": {},
    "platform": env.float("STRIPE_RATE_PLATFORM", default=500.0),
    "headroom": env.float("STRIPE_RATE_HEADROOM", default=0.1),
    "burst": env.int("STRIPE_RATE_BURST", default=1),
    "max_wait": env.float("STRIPE_RATE_MAX_WAIT", default=10.0),
    "retries_on_429": env.int("STRIPE_RATE_RETRIES", default=3),
}
