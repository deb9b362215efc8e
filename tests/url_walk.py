"""Enumerate the tenant URL patterns, so matrices cover every page, including future ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class TenantUrl:
    name: str
    route: str
    params: tuple[str, ...]
    view: object


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def tenant_urls() -> list[TenantUrl]:
    out = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("<slug:studio_slug>/") or not pattern.name:
            continue
        converters = pattern.pattern.converters
        params = tuple(k for k in converters) if converters else ()
        out.append(TenantUrl(name=pattern.name, route=route, params=params, view=pattern.callback))
    return out
