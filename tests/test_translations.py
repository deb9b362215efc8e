"""French and English ship complete (non-negotiable 6): no untranslated, no fuzzy entry.

gettext is a requirement of the project (`make setup` installs it), so these never skip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")


def _entries(*flags: str, language: str) -> list[str]:
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    out = subprocess.run(["msgattrib", *flags, "--no-wrap", str(po)], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    assert _entries("--untranslated", language=language) == []
    assert _entries("--only-fuzzy", language=language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_compiles_cleanly(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)
