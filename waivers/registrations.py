"""Where waivers plug into the platform's seams: one function per seam, called from `ready()`."""

from __future__ import annotations


def register_all() -> None:
    _templates()  # wtpl
    _signing()  # wsign
    _records()  # wrec
    _requirements()  # wreq


def _templates() -> None:  # wtpl: navigation, checklist step "waivers", audit of templates/versions
    pass


def _signing() -> None:  # wsign: emails (waiver link), audit of signatures and links
    pass


def _records() -> None:  # wrec: client-profile panel, documents, confirmation email
    pass


def _requirements() -> None:  # wreq: booking check, audit of requirements
    pass
