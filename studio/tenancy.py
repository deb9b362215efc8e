"""The tenancy machinery: every tenant row belongs to one Studio and is reachable only
inside that studio's scope.

`TenantModel` gives a model its non-null `studio` FK and a django-scopes manager: a query
made without `scope(studio=...)` active raises `ScopeError` instead of quietly reading every
studio's rows. The middleware opens the scope for `/<studio_slug>/…` requests; tasks open it
with `@studio_task` (studio/tasking.py). Unscoped access (`scopes_disabled()`) is allowed only in the
short list of places named in docs/architecture.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, scope, scopes_disabled

__all__ = ["TenantModel", "scope", "scopes_disabled", "tenant_models"]


class TenantModel(models.Model):
    """Abstract base of every studio-owned table."""

    studio = models.ForeignKey(
        "studio.Studio", on_delete=models.PROTECT, related_name="+", verbose_name=_("studio")
    )

    objects = ScopedManager(studio="studio")

    class Meta:
        abstract = True


def tenant_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def tenant_formfield_callback(db_field: models.Field, **kwargs):
    """ModelForm field factory that never queries a scoped manager at class-definition time.

    Django builds a ModelChoiceField's queryset from the related model's default manager when
    the form *class* is created, i.e. outside any studio scope, which django-scopes rightly
    refuses. Relations to tenant models start empty here; each form's `__init__` sets the
    studio's own queryset explicitly.
    """
    related = getattr(db_field, "related_model", None)
    if isinstance(related, type) and issubclass(related, TenantModel):
        kwargs.setdefault("queryset", related._default_manager.none())
    return db_field.formfield(**kwargs)
