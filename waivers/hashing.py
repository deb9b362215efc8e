"""The fingerprint of what a signer was shown (WAI-4).

The SHA-256 is taken over the UTF-8 bytes of the exact sanitised HTML of the version's text in
the language shown, as stored on the version: the signing page renders that string as is, the
PDF renders it again, and anyone can recompute the digest from the version to check the record.
"""

from __future__ import annotations

import hashlib


def text_sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()
