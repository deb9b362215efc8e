"""Menu entries that apps contribute to the back office and the hosted pages.

An app registers entries in its AppConfig.ready(); the `tenant` context processor turns them
into links for the current studio, keeping only those the staff member may use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    label: str  # lazy translation
    url_name: str
    perm: str | None = None  # None: any staff member (back office) / anyone (hosted pages)
    order: int = 100
    settings_tab: str | None = None  # set for entries shown as a tab of the settings page


MANAGE: list[NavEntry] = []
PUBLIC: list[NavEntry] = []
SETTINGS_TABS: list[NavEntry] = []
# Templates an app adds to the hosted pages' header, after the menu (checkout's cart badge): the
# header includes them by name, so the platform's base template knows no app.
PUBLIC_HEADER: list[str] = []


def add_manage(entry: NavEntry) -> None:
    MANAGE.append(entry)


def add_public(entry: NavEntry) -> None:
    PUBLIC.append(entry)


def add_settings_tab(entry: NavEntry) -> None:
    SETTINGS_TABS.append(entry)


def add_public_header(template_name: str) -> None:
    if template_name not in PUBLIC_HEADER:
        PUBLIC_HEADER.append(template_name)


def _links(entries: list[NavEntry], studio, perms) -> list[dict]:
    out = []
    for entry in sorted(entries, key=lambda e: e.order):
        if entry.perm is not None and entry.perm not in perms:
            continue
        url = reverse(entry.url_name, kwargs={"studio_slug": studio.slug})
        out.append({"label": entry.label, "url": url, "key": entry.settings_tab or entry.url_name})
    return out


def manage_links(*, studio, perms) -> list[dict]:
    return _links(MANAGE, studio, perms)


def public_links(*, studio) -> list[dict]:
    return _links(PUBLIC, studio, frozenset())


def settings_tabs(*, studio, perms) -> list[dict]:
    return _links(SETTINGS_TABS, studio, perms)
