"""requirements.lock is what `make` installs, requirements-prod.lock what the Docker image installs:
each must cover pyproject.toml, pinned, with hashes, and the two must pin the same versions.

A dependency added to pyproject.toml without `make lock` would be missing on a fresh machine
(the install resolves nothing: `pip install --require-hashes --no-deps -r requirements.lock`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked(filename: str = "requirements.lock") -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) for every pin of the lock."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in (ROOT / filename).read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, count = pins[name]
            pins[name] = (version, count + 1)
    return pins


def declared(*, dev: bool = True) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + (project["optional-dependencies"]["dev"] if dev else [])
    return [Requirement(r) for r in names]


@pytest.mark.parametrize(
    ("filename", "dev"), [("requirements.lock", True), ("requirements-prod.lock", False)]
)
def test_every_declared_dependency_is_locked_at_a_version_it_allows(filename, dev):
    pins = locked(filename)
    for requirement in declared(dev=dev):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements.lock has {name}=={pins[name][0]}, pyproject.toml asks {requirement}: run `make lock`"
        )


@pytest.mark.parametrize("filename", ["requirements.lock", "requirements-prod.lock"])
def test_every_pin_carries_hashes(filename):
    pins = locked(filename)
    assert len(pins) > 20
    assert not [name for name, (_, hashes) in pins.items() if hashes == 0]


def test_production_pins_the_versions_development_tests():
    dev, prod = locked(), locked("requirements-prod.lock")
    assert set(prod) <= set(dev)
    assert not {name: (prod[name][0], dev[name][0]) for name in prod if prod[name][0] != dev[name][0]}
    assert "pytest" not in prod and "ruff" not in prod  # the image carries no dev tools
