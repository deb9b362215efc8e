"""What a client's own account shows of waivers: what they (and their dependants) signed, and
what is still to sign — missing, or signed on a version that asked everyone to sign again."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from studio.models import Client, FamilyLink
from waivers.models import Waiver, WaiverKind
from waivers.selectors.records import signatures_for_client
from waivers.selectors.status import MISSING, OUTDATED, signature_states

# What a client is asked to sign for themself, and for a dependant (custom waivers are asked for
# by staff, from the profile).
OWN_KINDS = (WaiverKind.MEMBERSHIP, WaiverKind.CLIENT)
DEPENDANT_KINDS = (WaiverKind.CHILD,)


def _sign_url(slug: str, waiver_id: int, *, dependant: Client | None, next_url: str) -> str | None:
    try:
        base = reverse("account-waiver-sign", kwargs={"studio_slug": slug, "waiver_pk": waiver_id})
    except NoReverseMatch:  # the signing pages are not installed: nothing to link to
        return None
    query = {"for": dependant.pk} if dependant is not None else {}
    return f"{base}?{urlencode({**query, 'next': next_url})}"


def account_waiver_rows(*, client: Client) -> dict:
    """`signed` (newest first, with their PDF links) and `to_sign` (missing or outdated, with a
    "Sign" link, for the client and for each dependant) for the account page."""
    slug = client.studio.slug
    page_url = reverse("account-waivers", kwargs={"studio_slug": slug})
    signed = [
        {
            "id": s.pk,
            "waiver": s.waiver.name,
            "title": getattr(s.version, f"title_{s.language}", "") or s.waiver.name,
            "number": s.version.number,
            "signed_at": s.signed_at,
            "for_name": s.client.full_name if s.client_id != client.pk else "",
            "pdf_url": reverse("account-waiver-pdf", kwargs={"studio_slug": slug, "pk": s.pk}),
        }
        for s in signatures_for_client(client=client)
    ]
    waivers = list(
        Waiver.objects.filter(
            studio_id=client.studio_id,
            archived_at__isnull=True,
            current_version__isnull=False,
            kind__in=[*OWN_KINDS, *DEPENDANT_KINDS],
        )
        .select_related("current_version")
        .order_by("kind", "name", "id")
    )
    dependants = [
        link.dependant
        for link in FamilyLink.objects.filter(studio_id=client.studio_id, guardian=client)
        .select_related("dependant")
        .order_by("dependant__first_name", "dependant_id")
        if link.dependant.archived_at is None
    ]
    to_sign = []
    for person, kinds in [(client, OWN_KINDS)] + [(d, DEPENDANT_KINDS) for d in dependants]:
        asked = [w for w in waivers if w.kind in kinds]
        states = signature_states(client=person, waivers=asked)
        for waiver in asked:
            state = states[waiver.pk]
            if state.state not in (MISSING, OUTDATED):
                continue
            dependant = person if person.pk != client.pk else None
            to_sign.append(
                {
                    "waiver_id": waiver.pk,
                    "waiver": waiver.name,
                    "state": state.state,
                    "signed_number": state.signature.version.number if state.signature else None,
                    "current_number": waiver.current_version.number,
                    "for_name": dependant.full_name if dependant else "",
                    "sign_url": _sign_url(slug, waiver.pk, dependant=dependant, next_url=page_url),
                }
            )
    return {"client": client, "signed": signed, "to_sign": to_sign}


def account_waiver_counts(*, client: Client) -> dict:
    """For the account home page's short panel: how many signed, how many to sign."""
    rows = account_waiver_rows(client=client)
    return {"signed": len(rows["signed"]), "to_sign": len(rows["to_sign"])}
