"""French and English ship complete (docs/product.md, "Languages"): no untranslated, no fuzzy entry,
and no marked string missing from a catalogue.

gettext is a requirement of the project (`make setup` installs it), so these never skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")


def _entries(*flags: str, language: str) -> list[str]:
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    out = subprocess.run(
        ["msgattrib", *flags, "--no-wrap", str(po)], capture_output=True, text=True, check=True
    )
    return [line for line in out.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    assert _entries("--untranslated", language=language) == []
    assert _entries("--only-fuzzy", language=language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_compiles_cleanly(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


# --- every marked string is in the catalogues -----------------------------------------------
# What `make messages` scans (same ignores), extracted afresh into a temporary directory: the real
# locale/ is never written. The catalogue is compiled (msgfmt keeps translated entries only) and
# must hold every extracted msgid, so a string marked today and not yet translated fails here.

SCANNED_IGNORES = ["stripe_sandbox", "bench", "tests", "*/tests/*", "locale", "node_modules"]
NOT_SCANNED = {".venv", ".data", ".git", "locale", "stripe_sandbox", "bench", "tests", "node_modules"}

EXTRACT = """
import os, sys
import django
from django.conf import settings
from django.core.management import call_command

root, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
django.setup()
settings.LOCALE_PATHS = [os.path.join(work, "locale")]  # output goes to the temporary tree only
os.chdir(work)
call_command("makemessages", locale=["fr"], symlinks=True, keep_pot=True, verbosity=0,
             ignore_patterns=sys.argv[3:], no_obsolete=True)
"""


def _keys_of_mo(path: Path) -> set:
    import gettext

    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    # Plural entries are stored once per form as (msgid, n): keep the msgid with form 0.
    keys = {key[0] if isinstance(key, tuple) else key for key in catalog}
    keys.discard("")  # the header
    return keys


def _compiled(po: Path, out: Path) -> set:
    subprocess.run(["msgfmt", "-o", str(out), str(po)], check=True)
    return _keys_of_mo(out)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """Every msgid (with its context) marked in the sources, as `make messages` would extract it."""
    import os
    import sys

    work = tmp_path_factory.mktemp("messages")
    (work / "locale").mkdir()
    # Copied, not linked: makemessages writes a templatised `<template>.py` beside each template
    # while it reads it, and in a linked tree that file would appear in the real sources, where
    # another test worker walking `*.py` at that moment would try to parse it.
    for entry in ROOT.iterdir():
        if entry.name not in NOT_SCANNED and not entry.name.startswith("."):
            if entry.is_dir():
                shutil.copytree(
                    entry, work / entry.name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
                )
            else:
                (work / entry.name).symlink_to(entry)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "studio.settings.test"),
    }
    subprocess.run(
        [sys.executable, "-c", EXTRACT, str(ROOT), str(work), *SCANNED_IGNORES], check=True, env=env, cwd=work
    )
    pot = work / "locale" / "django.pot"
    assert pot.exists(), "makemessages wrote no template"
    identity = work / "identity.po"
    # msgen fills every msgstr with its msgid, so msgfmt keeps every extracted entry.
    subprocess.run(["msgen", "--force-po", "-o", str(identity), str(pot)], check=True)
    # The template's header leaves the plural rule blank; any valid one does for listing msgids.
    text = identity.read_text(encoding="utf-8").replace(
        "nplurals=INTEGER; plural=EXPRESSION;", "nplurals=2; plural=(n != 1);"
    )
    identity.write_text(text.replace("charset=CHARSET", "charset=UTF-8"), encoding="utf-8")
    keys = _compiled(identity, work / "identity.mo")
    assert len(keys) > 100, "the extraction found almost nothing: is the scan broken?"
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_in_the_compiled_catalogue(language, extracted, tmp_path):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    missing = sorted(key.replace("\x04", " | ") for key in extracted - _compiled(po, tmp_path / "django.mo"))
    assert not missing, (
        f"{len(missing)} marked strings have no {language} translation "
        f"(helpers: write a PO fragment; the lead merges and runs `make messages`):\n"
        + "\n".join(missing[:40])
    )
