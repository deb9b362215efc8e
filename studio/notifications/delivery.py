"""Which email backend production delivers through: django-anymail, behind Django's standard
backend API, so `message_deliver` (one `EmailMultiAlternatives.send()`) is the same everywhere.

`ANYMAIL_ESP` names the provider; each needs its own key from the environment, and a missing one
fails at start-up (production settings fail fast). Unset, production keeps SMTP (`EMAIL_URL`);
dev and tests keep Django's recording backends (the outbox pages show what was sent).
Imported by the settings: nothing here may touch models or the app registry.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

# provider: (backend, {ANYMAIL setting: (environment variable, required)})
ESPS: dict[str, tuple[str, dict[str, tuple[str, bool]]]] = {
    "postmark": (
        "anymail.backends.postmark.EmailBackend",
        {"POSTMARK_SERVER_TOKEN": ("POSTMARK_SERVER_TOKEN", True)},
    ),
    "mailgun": (
        "anymail.backends.mailgun.EmailBackend",
        {
            "MAILGUN_API_KEY": ("MAILGUN_API_KEY", True),
            "MAILGUN_SENDER_DOMAIN": ("MAILGUN_SENDER_DOMAIN", False),
            # https://api.eu.mailgun.net/v3 for an EU account
            "MAILGUN_API_URL": ("MAILGUN_API_URL", False),
        },
    ),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", {"SENDGRID_API_KEY": ("SENDGRID_API_KEY", True)}),
    # Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID…, an instance role); boto3 is the
    # `django-anymail[amazon-ses]` extra, not installed by default.
    "amazon_ses": ("anymail.backends.amazon_ses.EmailBackend", {}),
}


class DeliveryMisconfigured(Exception):
    pass


def esp_settings(esp: str, getenv: Callable[[str], str | None]) -> tuple[str, dict[str, str]]:
    """(EMAIL_BACKEND, ANYMAIL) for provider `esp`, reading keys with `getenv`; raises
    DeliveryMisconfigured naming what is missing."""
    try:
        backend, keys = ESPS[esp]
    except KeyError:
        raise DeliveryMisconfigured(f"ANYMAIL_ESP={esp!r} is not one of: {', '.join(sorted(ESPS))}") from None
    if esp == "amazon_ses" and importlib.util.find_spec("boto3") is None:
        raise DeliveryMisconfigured(
            "ANYMAIL_ESP=amazon_ses needs boto3 (pip install 'django-anymail[amazon-ses]')"
        )
    anymail: dict[str, str] = {}
    for setting, (variable, required) in keys.items():
        value = getenv(variable) or ""
        if value:
            anymail[setting] = value
        elif required:
            raise DeliveryMisconfigured(f"ANYMAIL_ESP={esp} needs {variable} in the environment")
    return backend, anymail
