"""Tenant isolation (CORE-1/CORE-2, DESIGN.md "Tenancy")."""

from __future__ import annotations

import pytest
from django.contrib.postgres.fields import ArrayField  # noqa: F401 - imported for field introspection
from django.db import models
from django.db.models import F
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from studio.models import Client
from studio.tenancy import TenantModel, tenant_models
from tests.factories import ClientFactory, make_studio, owner_of
from tests.isolation import CASES
from tests.url_walk import tenant_urls

PROJECT_APPS = ("studio", "payments", "pos", "scheduling", "memberships", "payroll", "waivers", "checkout")


def test_every_tenant_model_is_scoped_and_carries_a_studio():
    assert tenant_models(), "no tenant models found"
    for model in tenant_models():
        field = model._meta.get_field("studio")
        assert not field.null, f"{model.__name__}.studio must be non-null"
        with pytest.raises(ScopeError):
            list(model.objects.all())
        assert "ScopedManager" in type(model._default_manager).__qualname__ or hasattr(
            model._default_manager, "with_scope"
        ), f"{model.__name__} must use the scoped manager"


def test_tables_with_a_studio_column_are_tenant_models():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        names = {f.name for f in model._meta.get_fields()}
        if "studio" in names and model.__name__ not in {"Studio"}:
            field = model._meta.get_field("studio")
            if getattr(field, "related_model", None).__name__ == "Studio" and not field.many_to_many:
                assert issubclass(model, TenantModel), (
                    f"{model.__name__} has a studio but is not a TenantModel"
                )


def test_unique_constraints_and_indexes_begin_with_studio():
    """Citus-ready: every unique constraint and index of a tenant table leads with studio_id."""
    for model in tenant_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            first = constraint.fields[0] if constraint.fields else constraint.expressions[0]
            if isinstance(first, F):
                first = first.name
            assert first == "studio", f"{model.__name__}.{constraint.name} must begin with studio"
        for index in model._meta.indexes:
            first = index.fields[0] if index.fields else index.expressions[0]
            if isinstance(first, F):
                first = first.name
            assert str(first).lstrip("-") == "studio", f"{model.__name__}.{index.name} must begin with studio"


def test_no_float_fields_anywhere():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for field in model._meta.get_fields():
                assert not isinstance(field, models.FloatField), (
                    f"{model.__name__}.{field.name} is a FloatField"
                )


@pytest.mark.django_db
def test_scope_only_sees_its_own_studio(studio, other_studio):
    ClientFactory(studio=studio, first_name="Mine")
    with scope(studio=studio):
        names = set(Client.objects.values_list("first_name", flat=True))
    assert names == {"Mine"}
    with scopes_disabled():
        assert Client.objects.filter(studio=other_studio).exists()


@pytest.mark.django_db
def test_every_tenant_url_with_ids_has_an_isolation_case():
    missing = [u.name for u in _urls_with_ids() if u.name not in CASES]
    assert not missing, f"add these URLs to an isolation CASES dict: {missing}"


def _urls_with_ids():
    # Parameters that are not ids (a kind of payment method) do not identify another studio's rows.
    return [u for u in tenant_urls() if set(u.params) - {"kind"}]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_studios_ids_answer_404(client, method):
    """Staff (owner) of studio B, on B's own URLs, using A's ids: always 404, never data or 403."""
    studio_a = make_studio("victim")
    studio_b = make_studio("intruder")
    intruder = owner_of(studio_b).user
    ClientFactory(
        studio=studio_b, user=intruder, email=intruder.email
    )  # also B's client: hosted-page URLs too
    client.force_login(intruder, backend="django.contrib.auth.backends.ModelBackend")
    cases = {url.name: CASES[url.name](studio_a) for url in _urls_with_ids()}
    before = _studio_rows(studio_a)
    failures = []
    for url in _urls_with_ids():
        kwargs = cases[url.name]
        path = "/" + url.route.replace("<slug:studio_slug>", studio_b.slug)
        for key, value in kwargs.items():
            for conv in ("int", "str", "slug", "uuid"):
                path = path.replace(f"<{conv}:{key}>", str(value))
        response = getattr(client, method)(path)
        if not _refused(response):
            failures.append((url.name, path, response.status_code))
    assert not failures, failures
    assert _studio_rows(studio_a) == before, "a request from another studio changed studio A's data"


def _refused(response) -> bool:
    """404, or 405 from a method guard (`@require_POST`): it answers before any row is looked up,
    with an empty body, so it cannot reveal another studio's data; the other method of the same
    matrix still has to answer 404."""
    if response.status_code == 404:
        return True
    return response.status_code == 405 and "Allow" in response.headers and not response.content.strip()


def _studio_rows(studio) -> dict[str, list]:
    """Every row of every tenant table of one studio, as plain values (to prove nothing changed)."""
    with scopes_disabled():
        return {
            model.__name__: sorted(map(repr, model.objects.filter(studio=studio).values_list()))
            for model in tenant_models()
        }


def test_a_method_guard_counts_as_a_refusal_but_a_page_does_not():
    from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

    assert _refused(HttpResponseNotFound()) and _refused(HttpResponseNotAllowed(["POST"]))
    assert not _refused(HttpResponse("a page")) and not _refused(HttpResponse(status=403))
    assert not _refused(HttpResponseNotAllowed(["POST"], content=b"Alice's balance"))
