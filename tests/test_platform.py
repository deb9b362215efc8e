"""Health endpoint with a real worker, tasks re-entering the scope, and checks a machine can make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from studio.celery import app as celery_app
from studio.models import Client
from studio.tasking import studio_task
from tests.factories import ClientFactory

ROOT = Path(__file__).resolve().parent.parent


@studio_task(name="tests.count_clients")
def count_clients(studio_id: int) -> int:
    return Client.objects.count()


@pytest.fixture(scope="module")
def celery_worker_thread(django_db_blocker):
    """A real Celery worker (threads pool) on the embedded Redis broker."""
    with (
        django_db_blocker.unblock(),
        start_worker(
            celery_app,
            pool="threads",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
        ),
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_redis_and_worker(client, celery_worker_thread):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["database"]["ok"] and body["redis"]["ok"] and body["worker"]["ok"]


@pytest.mark.django_db(transaction=True)
def test_studio_task_runs_in_its_studio_scope_on_the_worker(studio, other_studio, celery_worker_thread):
    ClientFactory(studio=studio)
    ClientFactory(studio=studio)
    result = count_clients.delay(studio.pk)
    assert result.get(timeout=10) == 2
    assert count_clients.delay(other_studio.pk).get(timeout=10) == 1


def test_query_outside_a_scope_raises(db):
    with pytest.raises(ScopeError):
        Client.objects.count()
    with scope(studio=None):
        pass


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_are_complete(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "studio.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60 + "-Prod-Key-123",
        "DATABASE_URL": "postgresql://u:p@db/atelier",
        "REDIS_URL": "redis://redis:6379/0",
        "DJANGO_ALLOWED_HOSTS": "atelier.example.com",
        "SITE_URL": "https://atelier.example.com",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
        "PATH": "/usr/bin:/bin",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_y",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets():
    env = {"DJANGO_SETTINGS_MODULE": "studio.settings.production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# --- request machinery: private pages are never cached, each role's checklist is actionable ----


@pytest.mark.django_db
def test_every_staff_client_and_kiosk_page_is_sent_no_store(studio, other_studio, owner, a_client):
    from django.test import Client as HttpClient
    from django.urls import reverse

    from studio.middleware import PRIVATE_PREFIXES
    from tests.isolation import CASES
    from tests.url_walk import tenant_urls

    private = [u for u in tenant_urls() if u.route.split("/", 1)[1].startswith(PRIVATE_PREFIXES)]
    assert {"dashboard", "account-home", "kiosk"} <= {u.name for u in private}
    staff = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    anonymous = HttpClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    missing = []
    for url in private:
        if set(url.params) - {"kind"} and url.name not in CASES:
            continue
        kwargs = CASES[url.name](studio) if set(url.params) - {"kind"} else {}
        if "kind" in url.params:
            kwargs["kind"] = "card"
        path = reverse(url.name, kwargs={"studio_slug": studio.slug, **kwargs})
        for who, http in (("owner", staff), ("anonymous", anonymous)):
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = http.get(path, **headers)
                if "no-store" not in response.get("Cache-Control", ""):
                    missing.append((url.name, who, bool(headers), response.status_code))
    assert not missing, missing
    public = anonymous.get(reverse("studio-home", kwargs={"studio_slug": studio.slug}))
    assert "no-store" not in public.get("Cache-Control", "")  # public pages stay cacheable


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["owner", "manager", "front_desk", "teacher"])
def test_each_role_sees_only_the_checklist_steps_it_can_act_on(client, studio, other_studio, kind):
    from django.urls import reverse

    from tests.factories import StaffFactory, owner_of

    member = owner_of(studio) if kind == "owner" else StaffFactory(studio=studio, kind=kind)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("dashboard", kwargs={"studio_slug": studio.slug}))
    steps = page.context["steps"]
    for step in steps:
        if step.url and step.available:
            assert client.get(step.url).status_code == 200, (kind, step.step.key)
    if kind == "owner":
        assert len(steps) == 8
    else:
        assert len(steps) < 8, kind  # the owner's steps the role cannot act on are not shown
    if kind in ("teacher", "front_desk"):
        assert steps == [] and "Getting started" not in page.content.decode()


# --- time zones: money pages show the studio's wall time, never UTC ----------------------------

MONEY_PAGES = [
    "payments-ledger",
    "payments-payment-detail",
    "audit-log",
    "payments-client-credit",
    "payments-accounts",
    "payments-account-detail",
    "payments-saved-methods-settings",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_money_pages_render_times_in_the_studio_zone(language):
    import datetime as dt

    from django.apps import apps
    from django.core.management import call_command
    from django.db import models
    from django.test import Client as HttpClient
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from payments import gateway
    from stripe_sandbox import Sandbox
    from stripe_sandbox.transport import SandboxHTTPClient
    from studio.models import Studio, User

    # 12:47 in Toronto (EDT); later than anything the demo seeds, so the audit log (newest first)
    # shows the entry on its first page however much demo history there is.
    instant = dt.datetime(2027, 7, 15, 16, 47, tzinfo=dt.UTC)
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            demo = Studio.objects.get(slug="demo")
            for model in apps.get_app_config("payments").get_models():
                fields = {
                    f.name: instant
                    for f in model._meta.concrete_fields
                    if isinstance(f, models.DateTimeField)
                }
                if fields and any(f.name == "studio" for f in model._meta.concrete_fields):
                    model.objects.filter(studio=demo).update(**fields)
            payment = apps.get_model("payments", "Payment").objects.filter(studio=demo).first()
            credit = apps.get_model("payments", "CreditEntry").objects.filter(studio=demo).first()
            account = apps.get_model("payments", "ConnectedAccount").objects.filter(studio=demo).first()
            # The audit log is append-only (a trigger): record a new entry at the instant instead.
            from unittest import mock

            from studio import services

            with mock.patch("django.utils.timezone.now", return_value=instant):
                services.audit_record(studio=demo, actor=services.SYSTEM, action="settings.changed", obj=demo)
        owner = User.objects.get(email="owner@demo.atelier.test")
        http = HttpClient(HTTP_ACCEPT_LANGUAGE=language)
        http.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        http.cookies["django_language"] = language
        kwargs = {
            "payments-payment-detail": {"pk": payment.pk},
            "payments-client-credit": {"pk": credit.client_id},
            "payments-account-detail": {"pk": account.pk},
        }
        utc_shown, local_missing = [], []
        for name in MONEY_PAGES:
            body = http.get(
                reverse(name, kwargs={"studio_slug": "demo", **kwargs.get(name, {})})
            ).content.decode()
            if "16:47" in body or "4:47" in body:
                utc_shown.append(name)
            if "12:47" not in body and name != "payments-accounts":  # the list shows no time; its detail does
                local_missing.append(name)
    assert not utc_shown, f"UTC times on {utc_shown}"
    assert not local_missing, f"no Toronto wall time (12:47) on {local_missing}"


def test_localtime_at_uses_the_location_zone_through_the_date_filter():
    import datetime as dt

    from django.template import Context, Template
    from django.utils import timezone

    class Place:
        time_zone = "America/Vancouver"

    instant = dt.datetime(2026, 7, 15, 16, 47, tzinfo=dt.UTC)
    template = Template(
        '{% load zones %}{{ at|localtime_at:place|date:"H:i" }} {{ at|date:"H:i" }} '
        '{{ at|localtime_at:"nowhere/zone"|date:"H:i" }}'
    )
    with timezone.override("America/Toronto"):
        assert template.render(Context({"at": instant, "place": Place()})) == "09:47 12:47 12:47"


# --- the audit log in words -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_audit_log_reads_in_words(client, studio, other_studio, owner, language):
    from django.urls import reverse
    from django_scopes import scope

    from studio import services
    from studio.models import AuditLog, Role
    from studio.permissions import RoleKind

    actor = services.Actor(user=owner.user)
    with scope(studio=studio):
        role = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
        role.permissions = ["manage_clients"]
        services.role_save(studio=studio, actor=actor, role=role)
        # An entry as other apps write them: a code, a record with Django's default name, minor units.
        services.audit_record(studio=studio, actor=actor, action="refund.created", changes={"amount": 11743})
        AuditLog.objects.create(
            studio=studio,
            actor=owner.user,
            action="payments.fees_updated",
            object_type="role",
            object_id=str(role.pk),
            object_repr="Role object (2)",
            changes={"permissions": [[], ["manage_clients"]]},
        )
    client.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    page = client.get(reverse("audit-log", kwargs={"studio_slug": studio.slug})).content.decode()
    table = page[page.index('<table class="table audit">') :]
    body = re.sub(r' title="[^"]*"', "", table[: table.index("</table>")])
    for code in ("role.changed", "refund.created", "11743", "[[]", "object (2)", "manage_clients"):
        assert code not in body, code
    if language == "en":
        assert "Role changed" in body and "$117.43" in body and "Create and edit clients" in body
    else:
        assert "Rôle modifié" in body or "Role changed" in body  # the catalogue is merged by the lead
        assert "117,43" in body


@pytest.mark.django_db
@pytest.mark.parametrize("language,time,rate", [("en", "11:15", "2.9"), ("fr", "11:15", "2,9")])
def test_audit_details_show_stored_times_in_the_studio_zone_and_decimals_in_the_reader_locale(
    client, studio, owner, language, time, rate
):
    """Other apps store datetimes as ISO text in UTC and decimals as "2.900": read them as words."""
    from django.urls import reverse
    from django_scopes import scope

    from studio import services

    assert studio.time_zone == "America/Toronto"
    with scope(studio=studio):
        services.audit_record(
            studio=studio,
            actor=services.Actor(user=owner.user),
            action="session.changed",
            changes={
                "starts_at": {"from": "2026-12-03 16:15:00+00:00", "to": "2026-12-03T16:45:00Z"},
                "card_fee": {"from": "1.000", "to": "2.900"},
            },
        )
    client.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    page = client.get(reverse("audit-log", kwargs={"studio_slug": studio.slug})).content.decode()
    table = page[page.index('<table class="table audit">') :]
    body = table[: table.index("</table>")]
    assert "+00:00" not in body and "16:15" not in body and "2.900" not in body
    assert time in body and "11:45" in body
    assert f"1 → {rate}" in body


@studio_task(name="tests.current_zone")
def current_zone(studio_id: int) -> str:
    from django.utils import timezone

    return timezone.get_current_timezone_name()


@pytest.mark.django_db
def test_studio_tasks_run_in_the_studio_zone(other_studio):
    from tests.factories import make_studio

    vancouver = make_studio("west", time_zone="America/Vancouver")
    assert current_zone.apply(args=(vancouver.id,)).get() == "America/Vancouver"


def test_every_audit_action_in_the_code_reads_as_a_sentence():
    """A new audit code without a registered sentence would show as a code: register it in ready()."""
    from studio.registries import audit

    codes = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)" if', text))
        codes |= set(re.findall(r'else "([a-z_]+\.[a-z_]+)"', text))
    assert len(codes) > 40
    missing = sorted(code for code in codes if code not in audit.ACTIONS)
    assert not missing, missing


def test_every_audit_detail_key_in_the_code_reads_as_words():
    """A detail key ("kind", "entry", "columns"…) written by an app's service reads with a registered
    label (or the record's own field name), never as the raw key in English on a French page."""
    import ast

    from django.apps import apps

    from studio.registries import audit

    model_fields = {f.name for model in apps.get_models() for f in model._meta.get_fields()}
    keys: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_record"
            ):
                for keyword in node.keywords:
                    if keyword.arg in ("changes", "details") and isinstance(keyword.value, ast.Dict):
                        keys |= {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
    assert len(keys) > 20
    unlabelled = sorted(key for key in keys if key not in audit.FIELDS and key not in model_fields)
    assert not unlabelled, unlabelled


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Hatha · Fri 4 Dec 10:00"), ("fr", "Hatha · ven. 4 déc. 10:00")]
)
def test_a_class_session_in_the_audit_log_reads_its_date_in_the_readers_words(language, expected):
    from django.utils import translation

    from studio.models import AuditLog
    from studio.registries import audit

    entry = AuditLog(object_type="classsession", object_id="7", object_repr="Hatha · 2026-12-04 10:00")
    with translation.override(language):
        assert audit.record_label(entry) == expected
