"""Production delivery through django-anymail (CHK-3): the provider picked from the environment,
its key required at start-up; dev and tests keep the recording backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from studio.notifications.delivery import ESPS, DeliveryMisconfigured, esp_settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "studio.settings.production",
    "DJANGO_SECRET_KEY": "x" * 60 + "-Prod-Key-123",
    "DATABASE_URL": "postgresql://u:p@db/atelier",
    "REDIS_URL": "redis://redis:6379/0",
    "DJANGO_ALLOWED_HOSTS": "atelier.example.com",
    "SITE_URL": "https://atelier.example.com",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_y",
    "PATH": "/usr/bin:/bin",
}


def _production(**extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env={**PRODUCTION, **extra},
        capture_output=True,
        text=True,
    )


def test_each_provider_needs_its_key():
    assert esp_settings("postmark", {"POSTMARK_SERVER_TOKEN": "pm-1"}.get) == (
        "anymail.backends.postmark.EmailBackend",
        {"POSTMARK_SERVER_TOKEN": "pm-1"},
    )
    backend, anymail = esp_settings("mailgun", {"MAILGUN_API_KEY": "k", "MAILGUN_SENDER_DOMAIN": "mg.x"}.get)
    assert backend == "anymail.backends.mailgun.EmailBackend"
    assert anymail == {"MAILGUN_API_KEY": "k", "MAILGUN_SENDER_DOMAIN": "mg.x"}
    for esp in ("postmark", "mailgun", "sendgrid"):
        with pytest.raises(DeliveryMisconfigured, match="needs"):
            esp_settings(esp, {}.get)
    with pytest.raises(DeliveryMisconfigured, match="not one of"):
        esp_settings("carrier-pigeon", {}.get)
    assert set(ESPS) >= {"postmark", "mailgun", "sendgrid", "amazon_ses"}


def test_production_picks_the_provider_from_the_environment():
    chosen = _production(ANYMAIL_ESP="postmark", POSTMARK_SERVER_TOKEN="pm-secret")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip().splitlines()[-1] == "anymail.backends.postmark.EmailBackend"
    missing = _production(ANYMAIL_ESP="postmark")
    assert missing.returncode != 0 and "POSTMARK_SERVER_TOKEN" in missing.stderr
    smtp = _production()
    assert (
        smtp.returncode == 0
        and smtp.stdout.strip().splitlines()[-1] == "django.core.mail.backends.smtp.EmailBackend"
    )


def test_tests_keep_the_recording_backend():
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_anymail_is_pinned_for_production():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"django-anymail~=' in pyproject


def test_the_chosen_backends_exist_in_the_pinned_anymail():
    from django.utils.module_loading import import_string

    for esp, (backend, _keys) in ESPS.items():
        if esp == "amazon_ses":
            continue  # needs boto3, the optional extra
        assert import_string(backend).__module__.startswith("anymail.backends."), esp


@pytest.mark.django_db
def test_a_message_goes_out_through_anymail_with_both_parts(settings, studio):
    """Anymail's own test backend stands in for a provider: the HTML and text parts, the studio's
    name on the sender, as `message_deliver` hands them to Django's standard backend API."""
    from django.core import mail
    from django_scopes import scope

    from studio.notifications.services import Addressee, notification_send

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    with scope(studio=studio):
        [message] = notification_send(
            studio=studio,
            recipient=Addressee(email="ana@example.test", language="en"),
            template="studio/invitation",
            context={"invitation": None, "url": "https://x.test/invite/"},
        )
    from studio.notifications.services import message_deliver

    with scope(studio=studio):
        assert message_deliver(message=message)
    [sent] = mail.outbox
    assert sent.anymail_test_params  # it went through anymail's payload, not Django's locmem
    assert sent.from_email.startswith("Studio alpha")
    assert sent.alternatives[0][1] == "text/html" and "https://x.test/invite/" in sent.body
