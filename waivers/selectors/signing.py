"""Reads for the signing pages (WAI-3)."""

from __future__ import annotations

from studio.models import Client
from waivers.models import Waiver, WaiverSignature


def signature_of_current_version(*, waiver: Waiver, client: Client) -> WaiverSignature | None:
    """The client's signature of the waiver's current version, if they signed it already (the
    page then says so; signing again returns this same record)."""
    if waiver.current_version_id is None:
        return None
    return (
        WaiverSignature.objects.filter(
            studio_id=waiver.studio_id, waiver=waiver, version_id=waiver.current_version_id, client=client
        )
        .order_by("signed_at", "id")
        .first()
    )
