"""Unscoped access and raw SQL only where this file allows them (DESIGN.md, "Tenancy").

`scopes_disabled()` switches the tenancy guard off; raw SQL (`.raw(`, `cursor(`, `RawSQL`,
`.extra(`) never meets it. Either is sometimes right, so each use is listed here by module and
function, with the reason. A new use fails this test until someone adds it, with its reason, in
review. Test code (`tests/`, `<app>/tests/`, `bench/`) and migrations are not checked: factories
and assertions read across studios on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("studio", "payments", "scheduling", "waivers", "memberships", "pos", "payroll", "checkout")

# (module, enclosing function) → why unscoped access is right there.
SCOPES_DISABLED = {
    (
        "studio.admin_site",
        "PlatformAdminSite.admin_view.unscoped",
    ): "the platform operator's admin sees every studio; its views and rendering run unscoped",
    (
        "studio.selectors",
        "studios_for_user",
    ): "the directory of a person's studios: it has to look across studios to list them",
    (
        "studio.selectors",
        "client_studios_for_user",
    ): "the studios where a person is a client (sign-in links after a password reset): across studios by design",
    (
        "studio.notifications.selectors",
        "platform_outbox",
    ): "the platform operator's outbox lists every studio's messages",
    (
        "studio.notifications.selectors",
        "platform_message",
    ): "one message of the platform operator's outbox, whatever its studio",
    (
        "studio.notifications.tasks",
        "sweep_undelivered",
    ): "beat fan-out: collects (studio_id, message_id) pairs; each delivery re-enters its studio",
    (
        "payments.tasks.reconcile",
        "payments_reconcile_all",
    ): "beat fan-out: which studios have unsettled payments; the per-studio task re-enters the scope",
    (
        "payments.tasks.refunds",
        "refunds_reconcile_all",
    ): "beat fan-out: which studios have pending refunds; the per-studio task re-enters the scope",
    (
        "payments.tasks.outcomes",
        "sweep_outcomes",
    ): "beat fan-out: which studios have undelivered payment outcomes; per-studio task re-enters",
}

# (module, enclosing function, kind) → why SQL is written by hand there.
RAW_SQL = {
    ("studio.health", "check_database", "cursor"): "/healthz runs SELECT 1: no model involved",
    (
        "payments.services.migration_plan.writing",
        "Writing._repoint",
        "cursor",
    ): "one UPDATE … FROM (VALUES …) per chunk of the migration import (bulk_update costs seconds); "
    "the studio is in the WHERE clause",
    (
        "studio.compiled_sql",
        "_execute",
        "cursor",
    ): "runs ORM-built queries from SQL the ORM compiled once per process (issues #11, #14); the "
    "scope's studio (or the studio a slug names) fills the ORM's own tenant filter, a query outside "
    "a scope raises, and a platform read cannot touch a tenant table (tests/test_compiled_sql.py)",
}


def _modules():
    for package in CHECKED:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "tests" in rel.parts or "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


class _Finder(ast.NodeVisitor):
    """Collects (enclosing function, kind) for every unscoped or raw-SQL use in one module."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.scopes: list[str] = []
        self.sql: list[tuple[str, str]] = []

    def _enter(self, node) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    @property
    def where(self) -> str:
        return ".".join(self.stack) or "<module>"

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "scopes_disabled":
            self.scopes.append(self.where)
        elif name == "RawSQL":
            self.sql.append((self.where, "RawSQL"))
        elif isinstance(func, ast.Attribute) and name in ("raw", "cursor", "extra"):
            self.sql.append((self.where, name))
        self.generic_visit(node)


def find_uses(source: str) -> tuple[list[str], list[tuple[str, str]]]:
    finder = _Finder()
    finder.visit(ast.parse(source))
    return finder.scopes, finder.sql


def _all_uses():
    scopes, sql = set(), set()
    for module, path in _modules():
        found_scopes, found_sql = find_uses(path.read_text(encoding="utf-8"))
        scopes |= {(module, where) for where in found_scopes}
        sql |= {(module, where, kind) for where, kind in found_sql}
    return scopes, sql


def test_scopes_disabled_only_where_allowed():
    found, _ = _all_uses()
    new = sorted(found - set(SCOPES_DISABLED))
    assert not new, f"scopes_disabled() outside the allow-list (add it with a reason, or scope it): {new}"
    stale = sorted(set(SCOPES_DISABLED) - found)
    assert not stale, f"no longer used there: remove from SCOPES_DISABLED: {stale}"


def test_raw_sql_only_where_allowed():
    _, found = _all_uses()
    new = sorted(found - set(RAW_SQL))
    assert not new, f"raw SQL outside the allow-list (add it with a reason, or use the ORM): {new}"
    stale = sorted(set(RAW_SQL) - found)
    assert not stale, f"no longer used there: remove from RAW_SQL: {stale}"


def test_the_finder_sees_every_form():
    source = """
from django.db import connection
from django.db.models.expressions import RawSQL
from django_scopes import scopes_disabled

@scopes_disabled()
def decorated():
    pass

class Thing:
    def method(self):
        with scopes_disabled():
            Client.objects.raw("SELECT 1")
        Client.objects.extra(where=["1=1"])
        Client.objects.annotate(x=RawSQL("1", []))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
"""
    scopes, sql = find_uses(source)
    assert scopes == ["decorated", "Thing.method"]
    assert sorted(sql) == [
        ("Thing.method", "RawSQL"),
        ("Thing.method", "cursor"),
        ("Thing.method", "extra"),
        ("Thing.method", "raw"),
    ]
