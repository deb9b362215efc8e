"""Fixed-shape queries built and compiled by the ORM once per process, run with each request's values.

Some pages read the same queries on every request: the client profile (the client with every
panel's annotations, the family links, the bookings UNION, the saved methods, the money lists),
the online cart and review (the order with its client, its lines with what they sell). Building
their expressions and compiling them to SQL cost the ORM far more Python than PostgreSQL takes to
run them (the profile: ~25 ms for ~1 ms; bench/client_profile.py prints the split), so those pages
could not get near their time budgets (issues #11 and #15) with any number of queries. Here each
one is built by the same ORM code as before, compiled once, and kept as its SQL text, its
parameters and its column converters; a request only fills in its own values and runs it.

What a request may change is named: `studio_id` (always), and whichever values the query takes
(ids, tokens, dates and datetimes: `client_id`, `now`, `since`…). The shape is compiled twice,
with two sets of impossible values chosen by each value's type, and the parameters that differ
must be exactly those values, at the same places, in the same SQL text; anything else (a value
folded into the SQL text, an unnamed value that changes) refuses to compile. The tenant filter stays in the SQL: the ORM's own scope filter
is compiled in with a placeholder studio, and every request fills it from the *active*
django-scopes scope, so a query run outside a studio's scope raises as the ORM would. Only SQL
text is kept, never a row: nothing read here can be stale. `tests/test_compiled_sql.py` holds
every profile query to the rows its ORM queryset returns, and to its studio; checkout's are held
to theirs in `checkout/tests/test_cart_services.py`.

Two variants for the reads that run before any studio's scope exists (the fixed cost of every
signed-in request, issue #14): `compiled_rows_by_slug` names its studio by slug — the scope it
compiles under is the studio that slug names (a subquery), so its tenant filter stays the ORM's
own and the rows can belong to that one studio only (the tenant middleware's lookup); and
`compiled_platform_rows` reads global tables (users, sessions, the studios directory) and
compiles under a scope that names no studio, so a shape that touches a tenant table refuses to
compile. `tests/test_compiled_sql.py` holds each to its ORM queryset's rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django_scopes import get_scope, scope
from django_scopes.exceptions import ScopeError
from django_scopes.state import state as scope_state

# Two sets of values no row holds (ids are positive, no class starts in 1900, tokens are URL-safe
# base64): each shape is compiled with both, and the parameters that differ between the two
# compilations are the slots. Each name gets its own, by the type of the value it stands for.


def _placeholder(name: str, index: int, sample, variant: int):
    if isinstance(sample, bool):
        raise TypeError(f"{name}: a yes/no decides a query's shape; put it in the key, not the values")
    if isinstance(sample, int):
        return -900_000_000_000_000 - 10 * (index + 1) - variant
    if isinstance(sample, dt.datetime):
        return dt.datetime(1900, 1, 1 + variant, 0, 0, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=index)
    if isinstance(sample, dt.date):
        return dt.date(1900, 1, 1 + variant) + dt.timedelta(days=7 * index)
    if isinstance(sample, str):
        return f"~placeholder-{name}-{'ab'[variant]}~"
    raise TypeError(f"{name}: a compiled query takes ints, strings, dates and datetimes")


def _placeholders(samples: dict) -> tuple[dict, dict]:
    names = sorted(samples)
    return tuple(
        {name: _placeholder(name, index, samples[name], variant) for index, name in enumerate(names)}
        for variant in (0, 1)
    )


_CACHE_MAX = 256  # shapes per process (a panel set per role mix): a bound, not a working limit


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (position in params, value name)
    converters: tuple  # (column, converter functions, expression), as the ORM applies them


_cache: dict[Hashable, _Compiled] = {}
_lock = threading.Lock()


def _scope_of_studio_id(values: dict):
    return scope(studio=values["studio_id"])  # the scoped managers filter on the placeholder studio


def _scope_of_slug(values: dict):
    from studio.models import Studio  # studio.models may import this module's users

    # As the tenant middleware's ORM lookup does: the studio is the one the slug names.
    return scope(studio=Studio.objects.filter(slug=values["studio_slug"]).values("pk")[:1])


@contextmanager
def _scope_of_no_studio(values: dict):
    # Enabled and naming no studio, whatever scope the caller is in (`scope()` would inherit the
    # caller's studio and fold it into the SQL): a scoped manager here raises ScopeError.
    token = scope_state.set({"_enabled": True})
    try:
        yield
    finally:
        scope_state.reset(token)


def _compile_once(build: Callable[..., QuerySet], names: tuple[str, ...], values: dict, using: str, scope_of):
    with scope_of(values):
        queryset = build(**{name: values[name] for name in names})
    compiler = queryset.query.get_compiler(using)
    sql, params = compiler.as_sql()
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(fields).items()
    )
    return sql, tuple(params), converters


def _compile(
    build: Callable[..., QuerySet], samples: dict, using: str, scope_of=_scope_of_studio_id
) -> _Compiled:
    if scope_of is _scope_of_studio_id and "studio_id" not in samples:
        raise ValueError("a compiled query always takes studio_id")
    names = tuple(sorted(samples))
    placeholders = _placeholders(samples)
    (sql, params, converters), (other_sql, other_params, _c) = (
        _compile_once(build, names, values, using, scope_of) for values in placeholders
    )
    if sql != other_sql or len(params) != len(other_params):
        raise ValueError(f"{build.__qualname__}: a value is part of the SQL text, not a parameter")
    slots = []
    for position, (first, second) in enumerate(zip(params, other_params, strict=True)):
        named = [name for name in names if first == placeholders[0][name]]
        if first == second and not named:
            continue
        if len(named) != 1 or second != placeholders[1][named[0]]:
            raise ValueError(f"{build.__qualname__}: parameter {position} changes and is not one of {names}")
        slots.append((position, named[0]))
    missing = set(names) - {name for _position, name in slots}
    if missing:
        raise ValueError(f"{build.__qualname__}: {sorted(missing)} never reach the SQL")
    return _Compiled(sql, params, tuple(slots), converters)


def _active_studio_id() -> int:
    active = get_scope()
    if not active.get("_enabled", False) or active.get("studio") is None:
        raise ScopeError("A scope on dimension(s) studio needs to be active for this query.")
    studio = active["studio"]
    if isinstance(studio, list | tuple):  # the compiled SQL compares with one studio
        raise ScopeError("Compiled queries run in the scope of one studio.")
    return studio if isinstance(studio, int) else studio.pk


def compiled_rows(key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", **values) -> list:
    """The rows (tuples) of the `values_list` queryset `build(studio_id=, **values)` returns,
    as the ORM would read them, from SQL compiled once per process for `key`.

    `build` must give the same shape for any values: `key` names that shape (include whatever
    else decides it: the panels on the page, a limit, the language if the SQL depends on it).
    The studio is the active scope's."""
    if "studio_id" in values:
        raise TypeError("the studio is the active scope's: do not pass studio_id")
    compiled = _compiled(key, build, {"studio_id": 0, **values}, using, _scope_of_studio_id)
    values["studio_id"] = _active_studio_id()
    return _execute(compiled, values, using)


