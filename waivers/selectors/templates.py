"""Reads of waivers and their versions (WAI-1, WAI-2).

`waiver_text_for` is THE one function choosing what a signer sees: the signing pages, the PDF
and the hash of the signed record all go through it, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from studio.models import Studio
from waivers.models import Waiver, WaiverSettings, WaiverSignature, WaiverVersion

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class ShownText:
    """The text a signer is shown: its language (the one actually shown), title and sanitised
    HTML body, exactly as stored on the version (so `text_sha256(body_html)` is the record's hash)."""

    language: str
    title: str
    body_html: str


def _base_language(language: str | None) -> str:
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "fr"


def waiver_text_for(*, version: WaiverVersion, language: str | None) -> ShownText:
    """The text of `version` shown to a signer reading `language`: that language's body when it is
    not empty, else the other language's (a studio may keep one language only). The title follows
    the body's language, falling back to the other title, then to the waiver's name."""
    wanted = _base_language(language)
    other = "en" if wanted == "fr" else "fr"
    shown = wanted if (getattr(version, f"body_{wanted}") or "").strip() else other
    if not (getattr(version, f"body_{shown}") or "").strip():
        shown = wanted  # both empty (a draft being written): keep the reader's language
    unshown = "en" if shown == "fr" else "fr"
    title = getattr(version, f"title_{shown}") or getattr(version, f"title_{unshown}") or version.waiver.name
    return ShownText(language=shown, title=title, body_html=getattr(version, f"body_{shown}") or "")


@dataclass(frozen=True)
class WaiverRow:
    """One line of the waivers page."""

    waiver: Waiver
    current_number: int | None  # the published version's number, None while never published
    latest_number: int  # the highest version number (the draft's when one is pending)
    draft_pending: bool  # a draft exists above the published version (or no version is published)
    signature_count: int

    @property
    def status(self) -> str:
        """A code: archived | draft | published | draft_pending (rendered by the template)."""
        if self.waiver.archived_at:
            return "archived"
        if self.current_number is None:
            return "draft"
        return "draft_pending" if self.draft_pending else "published"


def waiver_list(*, studio: Studio, include_archived: bool = False) -> list[WaiverRow]:
    """The studio's waivers with their current version number, whether a draft is pending and how
    many signatures each has: one query whatever the number of waivers."""
    drafts = WaiverVersion.objects.filter(waiver=OuterRef("pk"), published_at__isnull=True)
    signatures = (
        WaiverSignature.objects.filter(waiver=OuterRef("pk"))
        .order_by()
        .values("waiver")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs: QuerySet[Waiver] = (
        Waiver.objects.filter(studio=studio)
        .select_related("current_version")
        .annotate(
            has_draft=Exists(drafts),
            latest_number=_max_number(),
            n_signatures=_subquery_int(signatures),
        )
        .order_by("archived_at", "kind", "name", "id")
    )
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return [
        WaiverRow(
            waiver=w,
            current_number=w.current_version.number if w.current_version_id else None,
            latest_number=w.latest_number or 0,
            draft_pending=bool(w.has_draft),
            signature_count=w.n_signatures or 0,
        )
        for w in qs
    ]


def _max_number() -> Subquery:
    latest = (
        WaiverVersion.objects.filter(waiver=OuterRef("pk"))
        .order_by()
        .values("waiver")
        .annotate(m=Max("number"))
        .values("m")
    )
    return Subquery(latest)


def _subquery_int(qs: QuerySet) -> Subquery:
    return Subquery(qs, output_field=IntegerField())


def waiver_for_staff(*, studio: Studio, pk: int) -> Waiver:
    """The studio's waiver `pk` (Http404 when it is another studio's or does not exist)."""
    return get_object_or_404(Waiver.objects.select_related("current_version"), studio=studio, pk=pk)


def waiver_draft(*, waiver: Waiver) -> WaiverVersion | None:
    """The waiver's unpublished version, if one exists (there is at most one)."""
    return waiver.versions.filter(published_at__isnull=True).order_by("-number").first()


def waiver_latest_version(*, waiver: Waiver) -> WaiverVersion | None:
    """The waiver's highest-numbered version (the draft when one is pending, else the published)."""
    return waiver.versions.order_by("-number").first()


def waiver_versions(*, waiver: Waiver) -> list[WaiverVersion]:
    """Every version of the waiver, newest first."""
    return list(waiver.versions.order_by("-number"))


def waiver_version_for_staff(*, studio: Studio, waiver_pk: int, number: int) -> WaiverVersion:
    """Version `number` of the studio's waiver `waiver_pk` (Http404 otherwise)."""
    return get_object_or_404(
        WaiverVersion.objects.select_related("waiver"), studio=studio, waiver_id=waiver_pk, number=number
    )


def waiver_settings_for(*, studio: Studio) -> WaiverSettings:
    """The studio's waiver settings, created with the defaults on first read."""
    settings_row, _created = WaiverSettings.objects.get_or_create(studio=studio)
    return settings_row


def waiver_published_exists(*, studio: Studio) -> bool:
    """Whether the studio has a published, non-archived waiver (the checklist step "waivers")."""
    return Waiver.objects.filter(
        studio=studio, archived_at__isnull=True, current_version__isnull=False
    ).exists()


def waiver_signer_count(*, waiver: Waiver) -> int:
    """How many people the waiver covers by a signature of any version (each counted once)."""
    return (
        WaiverSignature.objects.filter(studio_id=waiver.studio_id, waiver=waiver)
        .values("client_id")
        .distinct()
        .count()
    )
