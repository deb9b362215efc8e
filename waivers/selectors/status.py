"""Whether a client has signed what they need (WAI-2, WAI-5): THE questions booking, membership
sales, the POS and hosted checkout ask before letting something happen.

Two functions:

- `signature_states(client=, waivers=)`: for each waiver, "signed", "outdated" or "missing",
  with the signature it is based on. A fixed number of queries (two) whatever the number of
  waivers and signatures, so a profile panel or a list asks once for everything.
- `waivers_missing(studio=, client=, ...)`: which published waivers the context requires (by
  their kind and requirements) that `client` has not signed. An empty list means "go ahead".

Both read signatures by the person the waiver COVERS (`WaiverSignature.client`): a child
waiver signed by a guardian counts for the child, whichever guardian signed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Max, Q

from studio.models import Client, FamilyLink, Studio
from waivers.models import (
    RequirementScope,
    Waiver,
    WaiverKind,
    WaiverRequirement,
    WaiverSignature,
    WaiverVersion,
)

SIGNED = "signed"
OUTDATED = "outdated"
MISSING = "missing"


@dataclass(frozen=True)
class SignatureState:
    """Where `client` stands with one waiver.

    `state`: "signed" (signed the current published version, or an earlier one when no later
    published version asked signers to sign again), "outdated" (signed only versions older than
    a published version that asked to re-sign) or "missing" (never signed). `signature`: the
    signature on the highest version the client signed (the latest of them if they signed that
    version twice), None when missing."""

    waiver_id: int
    state: str
    signature: WaiverSignature | None = None

    @property
    def signed(self) -> bool:
        return self.state == SIGNED


def signature_states(*, client: Client, waivers: Iterable[Waiver]) -> dict[int, SignatureState]:
    """Each waiver's SignatureState for `client`, keyed by waiver id (two queries, none when
    `waivers` is empty).

    Rule (WAI-2): a signature on version n stays good until a version m > n is PUBLISHED with
    `resign_required`; drafts never count. So the state only needs, per waiver, the highest
    version number the client signed and the highest published version number that asked to
    re-sign."""
    ids = sorted({w.pk for w in waivers})
    if not ids:
        return {}
    # The client's best signature per waiver: the highest version, then the latest signing.
    best = {
        s.waiver_id: s
        for s in WaiverSignature.objects.filter(studio_id=client.studio_id, client=client, waiver_id__in=ids)
        .select_related("version")
        .order_by("waiver_id", "-version__number", "-signed_at", "-id")
        .distinct("waiver_id")
    }
    resign_from = dict(
        WaiverVersion.objects.filter(
            studio_id=client.studio_id,
            waiver_id__in=ids,
            published_at__isnull=False,
            resign_required=True,
        )
        .order_by()
        .values("waiver_id")
        .annotate(highest=Max("number"))
        .values_list("waiver_id", "highest")
    )
    states: dict[int, SignatureState] = {}
    for waiver_id in ids:
        signature = best.get(waiver_id)
        if signature is None:
            states[waiver_id] = SignatureState(waiver_id, MISSING)
        elif signature.version.number >= resign_from.get(waiver_id, 0):
            states[waiver_id] = SignatureState(waiver_id, SIGNED, signature)
        else:
            states[waiver_id] = SignatureState(waiver_id, OUTDATED, signature)
    return states


def is_dependant(*, client: Client) -> bool:
    """Whether `client` has a guardian (CORE-4): bookings for them ask for child waivers."""
    return FamilyLink.objects.filter(studio_id=client.studio_id, dependant=client).exists()


def waivers_missing(
    *,
    studio: Studio,
    client: Client,
    signer: Client | None = None,
    plan_ids: Sequence[int] = (),
    class_template_ids: Sequence[int] = (),
    service_ids: Sequence[int] = (),
    purchase: bool = False,
    booking: bool = False,
) -> list[Waiver]:
    """The waivers `client` must still sign before this purchase or booking, ordered by kind
    and name; empty: nothing stands in the way.

    What is required, by kind (WAI-5), among the studio's PUBLISHED, non-archived waivers:
    - `purchase=True` (buying a membership, a pass, a pack — `plan_ids` are the plans bought):
      membership waivers required for every purchase (studio-wide) or for one of those plans;
    - `booking=True` (a class — `class_template_ids` — or an appointment — `service_ids`):
      client waivers required for every booking or for one of those classes/services; but when
      the client is a dependant — `signer` is a guardian booking for them (a different client),
      or the client has a guardian link, as when staff book a child — child waivers take the
      client waivers' place (signed by a guardian at the child's name);
    - custom waivers are never required (they are signed from the client's profile).
    A waiver counts as signed when `signature_states` says "signed": an "outdated" signature
    (a later version asked to re-sign) stands in the way like a missing one. `signer` does not
    change whose signature counts: any guardian's signature at the child's name does.

    Reads a fixed number of queries (at most four) whatever the number of requirements.
    """
    if client.studio_id != studio.pk:
        raise ValueError("the client belongs to another studio")
    if not (purchase or booking):
        return []
    wanted = Q(pk__in=[])
    if purchase:
        wanted |= Q(waiver__kind=WaiverKind.MEMBERSHIP) & (
            Q(scope=RequirementScope.STUDIO) | Q(scope=RequirementScope.PLAN, target_id__in=list(plan_ids))
        )
    if booking:
        # Both kinds in the one query; which of the two applies is decided below, and only
        # when one is required (a studio requiring nothing pays one query per booking).
        wanted |= Q(waiver__kind__in=(WaiverKind.CLIENT, WaiverKind.CHILD)) & (
            Q(scope=RequirementScope.STUDIO)
            | Q(scope=RequirementScope.CLASS_TEMPLATE, target_id__in=list(class_template_ids))
            | Q(scope=RequirementScope.SERVICE, target_id__in=list(service_ids))
        )
    required: dict[int, Waiver] = {}
    for requirement in (
        WaiverRequirement.objects.filter(
            wanted,
            studio=studio,
            waiver__archived_at__isnull=True,
            waiver__current_version__isnull=False,
        )
        .select_related("waiver")
        .order_by("waiver__kind", "waiver__name", "waiver_id")
    ):
        required.setdefault(requirement.waiver_id, requirement.waiver)
    if booking and any(w.kind in (WaiverKind.CLIENT, WaiverKind.CHILD) for w in required.values()):
        dependant = (signer is not None and signer.pk != client.pk) or is_dependant(client=client)
        left_out = WaiverKind.CLIENT if dependant else WaiverKind.CHILD
        required = {pk: w for pk, w in required.items() if w.kind != left_out}
    if not required:
        return []
    states = signature_states(client=client, waivers=required.values())
    return [w for w in required.values() if not states[w.pk].signed]