def compiled_rows_by_slug(
    key: Hashable, build: Callable[..., QuerySet], *, studio_slug: str, using: str = "default", **values
) -> list:
    """The rows of the `values_list` queryset `build(studio_slug=, **values)` returns, as the ORM
    would read them inside `scope(studio=<the studio this slug names>)`, compiled once for `key`.

    For the reads that find the studio itself (the tenant middleware): no scope is active yet,
    and the slug takes the studio id's place — the ORM's tenant filter is compiled in as the
    subquery `studio_id = (SELECT id FROM studio WHERE slug = %s LIMIT 1)` and filled with
    `studio_slug` on each call, so the rows can belong to that studio only."""
    if "studio_id" in values:
        raise TypeError("the studio is the one studio_slug names: do not pass studio_id")
    values["studio_slug"] = studio_slug
    compiled = _compiled(("by-slug", key), build, values, using, _scope_of_slug)
    return _execute(compiled, values, using)


def compiled_platform_rows(
    key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", **values
) -> list:
    """The rows of the `values_list` queryset `build(**values)` over global tables (users,
    sessions, the studios directory: no studio column), as the ORM would read them, compiled
    once for `key`. It compiles under a scope naming no studio, so a shape that reads a tenant
    table raises ScopeError rather than compile without its tenant filter."""
    if "studio_id" in values or "studio_slug" in values:
        raise TypeError("a platform query names no studio")
    compiled = _compiled(("platform", key), build, values, using, _scope_of_no_studio)
    return _execute(compiled, values, using)


def _compiled(
    key: Hashable, build: Callable[..., QuerySet], samples: dict, using: str, scope_of
) -> _Compiled:
    compiled = _cache.get(key)
    if compiled is None:
        with _lock:
            compiled = _cache.get(key) or _compile(build, samples, using, scope_of)
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = compiled
    return compiled


def _execute(compiled: _Compiled, values: dict, using: str) -> list:
    params = list(compiled.params)
    for position, name in compiled.slots:
        params[position] = values[name]
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    if not compiled.converters:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for position, functions, expression in compiled.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        out.append(tuple(row))
    return out


def compiled_models(key: Hashable, build: Callable[..., QuerySet], *, model, **values) -> list:
    """The instances of `model` the queryset `build(studio_id=, **values)` returns (its own
    columns, no related rows), as the ORM would make them, from SQL compiled once for `key`."""

    def rows(**chosen):
        return build(**chosen).values_list(*model_columns(model))

    return [compiled_instance(model, row)[0] for row in compiled_rows(key, rows, **values)]


def compiled_instance(
    model, row: tuple | list, offset: int = 0, *, using: str = "default"
) -> tuple[Any, int]:
    """A model instance from `row[offset:]` read in `model_columns(model)` order (as the ORM's
    `from_db` makes one), and the offset after its columns."""
    columns = model_columns(model)
    end = offset + len(columns)
    return model.from_db(using, columns, row[offset:end]), end


def compiled_joined(owner, name: str, row: tuple | list, offset: int) -> tuple[Any, int]:
    """The row joined to `owner` through its foreign key `name`, read from `row[offset:]` (in
    `model_columns` order), put on `owner` as `select_related(name)` leaves it (None, cached, when
    the join found nothing), and the offset after its columns.

    Raises RuntimeError when its id is not the one `owner` names: the joined columns were not read
    where the query put them (a guard on the caller's column order, never a data condition)."""
    field = owner._meta.get_field(name)
    related, end = compiled_instance(field.related_model, row, offset)
    if related.pk != getattr(owner, field.attname):
        raise RuntimeError(f"{type(owner).__name__}.{name}: the joined columns are not where they were read")
    if related.pk is None:
        owner._state.fields_cache[name] = None
        return None, end
    setattr(owner, name, related)
    return related, end


def model_columns(model) -> tuple[str, ...]:
    """Every concrete column of `model`, in field order: what `compiled_instance` reads."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def cache_clear() -> None:
    """Forget every compiled shape (tests)."""
    with _lock:
        _cache.clear()
