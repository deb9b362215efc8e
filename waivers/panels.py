"""The waivers panels: on a client's profile (staff side) and on the client's own account page.

The profile panel lists every published waiver of the studio that applies to the client —
membership and client waivers (child waivers instead of client ones for a dependant), custom
waivers too (they are signed from here) — each signed, outdated or missing, with the actions
"sign in person" and "send a link". It costs the profile no query: the studio's waivers, each
with the client's best signature and its re-sign mark, and whether the client is a dependant,
ride on the query that reads the client (annotations), whatever the number of signatures. The
state follows `signature_states`' rule (waivers/selectors/status.py), on those columns; a test
holds the two to the same answers.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Exists, F, IntegerField, JSONField, Max, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.models import Client, FamilyLink
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url
from waivers.models import Waiver, WaiverKind, WaiverSignature, WaiverVersion
from waivers.selectors.status import MISSING, OUTDATED, SIGNED

ADULT_KINDS = frozenset({WaiverKind.MEMBERSHIP, WaiverKind.CLIENT, WaiverKind.CUSTOM})
DEPENDANT_KINDS = frozenset({WaiverKind.MEMBERSHIP, WaiverKind.CHILD, WaiverKind.CUSTOM})
KIND_ORDER = {WaiverKind.MEMBERSHIP: 0, WaiverKind.CLIENT: 1, WaiverKind.CHILD: 2, WaiverKind.CUSTOM: 3}
BADGES = {SIGNED: "ok", OUTDATED: "warn", MISSING: "bad"}


def _best_signature() -> Subquery:
    """The client's signature on the highest version of the waiver (the latest signing of it), as
    JSON — for the waiver row of the subquery below, for the client row of the outer query."""
    best = (
        WaiverSignature.objects.filter(
            studio_id=OuterRef(OuterRef("studio_id")),
            client_id=OuterRef(OuterRef("pk")),
            waiver_id=OuterRef("id"),
        )
        .order_by("-version__number", "-signed_at", "-id")
        .annotate(
            row=JSONObject(
                id=F("id"),
                number=F("version__number"),
                signed_at=F("signed_at"),
                signer_id=F("signer_id"),
                signer_name=F("signer_name"),
            )
        )
        .values("row")[:1]
    )
    return Subquery(best, output_field=JSONField())


def _resign_from() -> Subquery:
    """The highest published version of the waiver that asked earlier signers to sign again."""
    highest = (
        WaiverVersion.objects.filter(
            waiver_id=OuterRef("id"), published_at__isnull=False, resign_required=True
        )
        .order_by()
        .values("waiver_id")
        .annotate(m=Max("number"))
        .values("m")
    )
    return Subquery(highest, output_field=IntegerField())


def _profile_annotations() -> dict:
    # The studio's published waivers, each with the client's best signature and its re-sign mark,
    # ride on the query that reads the client: the panel reads nothing of its own.
    published = (
        Waiver.objects.filter(
            studio_id=OuterRef("studio_id"), archived_at__isnull=True, current_version__isnull=False
        )
        .order_by()
        .values("studio_id")
        .annotate(
            rows=JSONBAgg(
                JSONObject(
                    id=F("id"),
                    kind=F("kind"),
                    name=F("name"),
                    number=F("current_version__number"),
                    resign_from=_resign_from(),
                    best=_best_signature(),
                ),
                order_by=("name", "id"),
            )
        )
        .values("rows")
    )
    guardians = FamilyLink.objects.filter(studio_id=OuterRef("studio_id"), dependant_id=OuterRef("pk"))
    return {"waivers_published_json": Subquery(published), "waivers_is_dependant": Exists(guardians)}


def _optional_row_url(viewname: str, **kwargs):
    """`row_url`, or None while the view it names is not installed."""
    try:
        return row_url(viewname, **kwargs)
    except NoReverseMatch:
        return None


def panel_state(item: dict) -> str:
    """signed / outdated / missing — `signature_states`' rule (WAI-2) on the annotated row: a
    signature on version n stands until a version above n is published with re-sign asked."""
    best = item.get("best")
    if not best:
        return MISSING
    return SIGNED if best["number"] >= (item.get("resign_from") or 0) else OUTDATED


def waiver_panel_rows(
    *, client, items: list[dict], is_dependant: bool, slug: str, can_sign: bool = True
) -> list[dict]:
    """The panel's rows from the studio's published waivers as annotated (id, kind, name, number,
    resign_from, best). `can_sign`: the viewer may sign in person and send links (their views'
    permission), else the rows carry no action."""
    kinds = DEPENDANT_KINDS if is_dependant else ADULT_KINDS
    applicable = sorted(
        (item for item in items if item["kind"] in kinds),
        key=lambda item: (KIND_ORDER.get(item["kind"], 9), item["name"], item["id"]),
    )
    kind_labels = choice_labels(WaiverKind.choices)
    record_url = row_url("waiver-signature", studio_slug=slug)
    can_act = can_sign and client.archived_at is None
    sign_url = _optional_row_url("client-waiver-sign", key="waiver_pk", studio_slug=slug, pk=client.pk)
    send_url = _optional_row_url("client-waiver-send", key="waiver_pk", studio_slug=slug, pk=client.pk)
    rows = []
    for item in applicable:
        state = panel_state(item)
        best = item.get("best") or None
        act = can_act and state != SIGNED
        rows.append(
            {
                "id": item["id"],
                "name": item["name"],
                "kind": item["kind"],
                "kind_label": kind_labels.get(item["kind"], item["kind"]),
                "state": state,
                "badge": BADGES.get(state, ""),
                "current_number": item["number"],
                "signed_number": best["number"] if best else None,
                "signed_at": dt.datetime.fromisoformat(best["signed_at"]) if best else None,
                "signer_name": best["signer_name"] if best and best["signer_id"] != client.pk else "",
                "record_url": record_url(best["id"]) if best else None,
                "sign_url": sign_url(item["id"]) if (sign_url and act) else None,
                "send_url": send_url(item["id"]) if (send_url and act) else None,
            }
        )
    return rows


def _profile_load(*, request, client) -> dict:
    if not hasattr(client, "waivers_published_json"):  # a client read without the annotations
        client = (
            Client.objects.filter(pk=client.pk)
            .annotate(**_profile_annotations())
            .select_related("studio")
            .get()
        )
    items = client.waivers_published_json or []
    is_dependant = bool(client.waivers_is_dependant)
    staff = getattr(request, "staff", None)
    rows = waiver_panel_rows(
        client=client,
        items=items,
        is_dependant=is_dependant,
        slug=request.studio.slug,
        can_sign=staff is not None and staff.has_perm(Perm.MANAGE_CLIENTS),
    )
    return {"client": client, "waivers": rows}


# Whoever may open a profile sees what the client signed (a teacher checks at the door); signing
# in person and sending a link are guarded by their own views.
WAIVERS_PANEL = ProfilePanel(
    key="waivers",
    title=gettext_lazy("Waivers"),
    template="waivers/client/_panel.html",
    perms=frozenset({Perm.VIEW_CLIENTS}),
    annotations=_profile_annotations,
    load=_profile_load,
    order=25,
)


def account_waivers_panel(request, client) -> Section | None:
    """The short "my waivers" section of the account home, linking to the full page."""
    from waivers.selectors.accounts import account_waiver_counts

    counts = account_waiver_counts(client=client)
    if not counts["signed"] and not counts["to_sign"]:
        return None
    return Section(
        title=_("My waivers"),
        template="waivers/account/_panel.html",
        context={**counts, "url": reverse("account-waivers", kwargs={"studio_slug": request.studio.slug})},
        order=30,
        key="waivers",
    )
