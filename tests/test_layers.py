"""The layers of DESIGN.md as an import graph, so a wrong import fails here rather than in review.

Every module of the apps and of `stripe_sandbox` is parsed with `ast` — imports inside functions
and under `if TYPE_CHECKING:` count too: an import hidden in a function is still a dependency,
and a loop that only a late import keeps from crashing is still a loop.

The rules (docs/architecture.md, "Layers"):
- `studio` imports no app; `payments`, `scheduling`, `waivers` import only `studio`;
  `memberships`, `pos`, `payroll` may import those, and `pos` may import `memberships`.
- An app reaches another only through its public surface (`PUBLIC_SURFACE`).
- No import cycle between the modules of one app (tasks import services; services enqueue
  tasks by name with `studio.tasking.enqueue_by_name`).
- `stripe_sandbox` imports no app and none of its modules import each other in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APPS = ("studio", "payments", "scheduling", "waivers", "memberships", "pos", "payroll", "checkout")
SANDBOX = "stripe_sandbox"
PROJECT_PACKAGES = (*APPS, SANDBOX)

# Which apps each app may import (itself always).
ALLOWED = {
    "studio": set(),
    "payments": {"studio"},
    "scheduling": {"studio"},
    "waivers": {"studio"},
    "memberships": {"studio", "payments", "scheduling", "waivers"},
    "payroll": {"studio", "payments", "scheduling", "waivers"},
    "pos": {"studio", "payments", "scheduling", "waivers", "memberships"},
    "checkout": {"studio", "payments", "scheduling", "waivers", "memberships", "pos"},
    SANDBOX: set(),
}

# What one app may import from another (`studio`, the platform, is open to every app). `services`
# and `selectors` are the surface of DESIGN.md; `signals` carries the events another app listens
# to (ids only); `models` (the package itself, not its submodules) lets a relation or a type hint
# name a model — reading or writing its rows still goes through the owner's selectors/services.
PUBLIC_SURFACE = ("services", "selectors", "signals", "models")

# Cycles that exist today and are being broken. Shrink only: a listed cycle that disappears
# fails the test below until it is removed from this list, and a new or larger cycle fails too.
KNOWN_CYCLES: list[frozenset[str]] = []

# Layer violations that exist today (importer, imported); same shrinking rule.
KNOWN_LAYER_VIOLATIONS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name (tests and migrations included)."""
    modules = {}
    for package in PROJECT_PACKAGES:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            modules[module_name(path)] = path
    return modules


MODULES = project_modules()


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, is_package, node)
            # `from pkg import sub` names the submodule when there is one, else something in pkg.
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # `import a.b.c` of a name that is not a module file: keep its longest module prefix.
            while target and target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def package_of(module: str) -> str:
    return module.split(".", 1)[0]


def is_test_module(module: str) -> bool:
    return ".tests" in module or module.endswith(".conftest")


def strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm (iterative): the groups of modules that import each other in a circle."""
    nodes = list(nodes)
    inside = set(nodes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[frozenset[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()) & inside)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ()) & inside))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(frozenset(group))
    return groups


def cycles_in(package: str) -> list[frozenset[str]]:
    nodes = [m for m in MODULES if package_of(m) == package and not is_test_module(m)]
    return strongly_connected(nodes, GRAPH)


def layer_violations() -> set[tuple[str, str]]:
    """(importer, imported) pairs that break the app layers or reach past a public surface."""
    bad = set()
    for importer, targets in GRAPH.items():
        if is_test_module(importer):
            continue  # an app's tests may build another app's rows through its factories
        source = package_of(importer)
        for target in targets:
            destination = package_of(target)
            if destination == source:
                continue
            below = destination in ALLOWED[source]
            through_surface = destination == "studio" or _public(target)
            if not (below and through_surface):
                bad.add((importer, target))
    return bad


def _public(module: str) -> bool:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in PUBLIC_SURFACE:
        return False
    # services/selectors/signals are packages or modules, open all the way down; models only at the top.
    return parts[1] != "models" or len(parts) == 2


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks():
    # A guard on the walker itself: payments' AppConfig imports its panels inside ready().
    assert "payments.panels" in GRAPH["payments.apps"]


def test_apps_import_only_the_layers_below_them_through_their_public_surface():
    found = layer_violations()
    new = sorted(found - KNOWN_LAYER_VIOLATIONS)
    assert not new, "imports against the layers of docs/architecture.md:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in new
    )
    stale = sorted(KNOWN_LAYER_VIOLATIONS - found)
    assert not stale, f"fixed, remove from KNOWN_LAYER_VIOLATIONS: {stale}"


@pytest.mark.parametrize("package", [app for app in APPS if (ROOT / app).is_dir()])
def test_no_import_cycle_inside_an_app(package):
    found = cycles_in(package)
    new = [sorted(group) for group in found if group not in KNOWN_CYCLES]
    assert not new, f"modules of {package} importing each other in a circle: {new}"


def test_known_cycles_are_still_cycles():
    found = {group for app in APPS for group in cycles_in(app)}
    stale = [sorted(group) for group in KNOWN_CYCLES if group not in found]
    assert not stale, f"broken (good): remove from KNOWN_CYCLES: {stale}"


def test_the_stripe_sandbox_imports_no_app():
    reached = {
        (importer, target)
        for importer, targets in GRAPH.items()
        if package_of(importer) == SANDBOX
        for target in targets
        if package_of(target) != SANDBOX
    }
    assert not reached


def test_the_stripe_sandbox_has_no_import_cycle():
    # server → core → api/hosted → resources → router/context → state: never back up.
    nodes = [m for m in MODULES if package_of(m) == SANDBOX and not is_test_module(m)]
    assert strongly_connected(nodes, GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    # The check above is only worth something if the finder works.
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(["a", "b", "c", "d"], edges) == [frozenset({"a", "b", "c"})]


def test_the_public_surface_is_services_selectors_signals_and_the_models_package():
    assert (
        _public("payments.services")
        and _public("payments.services.charges")
        and _public("payments.selectors")
    )
    assert _public("scheduling.signals") and _public("payments.models")
    assert not _public("payments.models.ledger")  # a model's internals
    assert (
        not _public("payments.tasks")
        and not _public("scheduling.views.kiosk")
        and not _public("payments.gateway")
    )


# Templates are dependencies too: `{% include "checkout/…" %}` in scheduling's page is scheduling
# reaching up into an app above it (it would break with checkout gone). An app's templates may
# name only templates of the apps it may import, and the project's own (`templates/`).
_TEMPLATE_REF = __import__("re").compile(r"""{%\s*(?:include|extends)\s+["']([a-z_]+)/""")


def test_templates_follow_the_layers():
    wrong = []
    for app in APPS:
        for path in sorted((ROOT / app / "templates").rglob("*.html")):
            for named in _TEMPLATE_REF.findall(path.read_text(encoding="utf-8")):
                if named in APPS and named != app and named not in ALLOWED[app]:
                    wrong.append(f"{path.relative_to(ROOT)} → {named}/")
    assert wrong == [], "templates naming an app above their own:\n" + "\n".join(wrong)
