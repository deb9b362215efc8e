"""Waivers (WAI-1 … WAI-5): templates of four kinds, their versions, what requires them, the
links emailed to sign them, and the append-only signed records.

A waiver (`Waiver`) is the studio's named document; its text lives in `WaiverVersion` rows
(one per publication, immutable once published); a `WaiverSignature` points at the exact
version and stores the SHA-256 of the exact text that was shown, in the language shown.
"""

from .signatures import SignMethod, WaiverLink, WaiverSignature
from .waivers import (
    RequirementScope,
    Waiver,
    WaiverKind,
    WaiverRequirement,
    WaiverSettings,
    WaiverVersion,
)

__all__ = [
    "RequirementScope",
    "SignMethod",
    "Waiver",
    "WaiverKind",
    "WaiverLink",
    "WaiverRequirement",
    "WaiverSettings",
    "WaiverSignature",
    "WaiverVersion",
]
