"""Panels that apps hang on a client's profile (staff side) and on the client's own account page.

A staff-side panel is a `ProfilePanel` registered in its app's `ready()`. It declares:

- the permissions that open it (`perms`, any one of them): the registry checks them before it
  asks the panel for anything, so a teacher's profile page never even queries payments;
- `annotations`: the panel's single values (a balance, a count, a flag) as expressions that the
  registry adds to the one query that reads the client — every panel's scalars cost that query
  together, not one each. That query is compiled once per process (`profile_client`), so an
  annotation may depend on the studio and the client only, never on the request's time or
  language (one that changes between two compilations is refused); what does belongs in `load`;
- `load(*, request, client)`: its lists, each read in one query whatever its length (a bounded,
  batched selector), returning the template's context, or None to stay hidden.

The profile's query budget (tests/test_client_profile.py, with every registered panel on the
page) holds as long as panels follow this. Its time budget (bench/client_profile.py: ≤ 2.5× a
bare staff page of the same markup) was mostly spent in Python, not in PostgreSQL: the ORM
building and compiling the panels' SQL on every request (~25 ms for ~1 ms of PostgreSQL). So the
client's query (`profile_client`) and every panel's list query run through `compiled_rows`
(studio/compiled_sql.py): the panel writes its ORM queryset as a function of `studio_id`,
`client_id` (and `now`), which is compiled once per process. Beyond that, a model instance per
row and a template lookup that fails over to an attribute cost more than the row's markup: a
panel's list reads the shown columns as tuples into dicts (`values_list`), a total that belongs
to a list rides on it as a window sum, the short lists of one panel share a UNION ALL (bookings,
history and appointments are one query), links come from `row_url` (one `reverse` per list,
never `{% url %}` in a row) and labels are translated once per list, not once per row
(`choice_labels`; `{% translate … as name %}` before a template's loop).
The client's account page keeps simpler providers, `(request, client) -> Section | None`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from studio.compiled_sql import compiled_instance, compiled_rows, model_columns


@dataclass
class Section:
    """What a page renders for one panel: `{% include template with ctx=context %}`."""

    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    key: str = ""


@dataclass(frozen=True)
class ProfilePanel:
    key: str  # stable: the section's HTML id (`panel-<key>`) and its row in the permission matrix
    title: Any  # a lazy translation
    template: str
    load: Callable[..., dict | None]
    perms: frozenset[str]
    annotations: Callable[[], dict[str, Any]] | None = None
    order: int = 100

    def visible_to(self, staff) -> bool:
        """Whether this staff member may see the panel: active, holding one of its permissions."""
        if staff is None or not staff.is_active:
            return False
        return not self.perms.isdisjoint(staff.role.effective_permissions)


_PROFILE_PANELS: dict[str, ProfilePanel] = {}
_ACCOUNT_PROVIDERS: list[Callable] = []


def register_profile_panel(panel: ProfilePanel) -> ProfilePanel:
    """Add a panel to the staff-side client profile. A panel without a permission is refused:
    client data is personal, and "who sees it" must be a decision, not a default."""
    if not panel.perms:
        raise ValueError(f"profile panel {panel.key!r} declares no permission")
    if panel.key in _PROFILE_PANELS and _PROFILE_PANELS[panel.key] != panel:
        raise ValueError(f"profile panel {panel.key!r} is registered twice")
    _PROFILE_PANELS[panel.key] = panel
    return panel


def profile_panels() -> list[ProfilePanel]:
    """Every registered panel, in page order."""
    return sorted(_PROFILE_PANELS.values(), key=lambda p: (p.order, p.key))


def profile_panels_for(*, staff) -> list[ProfilePanel]:
    """The panels this staff member may see, in page order."""
    return [panel for panel in profile_panels() if panel.visible_to(staff)]


def _panel_annotations(panels: list[ProfilePanel]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for panel in panels:
        for name, expression in (panel.annotations() if panel.annotations else {}).items():
            if name in annotations:
                raise ValueError(f"profile panels annotate {name!r} twice")
            annotations[name] = expression
    return annotations


def profile_client_queryset(*, queryset: QuerySet, panels: list[ProfilePanel]) -> QuerySet:
    """The client queryset with the scalar values of these panels added, read in the same query."""
    annotations = _panel_annotations(panels)
    return queryset.annotate(**annotations) if annotations else queryset


_annotation_names: dict[tuple, tuple[str, ...]] = {}


def profile_client(*, pk: int, panels: list[ProfilePanel]):
    """The active studio's client `pk` with its home location and these panels' annotations as
    attributes (as `profile_client_queryset(...).select_related("home_location")` reads it), or
    None. One query, compiled once per panel set (`studio.compiled_sql`): its annotations cost
    the ORM more Python to build and compile than PostgreSQL takes to run them."""
    from studio.models import Client, Location

    client_columns, location_columns = model_columns(Client), model_columns(Location)
    key = ("profile-client", tuple(panel.key for panel in panels))
    names = _annotation_names.get(key)
    if names is None:  # the expressions are built for their names once per panel set
        names = _annotation_names[key] = tuple(_panel_annotations(panels))

    def build(*, studio_id, client_id):
        return (
            Client.objects.filter(pk=client_id)
            .annotate(**_panel_annotations(panels))
            .values_list(
                *client_columns, *(f"home_location__{column}" for column in location_columns), *names
            )
        )

    rows = compiled_rows(key, build, client_id=int(pk))
    if not rows:
        return None
    client, end = compiled_instance(Client, rows[0])
    location, end = compiled_instance(Location, rows[0], end)
    if client.home_location_id is not None:
        client.home_location = location
    for name, value in zip(names, rows[0][end:], strict=True):
        setattr(client, name, value)
    return client


def profile_sections(*, request, client, panels: list[ProfilePanel]) -> list[Section]:
    """Each visible panel's section. The permission is checked again here, so that a caller
    passing the full list still shows a staff member only what their role allows."""
    sections = []
    for panel in panels:
        if not panel.visible_to(getattr(request, "staff", None)):
            continue
        context = panel.load(request=request, client=client)
        if context is not None:
            sections.append(
                Section(
                    title=str(panel.title),
                    template=panel.template,
                    context=context,
                    order=panel.order,
                    key=panel.key,
                )
            )
    return sections


# A pk no table reaches: the one place in a reversed URL where the row's own pk goes.
_PK_MARK = 987654321987654321


def row_url(viewname: str, *, key: str = "pk", **kwargs) -> Callable[[int], str]:
    """`id -> URL` for the rows of one list, from a single `reverse` (`key`: the URL's id argument).

    A panel links each of its rows to the same view; reversing per row was a tenth of the
    profile's render. The URL is reversed once with a marker id, which each row's id replaces."""
    # `reverse` refuses a `key` the path does not take, so the marker is always in the URL.
    head, _mark, tail = reverse(viewname, kwargs={**kwargs, key: _PK_MARK}).rpartition(str(_PK_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


def choice_labels(choices) -> dict[str, str]:
    """Each choice's label in the active language: translated once per list, not once per row."""
    return {value: str(label) for value, label in choices}


def register_account_panel(provider: Callable) -> Callable:
    """A `(request, client) -> Section | None` panel on the client's own account page."""
    _ACCOUNT_PROVIDERS.append(provider)
    return provider


def account_sections_for(*, request, client) -> list[Section]:
    """The client's own account page's panels, in page order."""
    sections = [s for provider in _ACCOUNT_PROVIDERS if (s := provider(request, client)) is not None]
    return sorted(sections, key=lambda s: s.order)
